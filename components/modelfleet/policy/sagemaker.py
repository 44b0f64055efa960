"""SageMaker data protection: sensitive endpoint storage is KMS-encrypted, restricted models
run isolated in a VPC.
"""

from pulumi_policy import ResourceValidationArgs

from modelfleet import rulebook
from modelfleet.config import SENSITIVE, Classification
from modelfleet.policy.declare import MANDATORY, resource_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import declared_classification
from modelfleet.policy.read.props import Unknown, is_set, lookup
from modelfleet.policy.read.types import SAGEMAKER_ENDPOINT_CONFIG, SAGEMAKER_MODEL


def check_endpointconfig_kms(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != SAGEMAKER_ENDPOINT_CONFIG:
        return
    classification = declared_classification(
        args.resource_type, args.props, args.name, findings, "its data needs a KMS key"
    )
    if classification not in SENSITIVE:
        return
    key = lookup(args.props, "kmsKeyArn")
    if isinstance(key, Unknown):
        findings.unknown(key, args.name)
    elif not is_set(key):
        findings.violation(
            f"{classification} data needs a KMS key: kmsKeyArn is not set "
            "(set kms_key_arn on the location)"
        )


ENDPOINTCONFIG_KMS = resource_policy(
    rulebook.SAGEMAKER_KMS,
    level=MANDATORY,
    check=check_endpointconfig_kms,
)


def check_model_isolation(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != SAGEMAKER_MODEL:
        return
    classification = declared_classification(
        args.resource_type, args.props, args.name, findings, "it needs isolation"
    )
    if classification is not Classification.RESTRICTED:
        return
    isolation = lookup(args.props, "enableNetworkIsolation")
    if isinstance(isolation, Unknown):
        findings.unknown(isolation, args.name)
    elif isolation is not True:
        findings.violation(
            "restricted data needs network isolation: enableNetworkIsolation is not true"
        )
    empty = []
    for key in ("subnets", "securityGroupIds"):
        value = lookup(args.props, "vpcConfig", key)
        if isinstance(value, Unknown):
            findings.unknown(value, args.name)
        elif not is_set(value):
            empty.append(f"vpcConfig.{key}")
    if empty:
        findings.violation(
            f"restricted data needs a VPC: {' and '.join(empty)} not set "
            "(set subnet_ids and security_group_ids on the location)"
        )


MODEL_ISOLATION = resource_policy(
    rulebook.SAGEMAKER_ISOLATION,
    level=MANDATORY,
    check=check_model_isolation,
)
