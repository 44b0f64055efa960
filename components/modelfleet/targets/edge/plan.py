"""Edge decisions as pure functions: rollout waves and what each host's container gets."""

from collections.abc import Mapping, Sequence
from itertools import groupby

import pulumi

from modelfleet import contract
from modelfleet.labels import labels
from modelfleet.model import ModelArgs
from modelfleet.targets.edge.args import EdgeHostArgs, EdgeLocationArgs
from modelfleet.targets.edge.resource import EdgeContainerArgs
from modelfleet.targets.edge.rollout import DEFAULT_MAX_PARALLEL

DEFAULT_HEALTH_TIMEOUT_S = 60.0


def waves(hosts: Sequence[EdgeHostArgs]) -> list[list[EdgeHostArgs]]:
    """Hosts grouped by wave, lowest first, in the order given within a wave."""
    ordered = sorted(hosts, key=lambda host: host["wave"])
    return [list(group) for _, group in groupby(ordered, key=lambda host: host["wave"])]


def max_parallel(location: EdgeLocationArgs) -> int:
    """Hosts of one wave the site lets swap at once: its ``rollout.max_parallel``."""
    rollout = location.get("rollout")
    return rollout.get("max_parallel", DEFAULT_MAX_PARALLEL) if rollout else DEFAULT_MAX_PARALLEL


def swap_width(location: EdgeLocationArgs, models: int = 1) -> int:
    """Containers of a site swapping at once: its largest wave once per model placed there,
    at most its ``max_parallel`` (the provider gates swaps per site, whatever the model)."""
    largest = max((len(wave) for wave in waves(location["hosts"])), default=0)
    return min(largest * models, max_parallel(location))


def _user_env(model: ModelArgs) -> pulumi.Input[Mapping[str, pulumi.Input[str]]]:
    """User env and the artifact: the provider adds the contract's fixed keys itself.

    The fixed keys stay out of the inputs so that containers deployed before
    ``MODEL_NAME`` existed show no change; they get it at their next new version.
    """
    env = contract.environment(model)
    return {key: value for key, value in env.items() if key not in contract.fixed_env("", "")}


def container_args(
    model: ModelArgs, location: EdgeLocationArgs, host: EdgeHostArgs
) -> EdgeContainerArgs:
    """What one host's container gets: the model's contract, the host's address, the labels."""
    args: EdgeContainerArgs = {
        "docker_host": host["docker_host"],
        "host": host["name"],
        "location": location["name"],
        "image": contract.image(model, "edge", location.get("registry")),
        "model": model["name"],
        "version": model["version"],
        "container_port": model["port"],
        "host_port": pulumi.Output.from_input(model["host_port"]).apply(
            lambda port: port + host["port_offset"]
        ),
        "bind": host["bind"],
        "invoke_path": model["invoke_path"],
        "env": _user_env(model),
        "secret_env": model.get("secret_env", {}),
        "cpu": model["resources"]["cpu"],
        "memory_mb": model["resources"]["memory_mb"],
        "health_path": model["health_path"],
        "health_timeout_s": location.get("health_timeout_s", DEFAULT_HEALTH_TIMEOUT_S),
        "max_parallel": max_parallel(location),  # rollout.LIMIT_KEY, read by rollout.slot
        "labels": {
            **labels(model, location["name"], location["jurisdiction"]),
            "modelfleet/host": host["name"],
        },
        "read_only": True,
        "privileged": False,
        "network_mode": "bridge",
    }
    if contract.wants_gpus(model["resources"]["gpus"]):
        args["gpus"] = model["resources"]["gpus"]
    if "tls" in host:
        args["tls"] = host["tls"]
    if "registry_auth" in location:
        args["registry_auth"] = location["registry_auth"]
    return args
