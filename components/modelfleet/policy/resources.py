"""What the policy pack reads off a resource: its real properties, as the engine sends them.

Property names are the engine's (``kmsKeyArn``, ``spec.template.spec``), not the
Python SDKs'. During a preview some values are not known yet; the engine hands them
over as sentinels, and reading one through its proxy raises ``UnknownValueError``.
:func:`lookup` turns both into an :class:`Unknown`, so a policy can say what it could
not check instead of passing silently, and :func:`checked` makes every policy end in
one explicit advisory note per preview ("... unknown at preview; checked again at
update") after reporting the violations it could decide.
"""

import fnmatch
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pulumi_policy import ReportViolation
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from modelfleet import jurisdictions
from modelfleet.config import Classification
from modelfleet.labels import residency_from_label

DYNAMIC = "pulumi-python:dynamic:Resource"
"""Type of a Python dynamic resource that names no module and type of its own."""
EDGE_CONTAINER = "pulumi-python:dynamic/edge:EdgeContainer"
"""Type of ``EdgeContainer`` (a dynamic resource declared with module and name)."""
SAGEMAKER_MODEL = "aws:sagemaker/model:Model"
SAGEMAKER_ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
AZURE_ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
AZURE_ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AZURE_ENVIRONMENT_VERSION = "azure-native:machinelearningservices:EnvironmentVersion"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_POD_TEMPLATES = frozenset(
    {K8S_DEPLOYMENT, "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet"}
)

MODEL = "modelfleet/model"
VERSION = "modelfleet/version"
LOCATION = "modelfleet/location"
CLASSIFICATION = "modelfleet/classification"
JURISDICTION = "modelfleet/jurisdiction"
RESIDENCY = "modelfleet/residency"
MANAGED_BY = "managed-by"
LABEL_KEYS = (MODEL, VERSION, LOCATION, CLASSIFICATION, JURISDICTION, RESIDENCY, MANAGED_BY)
"""Every label modelfleet puts on what it makes (see :mod:`modelfleet.labels`)."""

AZURE_PROPERTY_TAGGED = frozenset(
    {
        "azure-native:machinelearningservices:EnvironmentContainer",
        AZURE_ENVIRONMENT_VERSION,
    }
)
"""Azure ML assets keep their tags inside ``properties``, not beside them."""
TAGGABLE = frozenset(
    {
        SAGEMAKER_MODEL,
        SAGEMAKER_ENDPOINT_CONFIG,
        "aws:sagemaker/endpoint:Endpoint",
        "aws:iam/role:Role",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:appautoscaling/target:Target",
        AZURE_ONLINE_ENDPOINT,
        AZURE_ONLINE_DEPLOYMENT,
        "azure-native:resources:Deployment",
        *AZURE_PROPERTY_TAGGED,
    }
)
"""AWS and Azure types modelfleet makes that take tags (every Kubernetes object and
edge container takes labels)."""
AWS_GLOBAL_PREFIXES = ("aws:iam/",)
"""IAM is global: its resources have no region to judge, whatever their provider's."""
AZURE_LOCATED = frozenset({AZURE_ONLINE_ENDPOINT, AZURE_ONLINE_DEPLOYMENT})
"""Azure types that run a model and must name their region explicitly."""

_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class Missing:
    """A property that is not set."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


@dataclass(frozen=True)
class Unknown:
    """A property whose value the engine does not know yet (a preview)."""

    path: str


def is_dynamic(resource_type: str) -> bool:
    """True for any Python dynamic resource: ``dynamic:Resource`` or ``dynamic/<module>:<Name>``."""
    return resource_type == DYNAMIC or resource_type.startswith("pulumi-python:dynamic/")


def is_unknown(value: object) -> bool:
    """True for the engine's placeholder of a value not known at preview."""
    return isinstance(value, str) and value in _SENTINELS


def render(path: Sequence[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` as ``spec.containers[0].image``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def lookup(props: object, *path: str | int) -> Any:
    """The value at ``path``; :data:`MISSING` when absent; :class:`Unknown` at preview."""
    current = props
    for depth, key in enumerate(path):
        try:
            if isinstance(key, int):
                if not _is_list(current) or key >= len(current):  # type: ignore[arg-type]
                    return MISSING
                current = current[key]  # type: ignore[index]
            else:
                if not isinstance(current, Mapping) or key not in keys(current):
                    return MISSING
                current = current[key]
        except UnknownValueError:
            return Unknown(render(path[: depth + 1]))
        if is_unknown(current):
            return Unknown(render(path[: depth + 1]))
    return current


def keys(mapping: Mapping[str, Any]) -> list[str]:
    """The keys of a mapping, without reading (and tripping over) unknown values."""
    return list(iter(mapping))


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(value: object) -> list[Any]:
    """The elements of a list property (empty when it is not a list)."""
    if not _is_list(value):
        return []
    return [lookup(value, index) for index in range(len(value))]  # type: ignore[arg-type]


def is_set(value: object) -> bool:
    """A property that is present and not empty (unknown values count as set)."""
    if value is MISSING or value is None or value == "":
        return False
    if isinstance(value, Mapping) or _is_list(value):
        return len(value) > 0  # type: ignore[arg-type]
    return True


# --- reporting ------------------------------------------------------------------------


class UnknownAtPreviewError(UnknownValueError):
    """What a policy could not check at preview; the engine reports it as advisory.

    The engine turns an ``UnknownValueError`` out of a policy into an advisory
    diagnostic carrying its ``message``, whatever the policy's enforcement level: the
    one way to say "not checked yet" without failing a preview.
    """

    def __init__(self, unknowns: Sequence[str]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.unknowns = list(unknowns)
        self.message = f"{'; '.join(self.unknowns)}: unknown at preview; checked again at update"


@dataclass
class Findings:
    """What one policy run found: violations it could decide, values it could not read."""

    violations: list[tuple[str, str | None]] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def violation(self, message: str, urn: str | None = None) -> None:
        self.violations.append((message, urn))

    def unknown(self, value: Unknown, resource: str) -> None:
        note = f"{value.path} of {resource}"
        if note not in self.unknowns:
            self.unknowns.append(note)


Args = TypeVar("Args")


def checked(
    check: Callable[[Args, Findings], None], subject: Callable[[Args], str]
) -> Callable[[Args, ReportViolation], None]:
    """A policy ``validate`` that reports what ``check`` found, then what it could not read."""

    def validate(args: Args, report_violation: ReportViolation) -> None:
        findings = Findings()
        try:
            check(args, findings)
        except UnknownAtPreviewError:
            raise
        except UnknownValueError as error:  # a value read without lookup()
            findings.unknown(Unknown(render(error.props)), subject(args))
        for message, urn in findings.violations:
            report_violation(message, urn)
        if findings.unknowns:
            raise UnknownAtPreviewError(findings.unknowns)

    return validate


# --- labels ---------------------------------------------------------------------------


def labels_path(resource_type: str) -> tuple[str, ...] | None:
    """Where a resource type keeps its labels or tags; None for a type that has none."""
    if resource_type.startswith("pulumi:"):
        return None  # providers and the stack
    if resource_type.startswith("kubernetes:"):
        return ("metadata", "labels")
    if resource_type in AZURE_PROPERTY_TAGGED:
        return ("properties", "tags")
    if resource_type.startswith(("aws:", "azure-native:")):
        return ("tags",)
    if is_dynamic(resource_type):
        return ("labels",)
    return None


def read_labels(resource_type: str, props: Mapping[str, Any]) -> dict[str, Any] | Missing | Unknown:
    """The resource's labels, Azure's ``modelfleet.model`` spelled ``modelfleet/model``.

    A label whose value is not known yet maps to an :class:`Unknown`.
    """
    path = labels_path(resource_type)
    if path is None:
        return MISSING
    found = lookup(props, *path)
    if isinstance(found, Unknown) or not isinstance(found, Mapping):
        return found if isinstance(found, Unknown) else MISSING
    result: dict[str, Any] = {}
    for key in keys(found):
        name = key.replace(".", "/", 1) if key.startswith("modelfleet.") else key
        result[name] = lookup(props, *path, key)
    return result


@dataclass(frozen=True)
class ModelData:
    """Which model's data a resource holds, and where that data may go, from its labels."""

    model: str
    location: str
    classification: Classification
    residency: tuple[str, ...]
    declared_jurisdiction: str | None


def model_data(labels: Mapping[str, Any]) -> ModelData | str:
    """The model data labels declare, or why they do not (a sentence)."""
    wanted = (MODEL, LOCATION, CLASSIFICATION, RESIDENCY)
    absent = [key for key in wanted if not isinstance(labels.get(key), str)]
    if absent:
        return f"no {', '.join(absent)} label"
    try:
        classification = Classification(labels[CLASSIFICATION])
    except ValueError:
        allowed = ", ".join(c.value for c in Classification)
        return f"{CLASSIFICATION} {labels[CLASSIFICATION]!r} is not one of {allowed}"
    declared = labels.get(JURISDICTION)
    return ModelData(
        model=labels[MODEL],
        location=labels[LOCATION],
        classification=classification,
        residency=tuple(residency_from_label(labels[RESIDENCY])),
        declared_jurisdiction=declared if isinstance(declared, str) else None,
    )


def label_spelling(resource_type: str, key: str) -> str:
    """A label key as the resource spells it (Azure: ``modelfleet.model``)."""
    if resource_type.startswith("azure-native:"):
        return key.replace("/", ".")
    return key


# --- where a resource is --------------------------------------------------------------


def kind_of(resource_type: str) -> str | None:
    """The location kind a resource type belongs to; None for providers and components."""
    if resource_type.startswith("aws:"):
        return "aws"
    if resource_type.startswith("azure-native:"):
        return "azure"
    if resource_type.startswith("kubernetes:"):
        return "kubernetes"
    if is_dynamic(resource_type):
        return "edge"
    return None


@dataclass(frozen=True)
class Whereabouts:
    """The country a resource is in, and the real property that says so."""

    jurisdiction: str
    evidence: str


def locate(
    resource_type: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any] | None,
    data: ModelData,
) -> Whereabouts | Unknown | str | None:
    """Where a resource runs: from its real region or location where one exists.

    AWS: the resource's own ``region`` (pulumi-aws v7) or else its provider's. Azure:
    ``location``, except on an Arc cluster, whose country is declared. Kubernetes and
    edge: the declared ``modelfleet/jurisdiction`` label (nothing else says it).
    Returns a sentence when the resource cannot be placed, None when it has no place
    to judge (IAM, Azure ML assets).
    """
    kind = kind_of(resource_type)
    if kind == "aws":
        if resource_type.startswith(AWS_GLOBAL_PREFIXES):
            return None
        return _aws_region(props, provider_props)
    if kind == "azure":
        return _azure_location(resource_type, props, data)
    if kind in {"kubernetes", "edge"}:
        if data.declared_jurisdiction is None:
            return f"no {JURISDICTION} label declares its country"
        return Whereabouts(data.declared_jurisdiction, f"declared by its {JURISDICTION} label")
    return None


def _aws_region(
    props: Mapping[str, Any], provider_props: Mapping[str, Any] | None
) -> Whereabouts | Unknown | str:
    region = lookup(props, "region")
    source = "AWS region {}"
    if region is MISSING or region is None:
        region = lookup(provider_props, "region") if provider_props is not None else MISSING
        source = "AWS region {} of its provider"
        if isinstance(region, Unknown):
            return Unknown(f"provider.{region.path}")
    if isinstance(region, Unknown):
        return region
    if not isinstance(region, str) or not region:
        return "no AWS region on the resource or its provider"
    if region not in jurisdictions.AWS_REGIONS:
        return f"AWS region {region!r} is not in modelfleet's region table"
    return Whereabouts(jurisdictions.AWS_REGIONS[region], source.format(region))


def _azure_location(
    resource_type: str, props: Mapping[str, Any], data: ModelData
) -> Whereabouts | Unknown | str | None:
    if is_arc(resource_type, props):
        if data.declared_jurisdiction is None:
            return f"no {label_spelling(resource_type, JURISDICTION)} tag declares its Arc cluster's country"
        return Whereabouts(data.declared_jurisdiction, "declared for its Arc cluster")
    location = lookup(props, "location")
    if isinstance(location, Unknown):
        return location
    if not isinstance(location, str) or not location:
        return "no location: set it explicitly" if resource_type in AZURE_LOCATED else None
    region = location.replace(" ", "").lower()
    if region not in jurisdictions.AZURE_REGIONS:
        return f"Azure location {location!r} is not in modelfleet's region table"
    return Whereabouts(jurisdictions.AZURE_REGIONS[region], f"Azure location {region}")


def is_arc(resource_type: str, props: Mapping[str, Any]) -> bool:
    """True for an Azure ML endpoint or deployment on an Arc-attached Kubernetes compute."""
    properties = lookup(props, "properties")
    if not isinstance(properties, Mapping):
        return False
    if resource_type == AZURE_ONLINE_ENDPOINT:
        return "compute" in keys(properties)  # its value (an ARM ID) may be unknown yet
    if resource_type == AZURE_ONLINE_DEPLOYMENT:
        return lookup(properties, "endpointComputeType") == "Kubernetes"
    return False


def in_modelfleet_component(urn: str) -> bool:
    """True when a modelfleet component is among the resource's ancestors (from its URN)."""
    parts = urn.split("::")
    return len(parts) >= 4 and any(t.startswith("modelfleet:") for t in parts[2].split("$")[:-1])


# --- images ---------------------------------------------------------------------------


def images(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every container image a resource runs, as ``(which container, image)``."""
    if resource_type in K8S_POD_TEMPLATES or resource_type == "kubernetes:core/v1:Pod":
        pod = (
            ("spec",) if resource_type == "kubernetes:core/v1:Pod" else ("spec", "template", "spec")
        )
        for group in ("initContainers", "containers"):
            listed = lookup(props, *pod, group)
            if isinstance(listed, Unknown):
                yield group, listed
            for index in range(len(items(listed))):
                name = lookup(props, *pod, group, index, "name")
                which = f"container {name!r}" if isinstance(name, str) else f"{group}[{index}]"
                yield which, lookup(props, *pod, group, index, "image")
    elif resource_type == SAGEMAKER_MODEL:
        if lookup(props, "primaryContainer") is not MISSING:
            yield "primary container", lookup(props, "primaryContainer", "image")
        listed = lookup(props, "containers")
        if isinstance(listed, Unknown):
            yield "containers", listed
        for index in range(len(items(listed))):
            yield f"container {index}", lookup(props, "containers", index, "image")
    elif resource_type == AZURE_ENVIRONMENT_VERSION:
        yield "environment", lookup(props, "properties", "image")
    elif is_dynamic(resource_type) and lookup(props, "image") is not MISSING:
        yield "container", lookup(props, "image")


def registry_of(image: str) -> str:
    """The registry host of an image reference, as Docker reads it (none: ``docker.io``)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def registry_allowed(registry: str, allowed: Sequence[str]) -> bool:
    """True when ``allowed`` is empty or one of its glob patterns matches ``registry``."""
    return not allowed or any(fnmatch.fnmatchcase(registry, pattern) for pattern in allowed)
