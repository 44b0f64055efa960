"""modelfleet's CrossGuard pack: the policies of every concern, assembled in run order.

Each policy (name, description, enforcement level, config schema, check) is declared in
the module of its concern; its name and description come from :mod:`modelfleet.rulebook`.
``policies/__main__.py`` serves :data:`POLICIES`.
"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from modelfleet.policy import (
    azure_ml,
    edge,
    images,
    kubernetes,
    labels,
    residency,
    sagemaker,
    same_digest,
)

PACK_NAME = "modelfleet"
AnyPolicy = ResourceValidationPolicy | StackValidationPolicy
LEVELS = tuple(level.value for level in EnforcementLevel)

POLICIES: list[AnyPolicy] = [
    residency.RESIDENCY,
    sagemaker.ENDPOINTCONFIG_KMS,
    sagemaker.MODEL_ISOLATION,
    azure_ml.NO_PUBLIC_ACCESS,
    kubernetes.DEPLOYMENT_HARDENED,
    kubernetes.NETWORKPOLICY_REQUIRED,
    images.PINNED,
    images.REGISTRY,
    same_digest.SAME_DIGEST,
    edge.SECURE_TRANSPORT,
    edge.HARDENED,
    labels.LABELS_PRESENT,
]
"""Every policy of the pack, in the order the engine runs them."""

BY_NAME: dict[str, AnyPolicy] = {policy.name: policy for policy in POLICIES}
