"""The policies of modelfleet's CrossGuard pack, and the config they take.

Each policy checks one concern on the real properties of resources (the AWS region of
a provider, an Azure location, a container's security context) and names the
property it read. Placements are judged by :mod:`modelfleet.rules`, the functions
``modelfleet plan`` runs on the stack config, so the two cannot disagree.

Enforcement levels are Pulumi's own: each policy declares one, and a policy config
file overrides it (``"all": "advisory"``, or ``{"enforcementLevel": ...}`` per policy)
beside the policies' properties — see ``policies/config/*.json`` and :func:`reconcile`.

Example
-------
>>> from pulumi_policy import PolicyPack
>>> PolicyPack(PACK_NAME, [*POLICIES])  # policies/__main__.py: it starts a server
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from modelfleet.config import SENSITIVE, Classification, image_digest
from modelfleet.policy.resources import (
    AZURE_ONLINE_ENDPOINT,
    CLASSIFICATION,
    K8S_DEPLOYMENT,
    K8S_NETWORK_POLICY,
    LABEL_KEYS,
    MISSING,
    MODEL,
    SAGEMAKER_ENDPOINT_CONFIG,
    SAGEMAKER_MODEL,
    TAGGABLE,
    Findings,
    ModelData,
    Unknown,
    Whereabouts,
    checked,
    images,
    in_modelfleet_component,
    is_arc,
    is_dynamic,
    is_set,
    items,
    keys,
    kind_of,
    label_spelling,
    labels_path,
    locate,
    lookup,
    model_data,
    read_labels,
    registry_allowed,
    registry_of,
)
from modelfleet.rules import (
    PolicyConfig,
    Verdict,
    edge_public_because,
    exposure_refusals,
    residency_refusals,
    sagemaker_public_because,
)

PACK_NAME = "modelfleet"
AnyPolicy = ResourceValidationPolicy | StackValidationPolicy
RESIDENCY = "modelfleet-residency"
REGISTRIES = "image-registry-allowed"
LEVELS = tuple(level.value for level in EnforcementLevel)


def _name(args: ResourceValidationArgs) -> str:
    return args.name


def _the_stack(_: StackValidationArgs) -> str:
    return "the stack"


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


def _endpointconfig_kms(args: ResourceValidationArgs, findings: Findings) -> None:
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


def _model_isolation(args: ResourceValidationArgs, findings: Findings) -> None:
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


def _azure_no_public_access(args: ResourceValidationArgs, findings: Findings) -> None:
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


# --- Kubernetes -----------------------------------------------------------------------


def _deployment_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != K8S_DEPLOYMENT:
        return
    pod_path = ("spec", "template", "spec")
    pod = lookup(args.props, *pod_path)
    if isinstance(pod, Unknown):
        findings.unknown(pod, args.name)
        return
    if not isinstance(pod, Mapping):
        findings.violation("no pod template (spec.template.spec): cannot check its containers")
        return

    def read(*path: str | int) -> Any:
        value = lookup(args.props, *pod_path, *path)
        if isinstance(value, Unknown):
            findings.unknown(value, args.name)
        return value

    if read("hostNetwork") is True:
        findings.violation("the pod uses the host network (hostNetwork: true)")
    for index in _indices(read("volumes")):
        volume = read("volumes", index)
        if isinstance(volume, Mapping) and "hostPath" in keys(volume):
            name = lookup(volume, "name")
            findings.violation(
                f"volume {name if isinstance(name, str) else index!r} mounts a host path"
            )
    pod_context = {key: read("securityContext", key) for key in ("runAsUser", "runAsNonRoot")}
    for group in ("initContainers", "containers"):
        for index in _indices(read(group)):
            if not isinstance(read(group, index), Unknown):
                _check_container(
                    lambda *path, g=group, i=index: read(g, i, *path), pod_context, findings
                )


def _indices(value: Any) -> range:
    """Indices of a list property; none for an unknown or missing one (noted by the reader)."""
    return range(len(items(value)))


def _check_container(read: Any, pod_context: Mapping[str, Any], findings: Findings) -> None:
    name = lookup(read(), "name")
    which = f"container {name!r}" if isinstance(name, str) else "a container"

    def effective(key: str) -> Any:
        own = read("securityContext", key)
        return pod_context[key] if own is MISSING or own is None else own

    if read("securityContext", "privileged") is True:
        findings.violation(f"{which} runs privileged")
    run_as_user, non_root = effective("runAsUser"), effective("runAsNonRoot")
    undecided = isinstance(run_as_user, Unknown) or isinstance(non_root, Unknown)
    non_zero_user = isinstance(run_as_user, int) and run_as_user > 0
    if run_as_user == 0:
        findings.violation(f"{which} runs as root (runAsUser: 0)")
    elif not undecided and non_root is not True and not non_zero_user:
        findings.violation(
            f"{which} may run as root: set runAsNonRoot: true or a non-zero runAsUser"
        )
    for resource_name in ("cpu", "memory"):
        limit = read("resources", "limits", resource_name)
        if not isinstance(limit, Unknown) and not is_set(limit):
            findings.violation(f"{which} sets no {resource_name} limit")


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """True when a label selector (matchLabels, matchExpressions) selects ``labels``."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = lookup(selector, "matchLabels")
    if isinstance(match_labels, Mapping) and any(
        labels.get(key) != lookup(match_labels, key) for key in keys(match_labels)
    ):
        return False
    for expression in items(lookup(selector, "matchExpressions")):
        key, operator = lookup(expression, "key"), lookup(expression, "operator")
        values = [v for v in items(lookup(expression, "values")) if isinstance(v, str)]
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if (operator == "Exists") != present and operator in {"Exists", "DoesNotExist"}:
            return False
    return True


def _networkpolicy_required(args: StackValidationArgs, findings: Findings) -> None:
    def cluster(resource: PolicyResource) -> str | None:
        return resource.provider.urn if resource.provider is not None else None

    def namespace(resource: PolicyResource) -> str | Unknown:
        value = lookup(resource.props, "metadata", "namespace")
        if isinstance(value, Unknown):
            return value
        return value if isinstance(value, str) and value else "default"

    policies = [r for r in args.resources if r.resource_type == K8S_NETWORK_POLICY]
    for deployment in args.resources:
        if deployment.resource_type != K8S_DEPLOYMENT:
            continue
        labels = read_labels(deployment.resource_type, deployment.props)
        if isinstance(labels, Unknown):
            findings.unknown(labels, deployment.name)
            continue
        value = labels.get(CLASSIFICATION, MISSING) if isinstance(labels, dict) else MISSING
        if isinstance(value, Unknown):
            findings.unknown(value, deployment.name)
            continue
        if not isinstance(value, str):
            findings.violation(
                f"Deployment {deployment.name}: no {CLASSIFICATION} label: "
                "cannot tell whether it needs a NetworkPolicy",
                deployment.urn,
            )
            continue
        if value != Classification.RESTRICTED:
            continue
        pod_labels = lookup(deployment.props, "spec", "template", "metadata", "labels")
        where = namespace(deployment)
        if isinstance(pod_labels, Unknown) or isinstance(where, Unknown):
            unknown = pod_labels if isinstance(pod_labels, Unknown) else where
            findings.unknown(unknown, deployment.name)  # type: ignore[arg-type]
            continue
        pods = (
            {k: lookup(pod_labels, k) for k in keys(pod_labels)}
            if isinstance(pod_labels, Mapping)
            else {}
        )
        fenced = False
        for candidate in policies:
            if cluster(candidate) != cluster(deployment):
                continue
            other = namespace(candidate)
            if isinstance(other, Unknown):
                findings.unknown(other, candidate.name)
                continue
            selector = lookup(candidate.props, "spec", "podSelector")
            if isinstance(selector, Unknown):
                findings.unknown(selector, candidate.name)
            elif other == where and _selects(selector, pods):
                fenced = True
        if not fenced:
            model = labels.get(MODEL) if isinstance(labels, dict) else None
            findings.violation(
                f"restricted model {model if isinstance(model, str) else '?'}: no NetworkPolicy "
                f"in namespace {where!r} of its cluster selects the pods of Deployment "
                f"{deployment.name}",
                deployment.urn,
            )


# --- images ---------------------------------------------------------------------------


def _image_pinned(args: ResourceValidationArgs, findings: Findings) -> None:
    for which, image in images(args.resource_type, args.props):
        if isinstance(image, Unknown):
            findings.unknown(image, args.name)
        elif not isinstance(image, str) or not image:
            findings.violation(f"{which} names no image")
        elif image_digest(image) is None:
            findings.violation(
                f"{which}: image {image!r} is not pinned by digest (@sha256:<64 hex>)"
            )


def registries_config(config: Mapping[str, Any]) -> PolicyConfig:
    """The registry allow-list of ``image-registry-allowed``'s config (empty: any)."""
    return PolicyConfig.model_validate({"registries": list(config.get("registries", []))})


def _image_registry(args: ResourceValidationArgs, findings: Findings) -> None:
    allowed = registries_config(args.get_config()).registries
    for which, image in images(args.resource_type, args.props):
        if isinstance(image, Unknown):
            findings.unknown(image, args.name)
        elif not isinstance(image, str) or not image:
            findings.violation(f"{which} names no image")
        elif not registry_allowed(registry := registry_of(image), allowed):
            findings.violation(
                f"{which}: image {image!r} comes from {registry}, "
                f"which is not an allowed registry ({', '.join(allowed)})"
            )


# --- edge -----------------------------------------------------------------------------


def _edge_labels(args: ResourceValidationArgs) -> bool:
    """True for an edge container: a dynamic resource with modelfleet labels or inputs."""
    if not is_dynamic(args.resource_type):
        return False
    return lookup(args.props, "docker_host") is not MISSING or (
        isinstance(labels := read_labels(args.resource_type, args.props), dict) and MODEL in labels
    )


def _docker_host_secure(args: ResourceValidationArgs, findings: Findings) -> None:
    if not _edge_labels(args):
        return
    host = lookup(args.props, "docker_host")
    if isinstance(host, Unknown):
        findings.unknown(host, args.name)
        return
    if not isinstance(host, str) or not host:
        findings.violation("no docker_host: cannot tell how its Docker engine is reached")
        return
    scheme, sep, _ = host.partition("://")
    if not sep or scheme not in {"unix", "ssh", "tcp"}:
        findings.violation(
            f"Docker host {host!r}: expected unix://, ssh:// or tcp:// with mutual TLS"
        )
        return
    if scheme != "tcp":
        return
    tls = lookup(args.props, "tls")
    if isinstance(tls, Unknown):
        findings.unknown(tls, args.name)
    elif not isinstance(tls, Mapping) or not all(
        is_set(lookup(tls, k)) for k in ("ca", "cert", "key")
    ):
        findings.violation(
            f"Docker host {host!r} is plain tcp:// without mutual TLS: anyone who reaches "
            "the port controls the engine (set tls: ca, cert, key; or use ssh://)"
        )


def _edge_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
    if not _edge_labels(args):
        return
    privileged = lookup(args.props, "privileged")
    network = lookup(args.props, "network_mode")
    read_only = lookup(args.props, "read_only")
    for value in (privileged, network, read_only):
        if isinstance(value, Unknown):
            findings.unknown(value, args.name)
    if privileged is True:
        findings.violation("the container runs privileged")
    if network == "host":
        findings.violation("the container uses the host network (network_mode: host)")
    if not isinstance(read_only, Unknown) and read_only is not True:
        findings.violation("the container's root filesystem is writable (read_only is not true)")


# --- labels ---------------------------------------------------------------------------


def _labels_present(args: ResourceValidationArgs, findings: Findings) -> None:
    taggable = (
        args.resource_type in TAGGABLE
        or is_dynamic(args.resource_type)
        or (
            labels_path(args.resource_type) is not None
            and args.resource_type.startswith("kubernetes:")
        )
    )
    if not taggable or not in_modelfleet_component(args.urn):
        return
    labels = read_labels(args.resource_type, args.props)
    if isinstance(labels, Unknown):
        findings.unknown(labels, args.name)
        return
    present = labels if isinstance(labels, dict) else {}
    absent = [label_spelling(args.resource_type, k) for k in LABEL_KEYS if k not in present]
    if absent:
        findings.violation(f"missing labels: {', '.join(absent)}")


# --- placements -----------------------------------------------------------------------


def residency_config(config: Mapping[str, Any]) -> PolicyConfig:
    """The allowed jurisdictions of ``modelfleet-residency``'s config (rules' semantics)."""
    return PolicyConfig.model_validate(
        {"allowed_jurisdictions": dict(config.get("allowed_jurisdictions", {}))}
    )


@dataclass(frozen=True)
class Placement:
    """The verdict for one model at one location, judged from real resources."""

    verdict: Verdict
    evidence: str
    """The real property that put it in its jurisdiction, e.g. ``AWS region us-east-1``."""
    urn: str
    """The first resource found there."""

    @property
    def message(self) -> str:
        v = self.verdict
        return f"{v.model} at {v.location} is in {v.jurisdiction} ({self.evidence}): {v.reason}"


@dataclass
class _Site:
    data: ModelData
    kind: str
    where: Whereabouts
    urn: str


@dataclass
class _Exposure:
    subnets: list[list[str]] = field(default_factory=list)
    binds: list[tuple[str, str]] = field(default_factory=list)


def _parent(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return resource.parent.urn
    return resource.opts.parent if resource.opts is not None else None


def _identities(
    resources: Sequence[PolicyResource], findings: Findings
) -> dict[str, ModelData | str | Unknown]:
    """Each labelled resource's model data, why its labels do not say, or what is unknown."""
    identities: dict[str, ModelData | str | Unknown] = {}
    for resource in resources:
        if kind_of(resource.resource_type) is None:
            continue
        labels = read_labels(resource.resource_type, resource.props)
        if isinstance(labels, Unknown):
            identities[resource.urn] = labels
        elif isinstance(labels, dict) and MODEL in labels:
            unknown = next((v for v in labels.values() if isinstance(v, Unknown)), None)
            identities[resource.urn] = unknown or model_data(labels)
    return identities


def judge_stack(
    resources: Sequence[PolicyResource], policy: PolicyConfig, findings: Findings
) -> list[Placement]:
    """A verdict for every (model, location, jurisdiction) the stack's resources occupy.

    A resource without labels takes its model from a labelled sibling (same parent):
    what places it is its own region or location, never a neighbour's.
    """
    identities = _identities(resources, findings)
    by_parent: dict[str | None, ModelData] = {}
    for resource in resources:
        data = identities.get(resource.urn)
        if isinstance(data, ModelData):
            by_parent.setdefault(_parent(resource), data)

    sites: dict[tuple[str, str, str, str], list[_Site]] = {}
    exposure: dict[tuple[str, str], _Exposure] = {}
    for resource in resources:
        kind = kind_of(resource.resource_type)
        if kind is None:
            continue
        own = identities.get(resource.urn)
        if isinstance(own, Unknown):
            findings.unknown(own, resource.name)
            continue
        if isinstance(own, str):
            findings.violation(f"{resource.name}: {own}: cannot judge its placement", resource.urn)
            continue
        data = own or by_parent.get(_parent(resource))
        if data is None:
            if in_modelfleet_component(resource.urn) and labels_path(resource.resource_type):
                findings.violation(
                    f"{resource.name}: no {MODEL} label on it or beside it: "
                    "cannot tell whose data it holds",
                    resource.urn,
                )
            continue
        provider = resource.provider.props if resource.provider is not None else None
        where = locate(resource.resource_type, resource.props, provider, data)
        if where is None:
            continue
        if isinstance(where, Unknown):
            findings.unknown(where, resource.name)
            continue
        if isinstance(where, str):
            findings.violation(
                f"{resource.name}: {where}: cannot judge its placement", resource.urn
            )
            continue
        sites.setdefault((data.model, data.location, kind, where.jurisdiction), []).append(
            _Site(data, kind, where, resource.urn)
        )
        _collect_exposure(
            resource, exposure.setdefault((data.model, data.location), _Exposure()), findings
        )

    placements = []
    for (model, location, kind, jurisdiction), found in sites.items():
        data = found[0].data
        refusals = residency_refusals(
            data.classification, list(data.residency), jurisdiction, policy
        )
        public = _public_because(kind, exposure[(model, location)])
        refusals += exposure_refusals(data.classification, public)
        verdict = Verdict(model, location, kind, jurisdiction, tuple(refusals))
        placements.append(Placement(verdict, found[0].where.evidence, found[0].urn))
    return placements


def _collect_exposure(resource: PolicyResource, exposure: _Exposure, findings: Findings) -> None:
    if resource.resource_type == SAGEMAKER_MODEL:
        subnets = lookup(resource.props, "vpcConfig", "subnets")
        unknown = next((s for s in [subnets, *items(subnets)] if isinstance(s, Unknown)), None)
        if unknown is not None:
            findings.unknown(unknown, resource.name)
        else:
            exposure.subnets.append([s for s in items(subnets) if isinstance(s, str)])
    elif is_dynamic(resource.resource_type):
        bind = lookup(resource.props, "bind")
        host = lookup(resource.props, "host")
        if isinstance(bind, Unknown):
            findings.unknown(bind, resource.name)
        elif isinstance(bind, str):
            exposure.binds.append((host if isinstance(host, str) else resource.name, bind))


def _public_because(kind: str, exposure: _Exposure) -> str | None:
    if kind == "aws":
        for subnets in exposure.subnets:
            if (reason := sagemaker_public_because(subnets)) is not None:
                return reason
    if kind == "edge":
        return edge_public_because(exposure.binds)
    return None


def _residency(args: StackValidationArgs, findings: Findings) -> None:
    policy = residency_config(args.get_config())
    for placement in judge_stack(args.resources, policy, findings):
        if not placement.verdict.allowed:
            findings.violation(placement.message, placement.urn)


# --- the pack -------------------------------------------------------------------------

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
        validate=checked(_residency, _the_stack),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"allowed_jurisdictions": ALLOWED_JURISDICTIONS_SCHEMA}),
    ),
    ResourceValidationPolicy(
        name="aws-sagemaker-endpointconfig-kms",
        description=(
            "SageMaker endpoint configurations for confidential or restricted data "
            "encrypt their storage with a KMS key."
        ),
        validate=checked(_endpointconfig_kms, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="aws-sagemaker-model-isolation",
        description="SageMaker models for restricted data run in a VPC with network isolation.",
        validate=checked(_model_isolation, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="azure-ml-endpoint-no-public-access",
        description=(
            "Azure ML online endpoints for confidential or restricted data refuse "
            "public network access."
        ),
        validate=checked(_azure_no_public_access, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="kubernetes-deployment-hardened",
        description=(
            "Kubernetes Deployments run unprivileged, non-root containers with cpu and "
            "memory limits, off the host network and host paths."
        ),
        validate=checked(_deployment_hardened, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="kubernetes-networkpolicy-required",
        description=(
            "Every Kubernetes Deployment of restricted data has a NetworkPolicy in its "
            "namespace that selects its pods."
        ),
        validate=checked(_networkpolicy_required, _the_stack),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="image-pinned-by-digest",
        description="Every container image is pinned by digest, so what runs is what was reviewed.",
        validate=checked(_image_pinned, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name=REGISTRIES,
        description="Every container image comes from a registry the policy config allows.",
        validate=checked(_image_registry, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=PolicyConfigSchema({"registries": REGISTRIES_SCHEMA}),
    ),
    ResourceValidationPolicy(
        name="edge-docker-host-secure-transport",
        description=(
            "Edge containers reach their Docker engine over unix://, ssh:// or tcp:// "
            "with mutual TLS, never plain TCP."
        ),
        validate=checked(_docker_host_secure, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="edge-container-hardened",
        description=(
            "Edge containers run unprivileged, off the host network, with a read-only "
            "root filesystem."
        ),
        validate=checked(_edge_hardened, _name),
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="modelfleet-labels-present",
        description=(
            "Every resource modelfleet makes carries its model, version, location, "
            "classification, jurisdiction and residency labels."
        ),
        validate=checked(_labels_present, _name),
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
]
"""Every policy of the pack, in the order the engine runs them."""

BY_NAME: dict[str, AnyPolicy] = {policy.name: policy for policy in POLICIES}


# --- policy config files --------------------------------------------------------------


def pack_config_schema() -> dict[str, Any]:
    """JSON Schema of a policy config file (``--policy-pack-config``) for this pack."""
    level = {"type": "string", "enum": list(LEVELS)}

    def entry(properties: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "oneOf": [
                level,
                {
                    "type": "object",
                    "properties": {"enforcementLevel": level, **properties},
                    "additionalProperties": False,
                },
            ]
        }

    entries = {"all": entry({})}
    for policy in POLICIES:
        entries[policy.name] = entry(_schema_properties(policy))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{PACK_NAME} policy pack config",
        "type": "object",
        "properties": entries,
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class PolicySettings:
    """What a policy config gives one policy: its enforcement level and its properties."""

    enforcement: str
    properties: dict[str, Any]


def reconcile(document: Mapping[str, Any]) -> dict[str, PolicySettings]:
    """Each policy's settings under a policy config file, as the engine works them out.

    The policy's own level and its schema's defaults first, then ``all``'s level, then
    the policy's own entry (Pulumi's ``ReconcilePolicyPackConfig``). Stricter than the
    engine: an unknown policy or property is an error, not ignored.
    """
    errors: list[str] = []
    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in document.items():
        if key != "all" and key not in BY_NAME:
            errors.append(f"{key}: no policy of that name (policies: {', '.join(BY_NAME)})")
            continue
        level: str | None
        if isinstance(value, str):
            level, properties = value, {}
        elif isinstance(value, Mapping):
            level = value.get("enforcementLevel")
            properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        else:
            errors.append(f"{key}: expected an enforcement level or an object")
            continue
        if level is not None and level not in LEVELS:
            errors.append(f"{key}: {level!r} is not an enforcement level ({', '.join(LEVELS)})")
        known = _schema_properties(BY_NAME[key]) if key in BY_NAME else {}
        errors += [f"{key}.{name}: unknown property" for name in properties if name not in known]
        parsed[key] = (level, properties)
    if errors:
        raise ValueError("invalid policy config: " + "; ".join(errors))

    settings: dict[str, PolicySettings] = {}
    all_level = parsed.get("all", (None, {}))[0]
    for policy in POLICIES:
        schema = _schema_properties(policy)
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        own_level, own_properties = parsed.get(policy.name, (None, {}))
        default_level = policy.enforcement_level or EnforcementLevel.ADVISORY
        level = own_level or all_level or default_level.value
        settings[policy.name] = PolicySettings(level, {**defaults, **own_properties})
    residency_config(settings[RESIDENCY].properties)  # pydantic checks both, key paths and all
    registries_config(settings[REGISTRIES].properties)
    return settings


def _schema_properties(policy: Policy) -> dict[str, dict[str, Any]]:
    return policy.config_schema.properties if policy.config_schema is not None else {}


def policy_config(document: Mapping[str, Any]) -> PolicyConfig:
    """A policy config file as :class:`modelfleet.rules.PolicyConfig`, for ``modelfleet plan``.

    No policy here remediates, so ``remediate`` acts as ``mandatory`` (as the engine
    treats a violation it could not remediate).
    """
    settings = reconcile(document)
    return PolicyConfig.model_validate(
        {
            **residency_config(settings[RESIDENCY].properties).model_dump(
                include={"allowed_jurisdictions"}
            ),
            "registries": registries_config(settings[REGISTRIES].properties).registries,
            "enforcement": {
                name: "mandatory" if s.enforcement == "remediate" else s.enforcement
                for name, s in settings.items()
            },
        }
    )
