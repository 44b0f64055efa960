"""modelfleet's labels on a resource (tags on AWS and Azure): where each type keeps them,
how Azure spells them, and what model data they declare.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet.config import Classification
from modelfleet.labels import residency_from_label
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.props import MISSING, Missing, Unknown, keys, lookup
from modelfleet.policy.read.types import AZURE_PROPERTY_TAGGED, is_dynamic

MODEL = "modelfleet/model"
VERSION = "modelfleet/version"
LOCATION = "modelfleet/location"
CLASSIFICATION = "modelfleet/classification"
JURISDICTION = "modelfleet/jurisdiction"
RESIDENCY = "modelfleet/residency"
MANAGED_BY = "managed-by"
LABEL_KEYS = (MODEL, VERSION, LOCATION, CLASSIFICATION, JURISDICTION, RESIDENCY, MANAGED_BY)
"""Every label modelfleet puts on what it makes (see :mod:`modelfleet.labels`)."""


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


def label_spelling(resource_type: str, key: str) -> str:
    """A label key as the resource spells it (Azure: ``modelfleet.model``)."""
    if resource_type.startswith("azure-native:"):
        return key.replace("/", ".")
    return key


def in_modelfleet_component(urn: str) -> bool:
    """True when a modelfleet component is among the resource's ancestors (from its URN)."""
    parts = urn.split("::")
    return len(parts) >= 4 and any(t.startswith("modelfleet:") for t in parts[2].split("$")[:-1])


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


def declared_classification(
    resource_type: str, props: Mapping[str, Any], name: str, findings: Findings, question: str
) -> Classification | None:
    """The classification a resource's labels declare; a violation when they do not.

    ``question`` finishes "cannot tell whether ...": what the policy needed it for.
    """
    key = label_spelling(resource_type, CLASSIFICATION)
    labels = read_labels(resource_type, props)
    if isinstance(labels, Unknown):
        findings.unknown(labels, name)
        return None
    value = labels.get(CLASSIFICATION, MISSING) if isinstance(labels, dict) else MISSING
    if isinstance(value, Unknown):
        findings.unknown(value, name)
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
