"""The rules on images: what a prod stack pins, one digest per version, where each placement pulls."""

import pytest

from modelfleet.contract import placement_image
from modelfleet.errors import ConfigIssue
from modelfleet.images.checks import (
    PlacedImage,
    digest_issues,
    is_prod_like,
    same_digest_issues,
)

DIGEST = "sha256:" + "1d3f" * 16
OTHER = "sha256:" + "7e9a" * 16
ECR_FRANKFURT = "111122223333.dkr.ecr.eu-central-1.amazonaws.com"


@pytest.mark.parametrize(
    ("stack", "prod_like"),
    [
        ("prod", True),
        ("prod-eu", True),
        ("production", True),
        ("staging", True),
        ("dev", False),
        ("local", False),
        ("products-dev", False),
    ],
)
def test_prod_like_stacks_are_known_by_name(stack, prod_like):
    assert is_prod_like(stack) is prod_like


def test_a_tag_only_image_is_refused_in_a_prod_like_stack_and_allowed_in_dev():
    image = "registry.example.com/ml/fraud-scorer:1.4.0"
    assert [issue.path for issue in digest_issues("fraud-scorer", image, "prod-eu")] == [
        "modelfleet:models.fraud-scorer.image"
    ]
    assert digest_issues("fraud-scorer", image, "dev") == []
    assert digest_issues("fraud-scorer", f"{image}@{DIGEST}", "prod-eu") == []


def placed(where: str, digest: str | None, version: str = "1.4.0") -> PlacedImage:
    image = f"r.example/ml/fraud-scorer@{digest}" if digest else "r.example/ml/fraud-scorer:1.4"
    return PlacedImage("fraud-scorer", version, where, image)


def test_one_version_running_one_digest_everywhere_passes():
    placements = [placed("aws-frankfurt", DIGEST), placed("plant-lyon", DIGEST)]
    assert same_digest_issues(placements) == []


def test_a_placement_running_another_digest_of_the_same_version_is_named():
    # GIVEN three placements of fraud-scorer 1.4.0, one of them on other bytes
    placements = [
        placed("aws-frankfurt", DIGEST),
        placed("plant-lyon", OTHER),
        placed("munich-onprem", DIGEST),
    ]
    # THEN the odd one is named, with where the expected digest runs
    assert same_digest_issues(placements) == [
        ConfigIssue(
            "plant-lyon",
            f"model fraud-scorer 1.4.0 runs {OTHER} here but {DIGEST} at aws-frankfurt, "
            "munich-onprem: one version must be one digest everywhere",
        )
    ]


def test_different_versions_may_run_different_digests_and_tags_are_left_to_pinning():
    placements = [
        placed("aws-frankfurt", DIGEST, "1.4.0"),
        placed("plant-lyon", OTHER, "1.5.0"),
        placed("munich-onprem", None, "1.4.0"),
    ]
    assert same_digest_issues(placements) == []


@pytest.mark.parametrize(
    ("kind", "registry", "region", "expected"),
    [
        ("edge", "registry.plant-lyon.example:5000", None, "registry.plant-lyon.example:5000"),
        ("kubernetes", None, None, ECR_FRANKFURT),
        ("aws", None, "eu-west-3", "111122223333.dkr.ecr.eu-west-3.amazonaws.com"),
        (
            "aws",
            "444455556666.dkr.ecr.eu-west-3.amazonaws.com",
            "eu-west-3",
            "444455556666.dkr.ecr.eu-west-3.amazonaws.com",
        ),
    ],
)
def test_each_placement_runs_the_same_digest_from_where_its_kind_pulls(
    kind, registry, region, expected
):
    image = f"{ECR_FRANKFURT}/ml/fraud-scorer@{DIGEST}"
    assert placement_image(image, kind, registry, region) == f"{expected}/ml/fraud-scorer@{DIGEST}"
