"""``EdgeContainer``: one model container on one Docker engine, as a Pulumi dynamic resource.

No Pulumi provider plugin for Docker can be built here, and a dynamic resource lets
the rollout rule live in code we test: an update starts the new version, waits for its
health path, then retires the old one; a version that never turns healthy is removed
and the old one keeps serving (:mod:`modelfleet.targets.edge.crud`,
:mod:`modelfleet.targets.edge.handover`).
"""

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi.dynamic

from modelfleet.targets.edge.args import RegistryAuthArgs, TlsArgs
from modelfleet.targets.edge.crud import EdgeContainerProvider


def secret_inputs(
    args: Mapping[str, Any], keys: Sequence[str]
) -> tuple[dict[str, Any], pulumi.ResourceOptions]:
    """``args`` with ``keys`` wrapped as Pulumi secrets, and the options that keep the
    resource's outputs of those keys secret too (a dynamic provider echoes its inputs)."""
    props = dict(args)
    for key in keys:
        if props.get(key) is not None:
            props[key] = pulumi.Output.secret(props[key])
    return props, pulumi.ResourceOptions(additional_secret_outputs=list(keys))


class EdgeContainerArgs(TypedDict):
    """Inputs of :class:`EdgeContainer`: everything the provider needs, serialisable."""

    docker_host: str
    """Engine address: unix://, ssh:// or tcp:// (with tls)."""
    host: str
    """Host name within the location."""
    location: str
    """Location (site) name."""
    tls: NotRequired[pulumi.Input[TlsArgs]]
    """Mutual TLS for tcp:// engines; kept secret."""
    registry_auth: NotRequired[pulumi.Input[RegistryAuthArgs]]
    """Pull credentials; kept secret."""
    image: pulumi.Input[str]
    """The model's image (``ModelArgs.image``)."""
    model: str
    """The model's name: with host and location it names the container, and is MODEL_NAME."""
    version: str
    """The model's version, passed as MODEL_VERSION."""
    container_port: pulumi.Input[int]
    """The model's port (``ModelArgs.port``), published on ``host_port``."""
    host_port: pulumi.Input[int]
    """Published port on the host (the model's host_port plus the host's port_offset)."""
    bind: str
    """Address the published port binds to."""
    invoke_path: pulumi.Input[str]
    """POST path for predictions, for the url output."""
    env: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """User env and MODEL_ARTIFACT; the provider adds the contract's fixed keys."""
    secret_env: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Secret environment; kept secret."""
    cpu: pulumi.Input[float]
    """The model's CPU cores, given to Docker as nano-CPUs."""
    memory_mb: pulumi.Input[int]
    """The model's memory, given to Docker as its limit."""
    gpus: NotRequired[pulumi.Input[int]]
    """GPUs through Docker device requests; absent when none (state before GPUs has none)."""
    health_path: pulumi.Input[str]
    """The model's health path, probed before a new version serves."""
    health_timeout_s: pulumi.Input[float]
    """The site's ``health_timeout_s``."""
    max_parallel: pulumi.Input[int]
    """The site's ``rollout.max_parallel``: how many of its hosts the provider swaps at once.
    Never a change (not in ``spec.INPUT_KEYS``): containers in state predate it."""
    labels: Mapping[str, str]
    """Container labels (modelfleet labels plus modelfleet/host)."""
    read_only: bool
    """Read-only root filesystem. An input, not a constant, so the policy pack can see it."""
    privileged: bool
    """Privileged mode; the pack refuses true."""
    network_mode: str
    """Docker network mode; only ``bridge``, the networks the port hand-over moves between."""


SECRET_KEYS = ("tls", "registry_auth", "secret_env")


class EdgeContainer(pulumi.dynamic.Resource, module="edge", name="EdgeContainer"):
    """A model container on one Docker engine, rolled forward only when healthy.

    Example
    -------
    >>> EdgeContainer("fraud-lyon-gw-1", {"docker_host": "unix:///var/run/docker.sock", ...})
    """

    container_name: pulumi.Output[str]
    """Name of the container currently serving."""
    container_id: pulumi.Output[str]
    """Its id; the resource id stays the first container's, since updates cannot change it."""
    url: pulumi.Output[str]
    """Invoke URL on the published address."""
    status: pulumi.Output[str]
    """Docker's state of the container (running, exited, ...)."""

    def __init__(
        self, name: str, args: EdgeContainerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props, secret_opts = secret_inputs(args, SECRET_KEYS)
        super().__init__(
            EdgeContainerProvider(),
            name,
            {
                **props,
                "container_name": None,
                "container_id": None,
                "url": None,
                "status": None,
                "generation": None,
            },
            pulumi.ResourceOptions.merge(opts, secret_opts),
        )
