"""modelfleet's CrossGuard pack: every policy, with its enforcement level and config schema.

``policies/__main__.py`` serves :data:`POLICIES`; the checks live in a module per target.
"""

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from modelfleet.config import Classification
from modelfleet.policy.cloud import azure_no_public_access, endpointconfig_kms, model_isolation
from modelfleet.policy.containers import (
    docker_host_secure,
    edge_hardened,
    image_pinned,
    image_registry,
)
from modelfleet.policy.kubernetes import deployment_hardened, networkpolicy_required
from modelfleet.policy.labels import labels_present
from modelfleet.policy.residency import residency_respected
from modelfleet.policy.resources import checked

PACK_NAME = "modelfleet"
AnyPolicy = ResourceValidationPolicy | StackValidationPolicy
RESIDENCY = "modelfleet-residency"
REGISTRIES = "image-registry-allowed"
LEVELS = tuple(level.value for level in EnforcementLevel)


def _name(args: ResourceValidationArgs) -> str:
    return args.name


def _the_stack(_: StackValidationArgs) -> str:
    return "the stack"


ALLOWED_JURISDICTIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Per classification, the countries (ISO 3166-1 alpha-2) or groups (EU, EEA) its "
        "data may be processed in; a classification not listed may go anywhere its "
        "model's residency allows."
    ),
    "properties": {
        c.value: {"type": "array", "items": {"type": "string", "pattern": "^([A-Z]{2}|EEA)$"}}
        for c in Classification
    },
    "additionalProperties": False,
    "default": {},
}
REGISTRIES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": (
        "Registry hosts images may come from, as glob patterns "
        "(e.g. 111122223333.dkr.ecr.*.amazonaws.com); empty: any registry."
    ),
    "items": {"type": "string", "minLength": 1},
    "default": [],
}

POLICIES: list[AnyPolicy] = [
    StackValidationPolicy(
        name=RESIDENCY,
        description=(
            "No model's resources lie outside the jurisdictions its data may be processed "
            "in, and restricted data is on no public endpoint."
        ),
        validate=checked(residency_respected, _the_stack),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"allowed_jurisdictions": ALLOWED_JURISDICTIONS_SCHEMA}),
    ),
    ResourceValidationPolicy(
        name="aws-sagemaker-endpointconfig-kms",
        description=(
            "SageMaker endpoint configurations for confidential or restricted data "
            "encrypt their storage with a KMS key."
        ),
        validate=checked(endpointconfig_kms, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="aws-sagemaker-model-isolation",
        description="SageMaker models for restricted data run in a VPC with network isolation.",
        validate=checked(model_isolation, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="azure-ml-endpoint-no-public-access",
        description=(
            "Azure ML online endpoints for confidential or restricted data refuse "
            "public network access."
        ),
        validate=checked(azure_no_public_access, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="kubernetes-deployment-hardened",
        description=(
            "Kubernetes Deployments run unprivileged, non-root containers with cpu and "
            "memory limits, off the host network and host paths."
        ),
        validate=checked(deployment_hardened, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="kubernetes-networkpolicy-required",
        description=(
            "Every Kubernetes Deployment of restricted data has a NetworkPolicy in its "
            "namespace that selects its pods."
        ),
        validate=checked(networkpolicy_required, _the_stack),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="image-pinned-by-digest",
        description="Every container image is pinned by digest, so what runs is what was reviewed.",
        validate=checked(image_pinned, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name=REGISTRIES,
        description="Every container image comes from a registry the policy config allows.",
        validate=checked(image_registry, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"registries": REGISTRIES_SCHEMA}),
    ),
    ResourceValidationPolicy(
        name="edge-docker-host-secure-transport",
        description=(
            "Edge containers reach their Docker engine over unix://, ssh:// or tcp:// "
            "with mutual TLS, never plain TCP."
        ),
        validate=checked(docker_host_secure, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="edge-container-hardened",
        description=(
            "Edge containers run unprivileged, off the host network, with a read-only "
            "root filesystem."
        ),
        validate=checked(edge_hardened, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="modelfleet-labels-present",
        description=(
            "Every resource modelfleet makes carries its model, version, location, "
            "classification, jurisdiction and residency labels."
        ),
        validate=checked(labels_present, _name),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
"""Every policy of the pack, in the order the engine runs them."""

BY_NAME: dict[str, AnyPolicy] = {policy.name: policy for policy in POLICIES}
