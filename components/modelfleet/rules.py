"""Placement rules: may this model's data be processed at this location?

Pure functions over plain values, shared by ``modelfleet plan`` and the policy pack
(which feeds them the real properties of resources instead of the stack config), so
the two can never disagree.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from modelfleet import jurisdictions
from modelfleet.config import (
    AnyLocation,
    AwsLocation,
    Classification,
    EdgeLocation,
    ModelSpec,
    StackConfig,
    Strict,
)
from modelfleet.contract import placement_image

Enforcement = Literal["advisory", "mandatory", "disabled"]


class PolicyConfig(Strict):
    """An organisation's own rules, set as policy config (or ``--policy-config``)."""

    allowed_jurisdictions: dict[Classification, list[str]] = Field(
        default_factory=dict,
        description="Per classification, the countries or groups (EU, EEA) its data may run in.",
    )
    registries: list[str] = Field(
        default_factory=list,
        description="Image registries models may come from (empty: any).",
    )
    enforcement: dict[str, Enforcement] = Field(
        default_factory=dict, description="Enforcement level per policy name."
    )


@dataclass(frozen=True)
class Verdict:
    """The decision for one (model, location) pair, with every reason it was refused."""

    model: str
    location: str
    kind: str
    jurisdiction: str
    refusals: tuple[str, ...]
    image: str = field(default="", compare=False)
    """The image the placement runs (``contract.placement_image``): its registry, one digest."""

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def reason(self) -> str:
        return "; ".join(self.refusals) if self.refusals else "allowed"


def residency_refusals(
    classification: Classification,
    residency: list[str],
    jurisdiction: str,
    policy: PolicyConfig,
) -> list[str]:
    """Why data of this classification and residency may not be processed in ``jurisdiction``."""
    refusals = []
    if residency and jurisdiction not in jurisdictions.expand(residency):
        refusals.append(f"{jurisdiction} is outside the model's residency ({', '.join(residency)})")
    allowed_by_policy = policy.allowed_jurisdictions.get(classification)
    if allowed_by_policy is not None and jurisdiction not in jurisdictions.expand(
        allowed_by_policy
    ):
        refusals.append(
            f"policy allows {classification.value} data only in "
            f"{', '.join(allowed_by_policy) or 'no jurisdiction'}, not {jurisdiction}"
        )
    return refusals


def exposure_refusals(classification: Classification, public_because: str | None) -> list[str]:
    """Restricted data never lands on an endpoint reachable from the internet."""
    if classification is Classification.RESTRICTED and public_because is not None:
        return [f"restricted data on a public endpoint: {public_because}"]
    return []


def is_public_address(address: str) -> bool:
    """True for a bind address reachable beyond private networks (0.0.0.0, global IPs)."""
    ip = ipaddress.ip_address(address)
    return ip.is_unspecified or ip.is_global


def sagemaker_public_because(subnet_ids: Sequence[str]) -> str | None:
    """Why a SageMaker endpoint with these subnets is public (none: outside any VPC)."""
    if not subnet_ids:
        return "the SageMaker endpoint has no VPC (set subnet_ids and security_group_ids)"
    return None


def edge_public_because(binds: Sequence[tuple[str, str]]) -> str | None:
    """Why an edge site is public, from its ``(host name, bind address)`` pairs.

    Host names come sorted: config order and rollout (wave) order may differ.
    """
    public = sorted(host for host, address in binds if is_public_address(address))
    if public:
        return f"hosts {', '.join(public)} publish on a public address"
    return None


def public_because(location: AnyLocation) -> str | None:
    """Why a location's endpoint is public, or None when it is private.

    The policy pack calls the two helpers above with the real properties of resources.
    """
    if isinstance(location, AwsLocation):
        return sagemaker_public_because(location.subnet_ids)
    if isinstance(location, EdgeLocation):
        return edge_public_because([(h.name, h.bind) for h in location.hosts])
    return None


def judge(
    model_name: str,
    model: ModelSpec,
    location_name: str,
    location: AnyLocation,
    policy: PolicyConfig,
) -> Verdict:
    """The verdict for placing ``model`` at ``location`` under ``policy``."""
    data = model.data
    refusals = residency_refusals(
        data.classification, data.residency, location.jurisdiction, policy
    )
    refusals += exposure_refusals(data.classification, public_because(location))
    image = placed_image(model, location)
    return Verdict(
        model_name, location_name, location.kind, location.jurisdiction, tuple(refusals), image
    )


def placed_image(model: ModelSpec, location: AnyLocation) -> str:
    """The image ``model`` runs at ``location``: the same function the target pulls with."""
    if isinstance(location, AwsLocation):
        in_vpc = bool(location.subnet_ids)
        return placement_image(model.image, "aws", location.registry, location.region, in_vpc)
    return placement_image(model.image, location.kind, location.registry)


def plan(config: StackConfig, policy: PolicyConfig) -> list[Verdict]:
    """A verdict for every placement of a valid stack config, in config order."""
    return [
        judge(
            model_name,
            config.models[model_name],
            location_name,
            config.locations[location_name],
            policy,
        )
        for model_name, location_names in config.placements.items()
        for location_name in location_names
    ]
