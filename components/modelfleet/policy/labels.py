"""Labelling: every resource modelfleet makes carries its labels, so the others can judge it."""

from pulumi_policy import ResourceValidationArgs

from modelfleet import rulebook
from modelfleet.policy.declare import ADVISORY, resource_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import (
    LABEL_KEYS,
    in_modelfleet_component,
    label_spelling,
    labels_path,
    read_labels,
)
from modelfleet.policy.read.props import Unknown
from modelfleet.policy.read.types import TAGGABLE, is_dynamic


def _takes_labels(resource_type: str) -> bool:
    if resource_type in TAGGABLE or is_dynamic(resource_type):
        return True
    return labels_path(resource_type) is not None and resource_type.startswith("kubernetes:")


def check_labels(args: ResourceValidationArgs, findings: Findings) -> None:
    if not _takes_labels(args.resource_type) or not in_modelfleet_component(args.urn):
        return
    labels = read_labels(args.resource_type, args.props)
    if isinstance(labels, Unknown):
        findings.unknown(labels, args.name)
        return
    present = labels if isinstance(labels, dict) else {}
    absent = [label_spelling(args.resource_type, k) for k in LABEL_KEYS if k not in present]
    if absent:
        findings.violation(f"missing labels: {', '.join(absent)}")


LABELS_PRESENT = resource_policy(
    rulebook.LABELS_PRESENT,
    level=ADVISORY,
    check=check_labels,
)
