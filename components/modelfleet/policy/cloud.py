"""The checks of the policies on managed cloud endpoints: SageMaker's KMS key and network
isolation, Azure ML's public network access.
"""

from pulumi_policy import ResourceValidationArgs

from modelfleet.config import SENSITIVE, Classification
from modelfleet.policy.resources import (
    AZURE_ONLINE_ENDPOINT,
    CLASSIFICATION,
    MISSING,
    SAGEMAKER_ENDPOINT_CONFIG,
    SAGEMAKER_MODEL,
    Findings,
    Unknown,
    is_arc,
    is_set,
    label_spelling,
    lookup,
    read_labels,
)


def _classification(
    args: ResourceValidationArgs, findings: Findings, question: str
) -> Classification | None:
    """The classification a resource's labels declare; a violation when they do not."""
    key = label_spelling(args.resource_type, CLASSIFICATION)
    labels = read_labels(args.resource_type, args.props)
    if isinstance(labels, Unknown):
        findings.unknown(labels, args.name)
        return None
    value = labels.get(CLASSIFICATION, MISSING) if isinstance(labels, dict) else MISSING
    if isinstance(value, Unknown):
        findings.unknown(value, args.name)
        return None
    if not isinstance(value, str):
        findings.violation(f"no {key} label: cannot tell whether {question}")
        return None
    try:
        return Classification(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Classification)
        findings.violation(
            f"{key} {value!r} is not one of {allowed}: cannot tell whether {question}"
        )
        return None


# --- AWS ------------------------------------------------------------------------------


def endpointconfig_kms(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != SAGEMAKER_ENDPOINT_CONFIG:
        return
    classification = _classification(args, findings, "its data needs a KMS key")
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


def model_isolation(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != SAGEMAKER_MODEL:
        return
    if _classification(args, findings, "it needs isolation") is not Classification.RESTRICTED:
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


# --- Azure ----------------------------------------------------------------------------


def azure_no_public_access(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != AZURE_ONLINE_ENDPOINT or is_arc(args.resource_type, args.props):
        return  # an Arc endpoint has no such switch: it is as reachable as its cluster
    classification = _classification(args, findings, "it must refuse public traffic")
    if classification not in SENSITIVE:
        return
    access = lookup(args.props, "properties", "publicNetworkAccess")
    if isinstance(access, Unknown):
        findings.unknown(access, args.name)
    elif not isinstance(access, str):
        findings.violation(
            f"{classification} data needs publicNetworkAccess Disabled; "
            "it is not set, and Azure's default is Enabled"
        )
    elif access.lower() != "disabled":
        findings.violation(
            f"{classification} data needs publicNetworkAccess Disabled, not {access!r}"
        )
