"""Residency: placements judged from the real regions and locations of a stack's resources,
by :mod:`modelfleet.rules`, the functions ``modelfleet plan`` runs, so the two cannot disagree.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyResource,
    StackValidationArgs,
)

from modelfleet import rulebook
from modelfleet.config import Classification
from modelfleet.policy.declare import MANDATORY, stack_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import (
    MODEL,
    ModelData,
    in_modelfleet_component,
    labels_path,
    model_data,
    read_labels,
)
from modelfleet.policy.read.props import Unknown, items, lookup
from modelfleet.policy.read.types import SAGEMAKER_MODEL, is_dynamic, kind_of
from modelfleet.policy.read.whereabouts import Whereabouts, locate
from modelfleet.rules import (
    PolicyConfig,
    Verdict,
    edge_public_because,
    exposure_refusals,
    residency_refusals,
    sagemaker_public_because,
)

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
    where: Whereabouts
    urn: str


@dataclass
class _Exposure:
    subnets: list[list[str]] = field(default_factory=list)
    binds: list[tuple[str, str]] = field(default_factory=list)


Identities = dict[str, ModelData | str | Unknown]
"""Each labelled resource's model data, why its labels do not say, or what is unknown."""


def _parent(resource: PolicyResource) -> str | None:
    if resource.parent is not None:
        return resource.parent.urn
    return resource.opts.parent if resource.opts is not None else None


def _identities(resources: Sequence[PolicyResource]) -> Identities:
    identities: Identities = {}
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


def _site(
    resource: PolicyResource,
    identities: Identities,
    by_parent: Mapping[str | None, ModelData],
    findings: Findings,
) -> _Site | None:
    """Whose data a resource holds and where it runs; None (noted) when that cannot be said."""
    own = identities.get(resource.urn)
    if isinstance(own, Unknown):
        findings.unknown(own, resource.name)
        return None
    if isinstance(own, str):
        findings.violation(f"{resource.name}: {own}: cannot judge its placement", resource.urn)
        return None
    data = own or by_parent.get(_parent(resource))
    if data is None:
        if in_modelfleet_component(resource.urn) and labels_path(resource.resource_type):
            findings.violation(
                f"{resource.name}: no {MODEL} label on it or beside it: "
                "cannot tell whose data it holds",
                resource.urn,
            )
        return None
    provider = resource.provider.props if resource.provider is not None else None
    where = locate(resource.resource_type, resource.props, provider, data)
    if isinstance(where, Unknown):
        findings.unknown(where, resource.name)
    elif isinstance(where, str):
        findings.violation(f"{resource.name}: {where}: cannot judge its placement", resource.urn)
    return _Site(data, where, resource.urn) if isinstance(where, Whereabouts) else None


def judge_stack(
    resources: Sequence[PolicyResource], policy: PolicyConfig, findings: Findings
) -> list[Placement]:
    """A verdict for every (model, location, jurisdiction) the stack's resources occupy.

    A resource without labels takes its model from a labelled sibling (same parent):
    what places it is its own region or location, never a neighbour's.
    """
    identities = _identities(resources)
    by_parent: dict[str | None, ModelData] = {}
    for resource in resources:
        data = identities.get(resource.urn)
        if isinstance(data, ModelData):
            by_parent.setdefault(_parent(resource), data)
    sites: dict[tuple[str, str, str, str], list[_Site]] = {}
    exposure: dict[tuple[str, str], _Exposure] = {}
    for resource in resources:
        kind = kind_of(resource.resource_type)
        site = _site(resource, identities, by_parent, findings) if kind else None
        if kind is None or site is None:
            continue
        model, location = site.data.model, site.data.location
        sites.setdefault((model, location, kind, site.where.jurisdiction), []).append(site)
        _collect_exposure(resource, exposure.setdefault((model, location), _Exposure()), findings)
    return [
        _placement(kind, jurisdiction, found, exposure[(model, location)], policy)
        for (model, location, kind, jurisdiction), found in sites.items()
    ]


def _placement(
    kind: str, jurisdiction: str, found: Sequence[_Site], exposure: _Exposure, policy: PolicyConfig
) -> Placement:
    data = found[0].data
    refusals = residency_refusals(data.classification, list(data.residency), jurisdiction, policy)
    refusals += exposure_refusals(data.classification, _public_because(kind, exposure))
    verdict = Verdict(data.model, data.location, kind, jurisdiction, tuple(refusals))
    return Placement(verdict, found[0].where.evidence, found[0].urn)


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


def check_residency(args: StackValidationArgs, findings: Findings) -> None:
    policy = residency_config(args.get_config())
    for placement in judge_stack(args.resources, policy, findings):
        if not placement.verdict.allowed:
            findings.violation(placement.message, placement.urn)


RESIDENCY = stack_policy(
    rulebook.RESIDENCY,
    level=MANDATORY,
    check=check_residency,
    config={"allowed_jurisdictions": ALLOWED_JURISDICTIONS_SCHEMA},
)
