"""modelfleet.policy.sagemaker: KMS and isolation, by the resources' own properties."""

from typing import Any

import pytest

from tests.policy.builders import UNKNOWN, Spec, run, specs_for, stack_config

KMS_POLICY = "aws-sagemaker-endpointconfig-kms"
ISOLATION_POLICY = "aws-sagemaker-model-isolation"
KMS = {"kms_key_arn": "arn:aws:kms:eu-central-1:111122223333:key/k"}
VPC = {"subnet_ids": ["subnet-0a1b"], "security_group_ids": ["sg-0a1b"]}


def aws(classification: str, **location: Any) -> dict[str, Spec]:
    """SageMaker model, config and endpoint of one model in Frankfurt, by role."""
    raw = stack_config(
        {"classification": classification, "residency": ["EU"]},
        "aws-frankfurt",
        {"kind": "aws", "region": "eu-central-1", **location},
    )
    return {spec.name.rsplit("-", 1)[1]: spec for spec in specs_for(raw)}


# --- aws-sagemaker-endpointconfig-kms ----------------------------------------------------


@pytest.mark.parametrize(
    ("classification", "location", "expected"),
    [
        ("confidential", KMS, []),
        ("restricted", {**KMS, **VPC}, []),
        ("internal", {}, []),
        (
            "confidential",
            {},
            [
                "confidential data needs a KMS key: kmsKeyArn is not set (set kms_key_arn on the location)"
            ],
        ),
        (
            "restricted",
            VPC,
            [
                "restricted data needs a KMS key: kmsKeyArn is not set (set kms_key_arn on the location)"
            ],
        ),
    ],
)
def test_sensitive_endpoint_configs_need_a_kms_key(classification, location, expected):
    config = aws(classification, **location)["config"]
    assert run(KMS_POLICY, config.resource_args()).messages == expected


def test_kms_without_a_classification_label_fails_closed():
    config = aws("confidential", **KMS)["config"]
    del config.props["tags"]["modelfleet/classification"]
    assert run(KMS_POLICY, config.resource_args()).messages == [
        "no modelfleet/classification label: cannot tell whether its data needs a KMS key"
    ]


def test_kms_with_an_unknown_classification_label_fails_closed():
    config = aws("confidential", **KMS)["config"]
    config.props["tags"]["modelfleet/classification"] = "secret"
    assert run(KMS_POLICY, config.resource_args()).messages == [
        "modelfleet/classification 'secret' is not one of public, internal, confidential, "
        "restricted: cannot tell whether its data needs a KMS key"
    ]


def test_a_kms_key_unknown_at_preview_is_noted_not_passed():
    config = aws("confidential", **KMS)["config"]
    config.props["kmsKeyArn"] = UNKNOWN
    outcome = run(KMS_POLICY, config.resource_args())
    assert outcome.messages == []
    assert outcome.preview == (
        "kmsKeyArn of fraud-scorer-aws-frankfurt-config: unknown at preview; checked again at update"
    )


def test_kms_ignores_other_resources():
    assert run(KMS_POLICY, aws("confidential")["model"].resource_args()).violations == []


# --- aws-sagemaker-model-isolation -------------------------------------------------------


def test_a_restricted_model_in_a_vpc_with_isolation_passes():
    assert (
        run(ISOLATION_POLICY, aws("restricted", **KMS, **VPC)["model"].resource_args()).messages
        == []
    )


def test_isolation_is_only_for_restricted_data():
    assert run(ISOLATION_POLICY, aws("confidential", **KMS)["model"].resource_args()).messages == []


def test_a_restricted_model_outside_a_vpc_is_refused():
    assert run(ISOLATION_POLICY, aws("restricted", **KMS)["model"].resource_args()).messages == [
        "restricted data needs a VPC: vpcConfig.subnets and vpcConfig.securityGroupIds not set "
        "(set subnet_ids and security_group_ids on the location)"
    ]


def test_a_restricted_model_without_network_isolation_is_refused():
    model = aws("restricted", **KMS, **VPC)["model"]
    model.props["enableNetworkIsolation"] = False
    model.props["vpcConfig"]["securityGroupIds"] = []
    assert run(ISOLATION_POLICY, model.resource_args()).messages == [
        "restricted data needs network isolation: enableNetworkIsolation is not true",
        "restricted data needs a VPC: vpcConfig.securityGroupIds not set "
        "(set subnet_ids and security_group_ids on the location)",
    ]


def test_missing_isolation_property_is_not_isolation():
    model = aws("restricted", **KMS, **VPC)["model"]
    del model.props["enableNetworkIsolation"]
    assert run(ISOLATION_POLICY, model.resource_args()).messages == [
        "restricted data needs network isolation: enableNetworkIsolation is not true"
    ]


def test_unknown_subnets_are_noted_not_passed():
    model = aws("restricted", **KMS, **VPC)["model"]
    model.props["vpcConfig"]["subnets"] = UNKNOWN
    outcome = run(ISOLATION_POLICY, model.resource_args())
    assert outcome.messages == []
    assert outcome.preview == (
        "vpcConfig.subnets of fraud-scorer-aws-frankfurt-model: "
        "unknown at preview; checked again at update"
    )
