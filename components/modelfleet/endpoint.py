"""``ModelEndpoint``: one model, fanned out to a target component per location.

The fan-out is a convenience: each target component can be used on its own. What
this component adds is one provider per location, built here and passed down, so
no child ever reads a cloud or cluster from ambient globals.
"""

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import pulumi

from modelfleet.args import LocationArgs, ModelArgs, ModelEndpointArgs
from modelfleet.errors import UnsupportedLocationKindError
from modelfleet.targets.aws.plan import ecr_account

RESOURCE_TYPE = "modelfleet:index:ModelEndpoint"

__all__ = ["TARGETS", "ModelEndpoint", "UnsupportedLocationKindError"]


class TargetEndpoint(Protocol):
    """What every target component exposes."""

    url: pulumi.Output[str]
    endpoint_name: pulumi.Output[str]


@runtime_checkable
class MultiHostEndpoint(Protocol):
    """A target served from several hosts (an edge site), each at its own URL."""

    urls: pulumi.Output[dict[str, str]]


TARGETS: dict[str, str] = {
    "kubernetes": "KubernetesEndpoint",
    "edge": "EdgeEndpoint",
    "aws": "SageMakerEndpoint",
    "azure": "AzureMLEndpoint",
}
"""Location kind → its component in ``modelfleet.targets.<kind>.component``.

Imported only when a stack places a model there: an edge-only stack (like ``local``)
should not pay for pulumi-azure-native's import (2.2 s here, against 1.1 s for edge).
"""


def build_provider(
    name: str, location: LocationArgs, opts: pulumi.ResourceOptions
) -> pulumi.ProviderResource | None:
    """The location's provider (``<name>-provider``), by its target's ``provider.build``.

    Every target takes its provider the same way: built here and passed down in
    ``opts``, never read from ambient globals. None for edge sites (no provider).
    """
    provider = importlib.import_module(f"modelfleet.targets.{location['kind']}.provider")
    built: pulumi.ProviderResource | None = provider.build(name, location, opts)
    return built


def build_target(
    name: str,
    model: ModelArgs,
    location: LocationArgs,
    opts: pulumi.ResourceOptions,
    provider: pulumi.ProviderResource | None,
) -> TargetEndpoint:
    """One placement: the location's component, on the location's provider."""
    kind = location["kind"]
    component = getattr(
        importlib.import_module(f"modelfleet.targets.{kind}.component"), TARGETS[kind]
    )
    if provider is not None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))
    settings: Any = location[kind]  # type: ignore[literal-required]
    endpoint: TargetEndpoint = component(name, {"model": model, "location": settings}, opts)
    return endpoint


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
        model, locations = args["model"], args["locations"]
        _refuse_unknown_kinds(model, locations)
        child_opts = pulumi.ResourceOptions(parent=self)
        providers = {
            loc["name"]: build_provider(f"{name}-{loc['name']}", loc, child_opts)
            for loc in locations
        }
        image = model_image(name, model, locations, self, providers)
        targets: dict[str, TargetEndpoint] = {}
        for location in locations:
            registry = location_registry(location)
            placed: ModelArgs = model
            if image is not None and registry is not None:
                # An output of the copy into that registry: the target waits for it.
                placed = {**model, "image": image.image_for(registry)}
            targets[location["name"]] = build_target(
                f"{name}-{location['name']}",
                placed,
                location,
                child_opts,
                providers[location["name"]],
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


def location_registry(location: LocationArgs) -> str | None:
    """The registry a location pulls the model's image from, if it names one."""
    settings: Any = location.get(location["kind"], {})
    registry: str | None = settings.get("registry")
    return registry


def _refuse_unknown_kinds(model: ModelArgs, locations: Sequence[LocationArgs]) -> None:
    for location in locations:
        if location["kind"] not in TARGETS:
            raise UnsupportedLocationKindError(
                f"model {model['name']!r}: location {location['name']!r} has kind "
                f"{location['kind']!r}, which this version of modelfleet cannot deploy "
                f"(supported: {', '.join(sorted(TARGETS))})"
            )


def model_image(
    name: str,
    model: ModelArgs,
    locations: Sequence[LocationArgs],
    parent: pulumi.Resource,
    providers: Mapping[str, pulumi.ProviderResource | None],
) -> Any:
    """``<name>-image``: the model's digest copied into every registry a location names.

    None when no location names one, so stacks without a ``registry`` get no new
    resource and keep their URNs (and never import the copy's dynamic provider).
    """
    targets = [
        _registry_target(loc, providers[loc["name"]], parent)
        for loc in locations
        if location_registry(loc)
    ]
    if not targets:
        return None
    from modelfleet.images.component import ModelImage  # the dynamic provider, only when used

    image_args: Any = {"image": model["image"], "version": model["version"], "registries": targets}
    return ModelImage(f"{name}-image", image_args, pulumi.ResourceOptions(parent=parent))


def _registry_target(
    location: LocationArgs, provider: pulumi.ProviderResource | None, parent: pulumi.Resource
) -> dict[str, Any]:
    """One registry to copy into, with the credentials to push there.

    ``registry_push_auth`` when set, else the location's pull credentials
    (``registry_auth`` of kubernetes and edge locations), else for an ECR registry a
    login token of its account, asked through the location's own AWS provider.
    """
    settings: Any = location.get(location["kind"], {})
    target: dict[str, Any] = {"registry": settings["registry"]}
    auth = location.get("registry_push_auth") or settings.get("registry_auth")
    account = ecr_account(settings["registry"]) if location["kind"] == "aws" else None
    if auth is None and account is not None:
        auth = _ecr_login(account, provider, parent)
    if auth is not None:
        target["auth"] = auth
    return target


def _ecr_login(
    account: str, provider: pulumi.ProviderResource | None, parent: pulumi.Resource
) -> dict[str, pulumi.Output[str]]:
    """An ECR push login (user ``AWS``, a 12-hour token), as ``aws ecr get-login-password``."""
    import pulumi_aws as aws

    token = aws.ecr.get_authorization_token_output(
        registry_id=account, opts=pulumi.InvokeOptions(parent=parent, provider=provider)
    )
    return {"username": token.user_name, "password": pulumi.Output.secret(token.password)}


def _collect(outputs: dict[str, pulumi.Output[Any]]) -> pulumi.Output[dict[str, Any]]:
    return pulumi.Output.all(**outputs) if outputs else pulumi.Output.from_input({})
