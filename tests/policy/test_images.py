"""modelfleet.policy.images: images pinned by digest and from an allowed registry."""

from typing import Any

import pytest

from tests.policy.builders import DIGEST, IMAGE, UNKNOWN, Spec, placed, run

PINNED = "image-pinned-by-digest"
REGISTRY = "image-registry-allowed"
TAGGED = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer:1.4.0"
ECR = {"registries": ["111122223333.dkr.ecr.*.amazonaws.com"]}
RUNNERS = {  # the resource of each kind that names the image
    "kubernetes": "fraud-scorer-here-deployment",
    "aws": "fraud-scorer-here-model",
    "edge": "fraud-scorer-here-gw-1",
}
WHICH = {"kubernetes": "container 'model'", "aws": "primary container", "edge": "container"}


def runner(kind: str, image: str = IMAGE) -> Spec:
    return placed(kind, image)[RUNNERS[kind]]


def set_image(spec: Spec, image: Any) -> None:
    if spec.type == "aws:sagemaker/model:Model":
        spec.props["primaryContainer"]["image"] = image
    elif spec.type.startswith("kubernetes:"):
        spec.props["spec"]["template"]["spec"]["containers"][0]["image"] = image
    else:
        spec.props["image"] = image


# --- image-pinned-by-digest --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_a_pinned_image_passes_and_a_tag_is_refused(kind):
    assert run(PINNED, runner(kind).resource_args()).messages == []
    assert run(PINNED, runner(kind, TAGGED).resource_args()).messages == [
        f"{WHICH[kind]}: image '{TAGGED}' is not pinned by digest (@sha256:<64 hex>)"
    ]


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_an_unknown_image_is_noted_not_passed(kind):
    spec = runner(kind)
    set_image(spec, UNKNOWN)
    outcome = run(PINNED, spec.resource_args())
    assert outcome.messages == []
    assert outcome.preview is not None
    assert outcome.preview.endswith(f"of {spec.name}: unknown at preview; checked again at update")


def test_an_unknown_image_names_its_property():
    spec = runner("kubernetes")
    set_image(spec, UNKNOWN)
    assert run(PINNED, spec.resource_args()).preview == (
        "spec.template.spec.containers[0].image of fraud-scorer-here-deployment: "
        "unknown at preview; checked again at update"
    )


def test_a_container_without_an_image_is_refused():
    spec = runner("kubernetes")
    del spec.props["spec"]["template"]["spec"]["containers"][0]["image"]
    assert run(PINNED, spec.resource_args()).messages == ["container 'model' names no image"]
    assert run(REGISTRY, spec.resource_args(ECR)).messages == ["container 'model' names no image"]


def test_the_azure_environment_image_is_checked():
    environment = Spec(
        "azure-native:machinelearningservices:EnvironmentVersion",
        "fraud-scorer-here-environment-v1-4-0",
        {"properties": {"image": TAGGED, "osType": "Linux"}},
    )
    assert run(PINNED, environment.resource_args()).messages == [
        f"environment: image '{TAGGED}' is not pinned by digest (@sha256:<64 hex>)"
    ]


# --- image-registry-allowed --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RUNNERS))
def test_any_registry_passes_without_an_allow_list(kind):
    assert (
        run(REGISTRY, runner(kind, f"docker.io/library/python@{DIGEST}").resource_args({})).messages
        == []
    )


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (IMAGE, []),
        (
            f"444455556666.dkr.ecr.us-east-1.amazonaws.com/ml/x@{DIGEST}",
            ["444455556666.dkr.ecr.us-east-1.amazonaws.com"],
        ),
        (f"python@{DIGEST}", ["docker.io"]),
        (f"localhost:5000/ml/x@{DIGEST}", ["localhost:5000"]),
    ],
)
def test_the_configured_allow_list_decides(image, expected):
    outcome = run(REGISTRY, runner("kubernetes", image).resource_args(ECR))
    assert outcome.messages == [
        f"container 'model': image '{image}' comes from {registry}, which is not an allowed "
        "registry (111122223333.dkr.ecr.*.amazonaws.com)"
        for registry in expected
    ]


def test_an_unknown_image_registry_is_noted_not_passed():
    spec = runner("edge")
    set_image(spec, UNKNOWN)
    outcome = run(REGISTRY, spec.resource_args(ECR))
    assert outcome.messages == []
    assert (
        outcome.preview
        == "image of fraud-scorer-here-gw-1: unknown at preview; checked again at update"
    )
