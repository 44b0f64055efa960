"""modelfleet.policy.same_digest: one model version, one digest, whichever registry it comes from."""

from modelfleet.policy.images import images as policy_images
from modelfleet.policy.read.labels import labels_path
from modelfleet.policy.read.props import lookup
from modelfleet.policy.read.types import EDGE_CONTAINER
from tests.policy.builders import DIGEST, UNKNOWN, Spec, placed, run, stack_args
from tests.policy.test_images import set_image

POLICY = "image-same-digest"
OTHER = "sha256:" + "cd" * 32


def fleet(images: dict[str, str], version: str = "1.4.0") -> list[Spec]:
    """fraud-scorer ``version`` at one location of each kind given, each running its image."""
    specs: list[Spec] = []
    for kind, image in images.items():
        for spec in placed(kind).values():
            if list(policy_images(spec.type, spec.props)):
                set_image(spec, image)
            path = labels_path(spec.type)
            found = lookup(spec.props, *path) if path else None
            if isinstance(found, dict) and "modelfleet/version" in found:
                found["modelfleet/version"] = version
            specs.append(spec)
    return specs


def test_one_digest_under_each_location_s_own_registry_passes():
    outcome = run(
        POLICY,
        stack_args(
            fleet(
                {
                    "aws": f"111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer@{DIGEST}",
                    "kubernetes": f"harbor.munich.example/ml/fraud-scorer@{DIGEST}",
                    "edge": f"registry.plant-lyon.example:5000/ml/fraud-scorer@{DIGEST}",
                }
            )
        ),
    )
    assert outcome.violations == []


def test_a_placement_running_other_bytes_of_the_same_version_is_named_at_its_urn():
    # GIVEN fraud-scorer 1.4.0 on SageMaker and Kubernetes by one digest, at the edge by another
    specs = fleet(
        {
            "aws": f"111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer@{DIGEST}",
            "kubernetes": f"harbor.munich.example/ml/fraud-scorer@{DIGEST}",
            "edge": f"registry.plant-lyon.example:5000/ml/fraud-scorer@{OTHER}",
        }
    )
    edge = [spec.urn for spec in specs if spec.type == EDGE_CONTAINER]
    others = ", ".join(
        spec.urn
        for spec in specs
        if spec.type != EDGE_CONTAINER and list(policy_images(spec.type, spec.props))
    )
    # WHEN the pack runs THEN each edge container is a violation, at its URN, naming the others
    assert run(POLICY, stack_args(specs)).violations == [
        (
            f"model fraud-scorer 1.4.0 runs {OTHER} here but {DIGEST} at {others}: "
            "one version must be one digest everywhere",
            urn,
        )
        for urn in edge
    ]


def test_different_versions_may_run_different_digests():
    specs = fleet({"aws": f"r.example/ml/fraud-scorer@{DIGEST}"}, "1.4.0")
    specs += fleet({"edge": f"r.example/ml/fraud-scorer@{OTHER}"}, "1.5.0")
    assert run(POLICY, stack_args(specs)).violations == []


def test_tag_only_images_are_left_to_image_pinned_by_digest():
    specs = fleet(
        {"aws": f"r.example/ml/fraud-scorer@{DIGEST}", "edge": "r.example/ml/fraud-scorer:1.4.0"}
    )
    assert run(POLICY, stack_args(specs)).violations == []


def test_an_image_unknown_at_preview_is_checked_again_at_update():
    specs = fleet({"edge": UNKNOWN})
    outcome = run(POLICY, stack_args(specs))
    assert outcome.violations == []
    assert outcome.preview is not None
    assert "unknown at preview" in outcome.preview
