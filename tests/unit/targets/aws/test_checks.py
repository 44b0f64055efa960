"""aws-image-source: where SageMaker may pull from, with and without a location registry."""

import pytest

from modelfleet.errors import ConfigIssue
from modelfleet.targets.aws.checks import sources
from tests.unit.targets.args import aws_location, model

DIGEST = "sha256:" + "1d3f" * 16
ECR_FRANKFURT = "111122223333.dkr.ecr.eu-central-1.amazonaws.com"
OUTSIDE = f"harbor.munich.example/ml/fraud-scorer@{DIGEST}"


def outside_vpc(**overrides: object) -> dict[str, object]:
    return {**aws_location(subnet_ids=[], security_group_ids=[]), **overrides}


def issues(image: str, **location: object) -> list[ConfigIssue]:
    return sources(model(name="fraud-scorer", image=image), outside_vpc(**location))  # type: ignore[arg-type]


def test_ecr_of_its_own_region_or_a_registry_there_passes():
    assert issues(f"{ECR_FRANKFURT}/ml/fraud-scorer@{DIGEST}") == []
    assert issues(OUTSIDE, registry=f"{ECR_FRANKFURT}/ml") == []


def test_without_a_registry_an_ecr_image_of_another_region_is_pulled_from_its_replica():
    image = f"111122223333.dkr.ecr.eu-west-3.amazonaws.com/ml/demand-forecast@{DIGEST}"
    assert issues(image) == []


def test_a_location_registry_in_another_region_is_refused_at_the_location_s_key():
    # GIVEN an aws location in eu-central-1 whose registry is ECR in eu-west-1
    found = issues(OUTSIDE, registry="111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml")
    # THEN the issue names the registry key, the image it resolves to and the rule
    assert [issue.path for issue in found] == ["modelfleet:locations.aws-fra.registry"]
    assert found[0].reason.startswith(
        "image '111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml/fraud-scorer@"
        f"{DIGEST}': SageMaker in eu-central-1 pulls only from Amazon ECR in its own region "
        "(<account>.dkr.ecr.eu-central-1.amazonaws.com[/prefix]"
    )


def test_without_a_registry_an_image_outside_ecr_is_refused_at_the_model_s_image():
    found = issues(OUTSIDE)
    assert [issue.path for issue in found] == ["modelfleet:models.fraud-scorer.image"]


@pytest.mark.parametrize("registry", [None, "harbor.munich.example/ml"])
def test_an_endpoint_in_a_vpc_may_pull_from_a_private_registry(registry):
    location = aws_location(**({"registry": registry} if registry else {}))
    assert sources(model(image=OUTSIDE), location) == []
