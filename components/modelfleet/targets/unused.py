"""Keys a target has no use for: said at their key path, never dropped in silence.

A model is described once and placed at several kinds of location, so some of its
keys mean nothing to some targets (SageMaker sizes instances by ``instance_type``, not
by ``resources.cpu``). Such a key set away from its default gets a note that
``modelfleet validate`` prints and the component logs; a key a target cannot honour
in a way that matters (GPUs on a CPU instance) is refused by its checks instead.
"""

import pulumi

from modelfleet.config import ModelSpec, Resources, Scaling
from modelfleet.errors import ConfigIssue
from modelfleet.keypaths import model_key
from modelfleet.model import ModelArgs

DEFAULTS: dict[str, object] = {
    "resources.cpu": Resources.model_fields["cpu"].default,
    "resources.memory_mb": Resources.model_fields["memory_mb"].default,
    "resources.gpus": Resources.model_fields["gpus"].default,
    "scaling.min": Scaling.model_fields["min"].default,
    "scaling.max": Scaling.model_fields["max"].default,
    "port": ModelSpec.model_fields["port"].default,
}


def value(model: ModelArgs, key: str) -> object:
    """The model's value at a dotted key (``resources.cpu``)."""
    found: object = model
    for part in key.split("."):
        found = found[part]  # type: ignore[index]
    return found


def is_set(model: ModelArgs, key: str) -> bool:
    """Whether ``key`` differs from what the config would default it to."""
    if key == "host_port":
        return model["host_port"] != model["port"]
    return value(model, key) != DEFAULTS[key]


def notes(
    model: ModelArgs, keys: tuple[str, ...], where: tuple[str, str], why: str
) -> list[ConfigIssue]:
    """A note for each of ``keys`` the model sets that the target ``where`` does not use.

    ``where`` is the target's name and the location's, as the note says them.
    """
    target, location = where
    return [
        ConfigIssue(model_key(model["name"], key), f"not used by {target} at {location!r}: {why}")
        for key in keys
        if is_set(model, key)
    ]


def log(resource: pulumi.Resource, said: list[ConfigIssue]) -> None:
    """The notes in ``pulumi up``'s output, on the component they are about."""
    for note in said:
        pulumi.log.warn(f"{note}", resource=resource)
