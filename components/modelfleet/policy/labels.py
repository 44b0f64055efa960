"""The check that every resource modelfleet makes carries its labels."""

from pulumi_policy import ResourceValidationArgs

from modelfleet.policy.resources import (
    LABEL_KEYS,
    TAGGABLE,
    Findings,
    Unknown,
    in_modelfleet_component,
    is_dynamic,
    label_spelling,
    labels_path,
    read_labels,
)


def labels_present(args: ResourceValidationArgs, findings: Findings) -> None:
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
