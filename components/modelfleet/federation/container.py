"""``FederationContainer``: one Flower process (SuperLink or SuperNode) on one Docker engine.

Why not :class:`modelfleet.edge.container.EdgeContainer`: that resource serves a model
behind one published HTTP health path and hands its port over between versions. A
Flower process needs what it has no inputs for: a command (its role), a read-only
mount of the site's rows and nothing else of the host, a private network shared with
the SuperLink, and a readiness check over TLS. The engine connection (unix, ssh, tcp
with mutual TLS, errors naming host and location) is the edge target's own:
:func:`modelfleet.edge.connect.docker_client`. Any change replaces the container:
a federation holds no state worth an in-place update between runs.
"""

import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any, NotRequired, TypedDict

import docker
import docker.errors
import pulumi
import pulumi.dynamic
from docker.models.containers import Container

from modelfleet.args import TlsArgs
from modelfleet.edge.connect import EdgeHostError, EdgeTarget, docker_client
from modelfleet.labels import MANAGED_BY
from modelfleet.targets.edge.resource import secret_inputs

SECRET_KEYS = ("tls", "secret_env")
INPUT_KEYS = (
    "docker_host", "host", "location", "tls", "name", "image", "command", "env",
    "secret_env", "labels", "mounts", "network", "ports", "ready_cmd", "ready_timeout_s",
    "read_only", "privileged",
)  # fmt: skip
POLL_S = 0.5
LOG_LINES = 30


class FederationContainerError(RuntimeError):
    """A Flower container did not start or turn ready; carries its last log lines."""


class MountArgs(TypedDict):
    """A host path bind-mounted into the container."""

    source: str
    """Path on the Docker host."""
    target: str
    """Path inside the container."""
    read_only: bool
    """Mounted read-only: a site reads its rows and writes nothing back."""


class PortArgs(TypedDict):
    """A published port."""

    container_port: int
    """Port inside the container."""
    host_port: int
    """Port on the host."""
    bind: str
    """Host address the port binds to."""


class FederationContainerArgs(TypedDict):
    """Inputs of :class:`FederationContainer`."""

    docker_host: str
    """Engine address: unix://, ssh:// or tcp:// (with tls)."""
    host: str
    """Host name within the location."""
    location: str
    """Location name."""
    tls: NotRequired[pulumi.Input[TlsArgs]]
    """Mutual TLS to a tcp:// engine; kept secret."""
    name: str
    """Container name; also its DNS name on ``network``."""
    image: pulumi.Input[str]
    """Federation image."""
    command: Sequence[str]
    """Arguments to the image's entrypoint (its role)."""
    env: Mapping[str, str]
    """Plain environment."""
    secret_env: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Secret environment (TLS material); kept secret."""
    labels: Mapping[str, str]
    """Container labels: modelfleet labels plus federation and role."""
    mounts: Sequence[MountArgs]
    """Bind mounts."""
    network: str
    """User-defined bridge network, made on first use and removed when empty."""
    ports: Sequence[PortArgs]
    """Published ports."""
    ready_cmd: Sequence[str]
    """Command run inside the container until it exits 0; empty: running is ready."""
    ready_timeout_s: float
    """How long the container may take to turn ready."""
    read_only: bool
    """Read-only root filesystem; an input so the policy pack can see it."""
    privileged: bool
    """Privileged mode; the pack refuses true."""


class FederationContainer(pulumi.dynamic.Resource, module="federation", name="FederationContainer"):
    """A SuperLink or SuperNode container, replaced on any change.

    Example
    -------
    >>> FederationContainer("fl-site-a", {"docker_host": "unix:///var/run/docker.sock", ...})
    """

    container_id: pulumi.Output[str]
    """The running container's id."""
    status: pulumi.Output[str]
    """Docker's state of the container."""

    def __init__(
        self, name: str, args: FederationContainerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props, secret_opts = secret_inputs(args, SECRET_KEYS)
        super().__init__(
            FederationContainerProvider(),
            name,
            {**props, "container_id": None, "status": None},
            pulumi.ResourceOptions.merge(opts, secret_opts),
        )


def _target(props: Mapping[str, Any]) -> EdgeTarget:
    return EdgeTarget(props["host"], props["location"], props["docker_host"])


class FederationContainerProvider(pulumi.dynamic.ResourceProvider):
    """create / read / diff / delete over the docker SDK; every change is a replacement."""

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        gone = olds.get("status") not in (None, "running")
        return pulumi.dynamic.DiffResult(
            changes=bool(changed) or gone,
            replaces=changed or (["image"] if gone else []),
            stables=[],
            delete_before_replace=True,  # the name and published ports are fixed
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        with docker_client(_target(props), props.get("tls") or None) as client:
            try:
                container = _start(client, props)
            except (docker.errors.APIError, FederationContainerError) as error:
                _remove_network_if_empty(client, props["network"])
                if isinstance(error, FederationContainerError):
                    raise
                raise EdgeHostError(
                    f"{_target(props)}: starting {props['name']} failed: "
                    f"{error.explanation or error}"
                ) from None
            return pulumi.dynamic.CreateResult(container.id, _outs(props, container))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        with docker_client(_target(props), props.get("tls") or None) as client:
            container = _get(client, id_)
            if container is None:
                return pulumi.dynamic.ReadResult("", {})
            return pulumi.dynamic.ReadResult(id_, _outs(props, container))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with docker_client(_target(props), props.get("tls") or None) as client:
            container = _get(client, id_)
            if container is not None:
                container.remove(force=True)
            _remove_network_if_empty(client, props["network"])


def _start(client: docker.DockerClient, props: Mapping[str, Any]) -> Container:
    _ensure_network(client, props["network"])
    stale = _get(client, props["name"])
    if stale is not None and stale.labels.get("modelfleet/federation"):
        stale.remove(force=True)  # left by an interrupted run of this same resource
    container = client.containers.run(
        props["image"],
        list(props["command"]),
        name=props["name"],
        detach=True,
        network=props["network"],
        environment={**props["env"], **(props.get("secret_env") or {})},
        labels=dict(props["labels"]),
        volumes={
            m["source"]: {"bind": m["target"], "mode": "ro" if m["read_only"] else "rw"}
            for m in props["mounts"]
        },
        # Numbers come back from the engine as floats: Docker wants "19093", not "19093.0".
        ports={
            f"{int(p['container_port'])}/tcp": (p["bind"], int(p["host_port"]))
            for p in props["ports"]
        },
        read_only=props.get("read_only") is not False,
        privileged=props.get("privileged") is True,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=256m"},  # noqa: S108 - inside the container
        security_opt=["no-new-privileges:true"],
        cap_drop=["ALL"],
        init=True,
        restart_policy={"Name": "no"},
    )
    _await_ready(container, props)
    return container


def _await_ready(container: Container, props: Mapping[str, Any]) -> None:
    deadline = time.monotonic() + float(props["ready_timeout_s"])
    ready_cmd = list(props["ready_cmd"])
    while True:
        container.reload()
        if container.status != "running":
            failure = f"it exited with code {container.attrs['State'].get('ExitCode')}"
            break
        if not ready_cmd or container.exec_run(ready_cmd).exit_code == 0:
            return
        if time.monotonic() >= deadline:
            failure = f"{' '.join(ready_cmd)} did not succeed within {props['ready_timeout_s']:g} s"
            break
        time.sleep(POLL_S)
    logs = container.logs(tail=LOG_LINES).decode("utf-8", errors="replace")
    container.remove(force=True)
    raise FederationContainerError(
        f"{_target(props)}: {props['name']} (image {props['image']}) did not turn ready: "
        f"{failure}; it was removed. Its last log lines:\n{logs}"
    )


def _ensure_network(client: docker.DockerClient, name: str) -> None:
    with suppress(docker.errors.NotFound):
        client.networks.get(name)
        return
    with suppress(docker.errors.APIError):  # another container of this run made it first
        client.networks.create(name, driver="bridge", check_duplicate=True, labels=dict(MANAGED_BY))


def _remove_network_if_empty(client: docker.DockerClient, name: str) -> None:
    try:
        network = client.networks.get(name)
    except docker.errors.NotFound:
        return
    network.reload()
    if not network.attrs.get("Containers") and network.attrs.get("Labels", {}).get("managed-by"):
        with suppress(docker.errors.APIError):  # a sibling still being deleted joined it
            network.remove()


def _get(client: docker.DockerClient, id_or_name: str) -> Container | None:
    try:
        return client.containers.get(id_or_name)
    except docker.errors.NotFound:
        return None


def _outs(props: Mapping[str, Any], container: Container) -> dict[str, Any]:
    container.reload()
    return {
        **{key: props.get(key) for key in INPUT_KEYS},
        "container_id": container.id,
        "status": container.status,
    }
