"""The rules on images: what SageMaker can pull, what a prod stack pins, one digest per version."""

import pytest

from modelfleet.images.checks import (
    ImageIssue,
    PlacedImage,
    auth_issues,
    aws_image,
    aws_issues,
    digest_issues,
    ecr_region,
    is_prod_like,
    placement_image,
    same_digest_issues,
)

DIGEST = "sha256:" + "1d3f" * 16
OTHER = "sha256:" + "7e9a" * 16
ECR_FRANKFURT = "111122223333.dkr.ecr.eu-central-1.amazonaws.com"


@pytest.mark.parametrize(
    ("host", "region"),
    [
        (ECR_FRANKFURT, "eu-central-1"),
        ("444455556666.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("111122223333.dkr.ecr.eu-central-1.amazonaws.com.evil.example", None),
        ("public.ecr.aws", None),
        ("1111.dkr.ecr.eu-central-1.amazonaws.com", None),
        ("mlprod.azurecr.io", None),
    ],
)
def test_an_ecr_private_registry_is_known_by_its_host(host, region):
    assert ecr_region(host) == region


def test_sagemaker_pulling_from_ecr_of_its_own_region_passes():
    image = f"{ECR_FRANKFURT}/ml/fraud-scorer@{DIGEST}"
    assert aws_issues("fraud-scorer", image, "aws-frankfurt", "eu-central-1", None, False) == []
    elsewhere = f"registry.example.com/ml/fraud-scorer@{DIGEST}"
    assert (
        aws_issues("fraud-scorer", elsewhere, "aws-frankfurt", "eu-central-1", ECR_FRANKFURT, False)
        == []
    )


def test_without_a_registry_an_ecr_image_of_another_region_is_pulled_from_its_replica():
    # GIVEN an image in ECR eu-central-1 and an endpoint in eu-west-3 naming no registry
    image = f"{ECR_FRANKFURT}/ml/demand-forecast@{DIGEST}"
    # THEN the endpoint pulls the same repository and digest from ECR in eu-west-3
    assert aws_image(image, "eu-west-3", None) == (
        f"111122223333.dkr.ecr.eu-west-3.amazonaws.com/ml/demand-forecast@{DIGEST}"
    )
    assert aws_issues("demand-forecast", image, "aws-paris", "eu-west-3", None, False) == []


def test_a_location_registry_in_another_region_is_refused_at_the_location_s_key():
    # GIVEN an aws location in eu-central-1 whose registry is ECR in eu-west-1
    issues = aws_issues(
        "fraud-scorer",
        f"registry.example.com/ml/fraud-scorer@{DIGEST}",
        "aws-frankfurt",
        "eu-central-1",
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml",
        True,
    )
    # THEN the issue names the registry key and says which rule and what to use
    assert issues == [
        ImageIssue(
            "modelfleet:locations.aws-frankfurt.registry",
            "location 'aws-frankfurt' is SageMaker in eu-central-1, which pulls images only from "
            "Amazon ECR in its own region; 111122223333.dkr.ecr.eu-west-1.amazonaws.com is ECR "
            "in eu-west-1: use <account>.dkr.ecr.eu-central-1.amazonaws.com[/prefix]",
        )
    ]


def test_without_a_registry_an_image_outside_ecr_is_refused_at_the_model_s_image():
    issues = aws_issues(
        "fraud-scorer",
        f"harbor.munich.example/ml/fraud-scorer@{DIGEST}",
        "aws-frankfurt",
        "eu-central-1",
        None,
        False,
    )
    assert [str(issue) for issue in issues] == [
        "modelfleet:models.fraud-scorer.image: location 'aws-frankfurt' is SageMaker in "
        "eu-central-1, which pulls images only from Amazon ECR in its own region, or a private "
        "registry once the endpoint runs in a VPC; harbor.munich.example is not an Amazon ECR "
        "private registry: use <account>.dkr.ecr.eu-central-1.amazonaws.com[/prefix] "
        "(or set modelfleet:locations.aws-frankfurt.registry)"
    ]


@pytest.mark.parametrize("registry", [None, "harbor.munich.example/ml"])
def test_an_endpoint_in_a_vpc_may_pull_from_a_private_registry(registry):
    image = f"harbor.munich.example/ml/fraud-scorer@{DIGEST}"
    assert aws_issues("fraud-scorer", image, "aws-frankfurt", "eu-central-1", registry, True) == []


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


@pytest.mark.parametrize(
    ("kind", "refused"), [("aws", True), ("azure", True), ("kubernetes", False), ("edge", False)]
)
def test_pull_credentials_only_where_the_stack_s_credentials_pull(kind, refused):
    issues = auth_issues("somewhere", kind, has_auth=True)
    assert [issue.path for issue in issues] == (
        ["modelfleet:locations.somewhere.registry_auth"] if refused else []
    )
    assert auth_issues("somewhere", kind, has_auth=False) == []


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
        ImageIssue(
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
