"""From validated stack config to component args: the config already has the args' shape.

The config models use the args' field names, so a model or location becomes its args
by a dump; what only this module does is wrap secrets. Secret config values become
``pulumi.Output.secret`` here, so they stay secrets in state and logs from the first
moment a component sees them.
"""

from collections.abc import Callable
from enum import Enum
from typing import Any, cast

import pulumi
from pydantic import BaseModel

from modelfleet.args import LocationArgs, ModelArgs, ModelEndpointArgs
from modelfleet.config import AnyLocation, KubernetesLocation, ModelSpec, Secret, StackConfig
from modelfleet.images import copy

SecretWrap = Callable[[Secret], Any]
"""What a secret config value becomes in the args: a Pulumi secret in a program."""


def secret_output(value: Secret) -> pulumi.Output[str]:
    """The plain text of a secret config value, wrapped as a Pulumi secret."""
    if value.plaintext is None:
        raise ValueError("an encrypted config value reached the program undecrypted")
    return pulumi.Output.secret(value.plaintext)


def _args(value: Any, secret: SecretWrap) -> Any:
    """A config value as args: models as dicts without unset keys, secrets wrapped."""
    if isinstance(value, Secret):
        return secret(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        fields = ((name, getattr(value, name)) for name in type(value).model_fields)
        return {name: _args(item, secret) for name, item in fields if item is not None}
    if isinstance(value, dict):
        return {key: _args(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_args(item, secret) for item in value]
    return value


def model_args(name: str, spec: ModelSpec, secret: SecretWrap = secret_output) -> ModelArgs:
    """Component args for one model of the stack config."""
    args = _args(spec, secret)
    del args["pin_at_deploy"]  # the program's to act on (endpoint_args), not a target's
    if not spec.secret_env:
        del args["secret_env"]
    return cast(ModelArgs, {"name": name, **args, "host_port": spec.published_port})


def location_args(
    name: str, location: AnyLocation, secret: SecretWrap = secret_output
) -> LocationArgs:
    """Component args for one location, its kind's settings under the kind's key."""
    outside = {
        "kind",
        "kubeconfig",
        "context",
        "registry_push_auth",
    }  # the fan-out's, not the target's
    settings = {"name": name, **_args(location, secret)}
    for key in outside:
        settings.pop(key, None)
    if location.kind == "azure":  # derived from the region, or declared for an Arc compute
        settings.pop("declared_jurisdiction", None)
        settings["jurisdiction"] = location.jurisdiction
    args: dict[str, Any] = {
        "name": name,
        "kind": location.kind,
        "jurisdiction": location.jurisdiction,
        location.kind: settings,
    }
    if location.registry_push_auth is not None:
        args["registry_push_auth"] = _args(location.registry_push_auth, secret)
    if isinstance(location, KubernetesLocation):
        if location.kubeconfig is not None:
            args["kubeconfig"] = secret(location.kubeconfig)
        if location.context is not None:
            args["context"] = location.context
    return cast(LocationArgs, args)


def endpoint_args(
    config: StackConfig, secret: SecretWrap = secret_output, pin: Callable[[str], str] = copy.pin
) -> dict[str, ModelEndpointArgs]:
    """One :class:`ModelEndpoint`'s args per placed model, in config order.

    A model with ``pin_at_deploy`` gets its image pinned by ``pin`` (the digest its
    registry holds now), so every resource and the policy pack see a digest.
    """
    endpoints: dict[str, ModelEndpointArgs] = {}
    for model_name, location_names in config.placements.items():
        model = model_args(model_name, config.models[model_name], secret)
        if config.models[model_name].pin_at_deploy:
            model["image"] = pin(config.models[model_name].image)
        endpoints[model_name] = {
            "model": model,
            "locations": [location_args(n, config.locations[n], secret) for n in location_names],
        }
    return endpoints
