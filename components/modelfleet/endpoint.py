"""``ModelEndpoint``: one model, fanned out to a target component per location.

The fan-out is a convenience: each target component can be used on its own. What
this component adds is one provider per location, built here and passed down, so
no child ever reads a cloud or cluster from ambient globals.
"""

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import pulumi

from modelfleet.args import LocationArgs, ModelArgs, ModelEndpointArgs

RESOURCE_TYPE = "modelfleet:index:ModelEndpoint"


class TargetEndpoint(Protocol):
    """What every target component exposes."""

    url: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]


@runtime_checkable
class MultiHostEndpoint(Protocol):
    """A target served from several hosts (an edge site), each at its own URL."""

    urls: pulumi.Output[dict[str, str]]


class UnsupportedLocationKindError(ValueError):
    """A placement on a kind whose target this version of modelfleet cannot deploy."""


Target = Callable[[str, ModelArgs, LocationArgs, pulumi.ResourceOptions], TargetEndpoint]

# Each builder imports its provider SDK itself: an edge-only stack (like `local`)
# should not pay for pulumi-azure-native's import (2.2 s here, against 1.1 s for edge).


def _using(
    provider: pulumi.ProviderResource, opts: pulumi.ResourceOptions
) -> pulumi.ResourceOptions:
    """A target's options with its location's provider: passed down, never ambient."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))


def _kubernetes(
    name: str, model: ModelArgs, location: LocationArgs, opts: pulumi.ResourceOptions
) -> TargetEndpoint:
    import pulumi_kubernetes as k8s

    from modelfleet.kubernetes import KubernetesEndpoint

    provider = k8s.Provider(
        f"{name}-provider",
        kubeconfig=location.get("kubeconfig"),
        context=location.get("context"),
        opts=opts,
    )
    return KubernetesEndpoint(
        name,
        {"model": model, "location": location["kubernetes"]},
        _using(provider, opts),
    )


def _edge(
    name: str, model: ModelArgs, location: LocationArgs, opts: pulumi.ResourceOptions
) -> TargetEndpoint:
    from modelfleet.edge import EdgeEndpoint

    return EdgeEndpoint(name, {"model": model, "location": location["edge"]}, opts)


def _aws(
    name: str, model: ModelArgs, location: LocationArgs, opts: pulumi.ResourceOptions
) -> TargetEndpoint:
    import pulumi_aws as aws

    from modelfleet.aws import SageMakerEndpoint

    # The region is set on this provider, not per resource: see SageMakerEndpoint.
    provider = aws.Provider(f"{name}-provider", region=location["aws"]["region"], opts=opts)
    return SageMakerEndpoint(
        name,
        {"model": model, "location": location["aws"]},
        _using(provider, opts),
    )


def _azure(
    name: str, model: ModelArgs, location: LocationArgs, opts: pulumi.ResourceOptions
) -> TargetEndpoint:
    import pulumi_azure_native as azure_native

    from modelfleet.azure import AzureMLEndpoint

    provider = azure_native.Provider(
        f"{name}-provider", location=location["azure"]["location"], opts=opts
    )
    return AzureMLEndpoint(
        name,
        {"model": model, "location": location["azure"]},
        _using(provider, opts),
    )


TARGETS: dict[str, Target] = {
    "kubernetes": _kubernetes,
    "edge": _edge,
    "aws": _aws,
    "azure": _azure,
}
"""Location kind → how to build its provider and target component."""


class ModelEndpoint(pulumi.ComponentResource):
    """One model served at every location it is placed at.

    Example
    -------
    >>> ModelEndpoint("fraud-scorer", {"model": model, "locations": [munich]})
    """

    urls: pulumi.Output[dict[str, str]]
    """Invoke URL per location name (an edge site's first host)."""
    host_urls: pulumi.Output[dict[str, dict[str, str]]]
    """Invoke URL per host name, per edge location name: every host a client can call."""
    endpoint_names: pulumi.Output[dict[str, str]]
    """Endpoint (or container/service) name per location name."""
    placements: pulumi.Output[list[dict[str, str]]]
    """The placement table: model, version, location, kind, jurisdiction."""

    def __init__(
        self, name: str, args: ModelEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model = args["model"]
        targets: dict[str, TargetEndpoint] = {}
        for location in args["locations"]:
            build = TARGETS.get(location["kind"])
            if build is None:
                raise UnsupportedLocationKindError(
                    f"model {model['name']!r}: location {location['name']!r} has kind "
                    f"{location['kind']!r}, which this version of modelfleet cannot deploy "
                    f"(supported: {', '.join(sorted(TARGETS))})"
                )
            child_opts = pulumi.ResourceOptions(parent=self)
            targets[location["name"]] = build(
                f"{name}-{location['name']}", model, location, child_opts
            )
        self.urls = _collect({n: t.url for n, t in targets.items()})
        self.host_urls = _collect(
            {n: t.urls for n, t in targets.items() if isinstance(t, MultiHostEndpoint)}
        )
        self.endpoint_names = _collect({n: t.endpoint_name for n, t in targets.items()})
        self.placements = pulumi.Output.from_input(
            [
                {
                    "model": model["name"],
                    "version": model["version"],
                    "location": location["name"],
                    "kind": location["kind"],
                    "jurisdiction": location["jurisdiction"],
                }
                for location in args["locations"]
            ]
        )
        self.register_outputs(
            {
                "urls": self.urls,
                "host_urls": self.host_urls,
                "endpoint_names": self.endpoint_names,
                "placements": self.placements,
            }
        )


def _collect(outputs: dict[str, pulumi.Output[Any]]) -> pulumi.Output[dict[str, Any]]:
    return pulumi.Output.all(**outputs) if outputs else pulumi.Output.from_input({})
