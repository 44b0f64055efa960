"""Placements judged from the real regions and locations of a stack's resources, by
:mod:`modelfleet.rules`, the functions ``modelfleet plan`` runs, so the two cannot disagree.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from modelfleet.policy.resources import (
    MODEL,
    SAGEMAKER_MODEL,
    Findings,
    ModelData,
    Unknown,
    Whereabouts,
    in_modelfleet_component,
    is_dynamic,
    items,
    kind_of,
    labels_path,
    locate,
    lookup,
    model_data,
    read_labels,
)
from modelfleet.rules import (
    PolicyConfig,
    Verdict,
    edge_public_because,
    exposure_refusals,
    residency_refusals,
    sagemaker_public_because,
)


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


def residency_respected(args: StackValidationArgs, findings: Findings) -> None:
    policy = residency_config(args.get_config())
    for placement in judge_stack(args.resources, policy, findings):
        if not placement.verdict.allowed:
            findings.violation(placement.message, placement.urn)
