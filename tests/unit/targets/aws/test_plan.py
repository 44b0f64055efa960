"""SageMaker's pure decisions, no mocks: image and artifact locations, names, traffic."""

import pytest

from modelfleet import SageMakerConfigError
from modelfleet.targets.aws.plan import (
    EcrImage,
    S3Location,
    container_image,
    execution_policy,
    physical_name,
    traffic_routing,
)
from tests.unit.targets.aws.test_component import DIGEST, FRANKFURT_IMAGE, statements


def test_ecr_images_are_parsed_and_moved_to_the_endpoint_region():
    image = EcrImage.parse(FRANKFURT_IMAGE)
    assert image == EcrImage("111122223333", "eu-central-1", "ml/fraud-scorer", f"@{DIGEST}")
    tagged = EcrImage.parse("111122223333.dkr.ecr.eu-west-1.amazonaws.com/scorer:1.4.0")
    assert tagged is not None
    assert (
        tagged.in_region("us-east-1").uri
        == "111122223333.dkr.ecr.us-east-1.amazonaws.com/scorer:1.4.0"
    )
    assert tagged.repository_arn == "arn:aws:ecr:eu-west-1:111122223333:repository/scorer"
    assert EcrImage.parse("registry.example.com/ml/fraud-scorer:1.4.0") is None


def test_an_image_outside_ecr_needs_a_vpc_to_be_pulled_from():
    image = "registry.example.com/ml/fraud-scorer:1.4.0"
    assert container_image(image, "eu-central-1", in_vpc=True).ecr is None
    with pytest.raises(SageMakerConfigError, match=r"SageMaker in \S+ pulls only from Amazon ECR"):
        container_image(image, "eu-central-1", in_vpc=False)


def test_an_artifact_outside_s3_is_refused_and_a_root_object_is_granted_alone():
    with pytest.raises(SageMakerConfigError, match=r"from S3 only"):
        S3Location.parse("https://example.com/model.tar.gz")
    root = S3Location.parse("s3://bucket-a/model.tar.gz")
    assert root.prefix == ""
    policy = execution_policy(
        region="eu-west-1",
        endpoint="e",
        image=container_image(FRANKFURT_IMAGE, "eu-west-1", in_vpc=False),
        artifact=root,
        kms_key_arn=None,
        subnet_ids=[],
        security_group_ids=[],
    )
    granted = statements(policy)
    assert granted["ReadArtifact"]["Resource"] == ["arn:aws:s3:::bucket-a/model.tar.gz"]
    assert granted["ListArtifactPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["model.tar.gz"]}
    }


def test_names_fit_sagemaker_and_stay_distinct_when_cut():
    long_a, long_b = "a" * 40 + "-" + "x" * 40, "a" * 40 + "-" + "y" * 40
    for base in (long_a, long_b):
        assert len(physical_name(base, "0123456789")) == 63
    assert physical_name(long_a, "0123456789") != physical_name(long_b, "0123456789")
    assert physical_name("fraud_scorer.aws", "5xx") == "fraud-scorer-aws-5xx"


def test_a_canary_is_one_instance_once_the_fleet_has_two():
    assert traffic_routing(1)["type"] == "ALL_AT_ONCE"
    assert traffic_routing(2)["canary_size"] == {"type": "INSTANCE_COUNT", "value": 1}
