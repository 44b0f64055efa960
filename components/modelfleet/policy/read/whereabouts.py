"""Where a resource runs, from its real region or location where one exists."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet import jurisdictions
from modelfleet.policy.read.labels import JURISDICTION, ModelData, label_spelling
from modelfleet.policy.read.props import MISSING, Unknown, keys, lookup
from modelfleet.policy.read.types import (
    AWS_GLOBAL_PREFIXES,
    AZURE_LOCATED,
    AZURE_ONLINE_DEPLOYMENT,
    AZURE_ONLINE_ENDPOINT,
    kind_of,
)


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
