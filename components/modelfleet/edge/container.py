"""``EdgeContainer``: one model container on one Docker engine, as a Pulumi dynamic resource.

No Pulumi provider plugin for Docker can be built here (DESIGN.md), and a dynamic
resource lets the rollout rule live in code we test: an update starts the new
version, waits for its health path, then retires the old one; a version that never
turns healthy is removed and the old one keeps serving.

How an update keeps the port answering: Docker cannot publish one host port from two
containers, and a relay in front of the port would need a program every serving image
ships. But Docker publishes a container's ports when it joins its first non-internal
network, not only when it starts. So the new container starts on a private internal
network (no port published, no client reaches it) with the real port binding in its
config, loads its model and proves its health path there (over HTTP on its own address
when the engine runs on this machine, by an exec inside it otherwise); only then is the old
one disconnected from its serving network and the new one connected to the other
serving network as soon as the port is free (two networks, because Docker serialises
endpoint changes within one). The port is unanswered only while Docker moves the
binding (0.1-0.3 s, measured by the integration tests), never while a model loads.

Secrets (TLS key, registry password, secret env) reach the provider as plain values:
the engine keeps them secret in state, and this module keeps them out of every
output and error message.
"""

import http.client
import ipaddress
import shlex
import socket
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import docker
import docker.errors
import pulumi
import pulumi.dynamic
from docker.models.containers import Container
from docker.models.networks import Network

from modelfleet.args import RegistryAuthArgs, TlsArgs
from modelfleet.edge.connect import EdgeHostError, EdgeTarget, docker_client
from modelfleet.labels import MANAGED_BY

REPLACE_KEYS = ("docker_host", "host", "model")
"""A different engine, host or model is a different container, not a new version of it."""
CONTAINER_KEYS = (
    "image",
    "version",
    "env",
    "secret_env",
    "cpu",
    "memory_mb",
    "container_port",
    "host_port",
    "bind",
    "health_path",
    "labels",
    "location",
    "read_only",
    "privileged",
    "network_mode",
)
"""Baked into the container: changing one starts a new container beside the old."""
STATE_KEYS = ("tls", "registry_auth", "health_timeout_s", "invoke_path")
"""How the engine is reached or the container described: changing one restarts nothing."""
INPUT_KEYS = REPLACE_KEYS + CONTAINER_KEYS + STATE_KEYS

HTTP_POLL_S = (0.05, 1.5, 0.5)
"""HTTP health probes: first interval, growth per probe, longest interval. Short at first,
so a swap starts soon after a quick load; longer later, so a slow or failing container's
log is not all probe requests."""
EXEC_POLL_S = 0.2
"""Interval between health probes exec'd inside the container: each costs it CPU."""
STOP_GRACE_S = 10
"""SIGTERM to SIGKILL when retiring a container: in-flight requests get to finish."""
HEALTH_INTERVAL_S = 5
"""Docker's own healthcheck interval, for `docker ps` and the host's monitoring."""
SERVING_NETWORKS = ("bridge", "modelfleet-serving")
"""Where published ports live; an update moves the port from one to the other."""
STAGING_NETWORK = "modelfleet-staging"
"""Internal, no inter-container traffic: where a new version loads and proves itself."""
LOG_LINES = (10, 20)
"""First and last lines of a failed container's log an error carries: how it started
(a model that failed to load says so there) and what it did last."""


class EdgeContainerError(RuntimeError):
    """A container did not start or turn healthy; the message carries its first and last log lines."""


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
    """Serving image reference."""
    model: str
    """Model name."""
    version: str
    """Model version, passed as MODEL_VERSION."""
    container_port: pulumi.Input[int]
    """Port the container listens on."""
    host_port: pulumi.Input[int]
    """Published port on the host (the model's host_port plus the host's port_offset)."""
    bind: str
    """Address the published port binds to."""
    invoke_path: pulumi.Input[str]
    """POST path for predictions, for the url output."""
    env: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Plain environment."""
    secret_env: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Secret environment; kept secret."""
    cpu: pulumi.Input[float]
    """CPU cores (nano_cpus)."""
    memory_mb: pulumi.Input[int]
    """Memory limit in MiB."""
    health_path: pulumi.Input[str]
    """GET path answering 200 once the model is loaded."""
    health_timeout_s: pulumi.Input[float]
    """How long a new container may take to turn healthy."""
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
        props: dict[str, Any] = dict(args)
        for key in SECRET_KEYS:
            if props.get(key) is not None:
                props[key] = pulumi.Output.secret(props[key])
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_KEYS))
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


@dataclass(frozen=True)
class Spec:
    """The provider's view of one resource's properties."""

    target: EdgeTarget
    tls: Mapping[str, str] | None
    registry_auth: Mapping[str, str] | None
    image: str
    model: str
    version: str
    container_port: int
    host_port: int
    bind: str
    invoke_path: str
    env: Mapping[str, str]
    secret_env: Mapping[str, str]
    cpu: float
    memory_mb: int
    health_path: str
    health_timeout_s: float
    labels: Mapping[str, str]
    read_only: bool
    privileged: bool
    network_mode: str

    @classmethod
    def of(cls, props: Mapping[str, Any]) -> "Spec":
        # Resources created before these inputs existed carry none: the old constants.
        network_mode = str(props.get("network_mode") or "bridge")
        if network_mode != "bridge":
            raise EdgeContainerError(
                f"network_mode {network_mode!r} is not supported: an update hands the "
                "published port over between bridge networks"
            )
        return cls(
            target=EdgeTarget(props["host"], props["location"], props["docker_host"]),
            tls=props.get("tls") or None,
            registry_auth=props.get("registry_auth") or None,
            image=props["image"],
            model=props["model"],
            version=props["version"],
            container_port=int(props["container_port"]),
            host_port=int(props["host_port"]),
            bind=props["bind"],
            invoke_path=props["invoke_path"],
            env=dict(props.get("env") or {}),
            secret_env=dict(props.get("secret_env") or {}),
            cpu=float(props["cpu"]),
            memory_mb=int(props["memory_mb"]),
            health_path=props["health_path"],
            health_timeout_s=float(props["health_timeout_s"]),
            labels=dict(props["labels"]),
            read_only=props.get("read_only") is not False,
            privileged=props.get("privileged") is True,
            network_mode=network_mode,
        )

    @property
    def secrets(self) -> list[str]:
        values = list(self.secret_env.values())
        values += [self.tls["key"]] if self.tls else []
        values += [self.registry_auth["password"]] if self.registry_auth else []
        return [value for value in values if value]

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced, for errors that quote engine or app output."""
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "***")
        return text

    def container_name(self, generation: int) -> str:
        # The generation tells old and new apart while both exist during an update.
        return f"modelfleet-{self.model}-{self.target.host}-{generation}"

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.bind)}:{self.host_port}{self.invoke_path}"

    @property
    def remote_engine(self) -> str | None:
        """The engine's host name when it runs on another machine; None when it runs on
        this one (unix:// has no host name), whose bridge networks route to us."""
        hostname = urllib.parse.urlsplit(self.target.docker_host).hostname
        return None if _is_local(hostname) else hostname

    @property
    def probe_host(self) -> str | None:
        """Where this process can reach the published port; None: probe inside the container."""
        remote = self.remote_engine
        address = ipaddress.ip_address(self.bind)
        if address.is_unspecified:
            return remote or ("::1" if address.version == 6 else "127.0.0.1")
        if address.is_loopback and remote is not None:
            return None
        return self.bind


class EdgeContainerProvider(pulumi.dynamic.ResourceProvider):
    """create / read / diff / update / delete of one model container over the docker SDK."""

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        stopped = olds.get("status") not in (None, "running")
        replaces = [key for key in changed if key in REPLACE_KEYS]
        # Replacing on the same address must free the port first; elsewhere, create first.
        same_address = (olds.get("bind"), olds.get("host_port")) == (
            news.get("bind"),
            news.get("host_port"),
        )
        return pulumi.dynamic.DiffResult(
            changes=bool(changed) or stopped,
            replaces=replaces,
            stables=[],
            delete_before_replace=bool(replaces) and same_address,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        spec = Spec.of(props)
        with docker_client(spec.target, spec.tls) as client, _reported(spec, "create"):
            _ensure_image(client, spec)
            name, generation = _free_name(client, spec, 1)
            container = _start_healthy(client, spec, name)
            return pulumi.dynamic.CreateResult(container.id, _outs(props, container, generation))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        spec = Spec.of(props)
        with docker_client(spec.target, spec.tls) as client, _reported(spec, "read"):
            container = _get(client, _current(id_, props))
            if container is None:
                return pulumi.dynamic.ReadResult("", {})
            host_config = container.attrs["HostConfig"]
            ours = props.get("labels") or {}
            image = _image_labels(container)
            live = {
                "image": container.attrs["Config"]["Image"],
                # Docker copies the image's labels onto the container: they are not drift.
                "labels": {
                    k: v for k, v in container.labels.items() if k in ours or image.get(k) != v
                },
                "cpu": host_config.get("NanoCpus", 0) / 1e9,
                "memory_mb": host_config.get("Memory", 0) // 2**20,
                "status": container.status,
                "container_name": container.name,
                "container_id": container.id,
            }
            return pulumi.dynamic.ReadResult(id_, {**props, **live})

    def update(
        self, id_: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        spec, old_spec = Spec.of(news), Spec.of(olds)
        generation = int(olds.get("generation") or 1)
        with docker_client(spec.target, spec.tls) as client, _reported(spec, "update"):
            old = _get(client, _current(id_, olds))
            rebuild = any(olds.get(key) != news.get(key) for key in CONTAINER_KEYS)
            if old is not None and old.status == "running" and not rebuild:
                return pulumi.dynamic.UpdateResult(_outs(news, old, generation))
            _remove_leftovers(client, spec)
            _ensure_image(client, spec)
            name, generation = _free_name(client, spec, generation + 1)
            if old is not None and (old_spec.bind, old_spec.host_port) == (
                spec.bind,
                spec.host_port,
            ):
                container = _swap(client, spec, old, name)
            else:
                # A new address (or nothing serving): nothing to hand over, start and wait.
                container = _start_healthy(client, spec, name)
                if old is not None:
                    _retire(old)
            return pulumi.dynamic.UpdateResult(_outs(news, container, generation))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        spec = Spec.of(props)
        with docker_client(spec.target, spec.tls) as client, _reported(spec, "delete"):
            container = _get(client, _current(id_, props))
            if container is not None:
                _retire(container)
            _remove_leftovers(client, spec)


def _swap(client: docker.DockerClient, spec: Spec, old: Container, name: str) -> Container:
    """Replace ``old`` on its own published port; see the module docstring for why so."""
    joined = set(old.attrs["NetworkSettings"]["Networks"])
    source_name = next((net for net in SERVING_NETWORKS if net in joined), SERVING_NETWORKS[0])
    serving = {net: _network(client, net) for net in SERVING_NETWORKS}
    source = serving[source_name]
    target = serving[SERVING_NETWORKS[1 - SERVING_NETWORKS.index(source_name)]]
    staging = _network(client, STAGING_NETWORK)
    new = _stage(client, spec, name, staging)
    try:
        try:
            _move_port(spec, source, old, target, new, patient=False)
        except _PortStillTakenError:
            # Docker marks a container joined even when publishing its port failed, and
            # no later call undoes it: serve from the old one again, then move a fresh
            # one the slow way, waiting for the old endpoint to be gone.
            new.remove(force=True)
            source.connect(old)
            new = _stage(client, spec, name, staging)
            _move_port(spec, source, old, target, new, patient=True)
        failure = _wait_healthy(new, spec, _published(spec))
    except docker.errors.APIError as error:
        failure = error.explanation or str(error)
    if failure is not None:
        logs = _logs(new)
        new.remove(force=True)
        with suppress(docker.errors.APIError):
            source.connect(old)
        raise _unhealthy(spec, name, failure, logs, "the old container serves again")
    staging.disconnect(new)
    _retire(old)
    return new


def _stage(client: docker.DockerClient, spec: Spec, name: str, staging: Network) -> Container:
    """The new version, started where no client reaches it, proven healthy there."""
    new = _create(client, spec, name, network=staging.name)
    _await(new, spec, staged=True, outcome="the old container keeps serving")
    return new


class _PortStillTakenError(Exception):
    """The port was not yet free in Docker's books when the new container asked for it."""


def _network(client: docker.DockerClient, name: str) -> Network:
    """One of the engine's modelfleet networks, made on first use and shared by all models."""
    with suppress(docker.errors.NotFound):
        return client.networks.get(name)
    options = (
        {"internal": True, "options": {"com.docker.network.bridge.enable_icc": "false"}}
        if name == STAGING_NETWORK
        else {}
    )
    try:
        return client.networks.create(
            name, driver="bridge", check_duplicate=True, labels=dict(MANAGED_BY), **options
        )
    except docker.errors.APIError:
        return client.networks.get(name)  # another container of this run made it first


def _move_port(
    spec: Spec, source: Network, old: Container, target: Network, new: Container, patient: bool
) -> None:
    """Hand the published port from ``old`` to ``new`` with the shortest gap Docker allows.

    The disconnect stops the old port's proxy early but returns only once the old
    endpoint is torn down (0.2-0.5 s on a loaded machine). Connecting to the other
    network as soon as the port refuses connections cuts the gap to about 0.1 s, but
    Docker frees the port in its books a moment after the proxy stops; if the connect
    comes first, :class:`_PortStillTakenError` says so. Patient, or where the port cannot be
    probed from here, the connect waits for the disconnect.
    """
    host = None if patient else spec.probe_host
    with ThreadPoolExecutor(max_workers=1) as pool:
        leaving = pool.submit(source.disconnect, old)
        while host is not None and not leaving.done() and not _refused(host, spec.host_port):
            time.sleep(0.002)
        waited = host is None
        if waited:
            leaving.result()
        try:
            target.connect(new)
        except docker.errors.APIError as error:
            leaving.result()
            if not waited and "already allocated" in str(error):
                raise _PortStillTakenError from None
            raise
        leaving.result()


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def _start_healthy(client: docker.DockerClient, spec: Spec, name: str) -> Container:
    """Start a container on its published port and wait for its health path."""
    container = _create(client, spec, name)
    _await(container, spec, staged=False, outcome="any older container keeps serving")
    return container


def _await(container: Container, spec: Spec, staged: bool, outcome: str) -> None:
    """Start ``container`` and wait until healthy; otherwise remove it and raise."""
    try:
        container.start()
        address = _on_staging(container, spec) if staged else _published(spec)
        failure = _wait_healthy(container, spec, address)
    except docker.errors.APIError as error:
        failure = error.explanation or str(error)
    if failure is not None:
        logs = _logs(container)
        container.remove(force=True)
        raise _unhealthy(spec, container.name, failure, logs, outcome)


def _unhealthy(spec: Spec, name: str, failure: str, logs: str, outcome: str) -> EdgeContainerError:
    return EdgeContainerError(
        f"{spec.target}: {name} (image {spec.image}, version {spec.version}) did not start and "
        f"turn healthy within {spec.health_timeout_s:g} s: {spec.redact(failure)}; it was "
        f"removed and {outcome}. Its log:\n{spec.redact(logs)}"
    )


def _create(
    client: docker.DockerClient, spec: Spec, name: str, network: str = SERVING_NETWORKS[0]
) -> Container:
    # The port binding is in the config either way: Docker publishes it on the first
    # non-internal network the container joins, so on a staging network it waits.
    return client.containers.create(
        spec.image,
        name=name,
        network=network,
        environment={**spec.env, **spec.secret_env, "MODEL_VERSION": spec.version},
        labels=dict(spec.labels),
        ports={f"{spec.container_port}/tcp": (spec.bind, spec.host_port)},
        restart_policy={"Name": "unless-stopped"},
        healthcheck={
            "test": ["CMD-SHELL", _healthcheck(spec.container_port, spec.health_path)],
            "interval": HEALTH_INTERVAL_S * 10**9,
            "timeout": 3 * 10**9,
            "retries": 3,
            "start_period": int(spec.health_timeout_s * 10**9),
        },
        nano_cpus=int(spec.cpu * 10**9),
        mem_limit=f"{spec.memory_mb}m",
        # tini as PID 1 passes SIGTERM on, so a stop takes milliseconds, not the grace period.
        init=True,
        read_only=spec.read_only,
        privileged=spec.privileged,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},  # noqa: S108 - inside the container
        security_opt=["no-new-privileges:true"],
        cap_drop=["ALL"],
    )


def _healthcheck(port: int, path: str) -> str:
    """A shell probe that works in images with python3 (the serving image) or busybox wget."""
    url = shlex.quote(f"http://127.0.0.1:{port}{path}")
    fetch = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)"
    return (
        "if command -v python3 >/dev/null 2>&1; "
        f"then http_proxy= HTTP_PROXY= python3 -c {shlex.quote(fetch)} {url}; "
        f"else http_proxy= HTTP_PROXY= wget -q -O /dev/null {url}; fi"
    )


def _published(spec: Spec) -> tuple[str, int] | None:
    """Where this process reaches the published port, if it can."""
    host = spec.probe_host
    return None if host is None else (host, spec.host_port)


def _on_staging(container: Container, spec: Spec) -> tuple[str, int] | None:
    """The staged container's own address, when the engine's bridges route to this machine."""
    if spec.remote_engine is not None:
        return None
    container.reload()
    network = container.attrs["NetworkSettings"]["Networks"].get(STAGING_NETWORK) or {}
    ip = network.get("IPAddress")
    return (ip, spec.container_port) if ip else None


def _wait_healthy(container: Container, spec: Spec, address: tuple[str, int] | None) -> str | None:
    """None once healthy; otherwise why not, when the health timeout runs out.

    ``address`` is probed over HTTP (the published port, or a staged container's own
    address on a local engine). Where none is reachable from here (a remote host's
    loopback bind, a remote host's staging network), the container's own healthcheck
    command runs inside it, as Docker would run it but now rather than at Docker's
    next interval; an exec costs 0.3-0.5 s of CPU beside the loading model, so HTTP
    comes first wherever it can.
    """
    probe = ["/bin/sh", "-c", _healthcheck(spec.container_port, spec.health_path)]
    deadline = time.monotonic() + spec.health_timeout_s
    reason = "no answer yet"
    interval, growth, longest = HTTP_POLL_S
    while True:
        container.reload()
        state = container.attrs["State"]
        if state["Status"] in {"exited", "dead", "restarting"} or container.attrs.get(
            "RestartCount"
        ):
            return f"the container exited with code {state.get('ExitCode')}"
        if address is not None:
            host, port = address
            try:
                status = _http_status(host, port, spec.health_path)
            except (ConnectionError, http.client.HTTPException) as error:
                reason = f"{spec.health_path} on {host}:{port}: {type(error).__name__}"
            except OSError as error:
                reason = f"{host}:{port} unreachable from here ({type(error).__name__})"
                address = None  # probe from inside from now on
            else:
                if status == 200:
                    return None
                reason = f"{spec.health_path} answered {status}"
        else:
            exit_code, _ = container.exec_run(probe)
            if exit_code == 0 or (state.get("Health") or {}).get("Status") == "healthy":
                return None
            reason = f"{spec.health_path} probed inside the container: exit code {exit_code}"
        if time.monotonic() >= deadline:
            return reason
        time.sleep(interval if address is not None else EXEC_POLL_S)
        interval = min(interval * growth, longest)


def _http_status(host: str, port: int, path: str) -> int:
    # http.client, not requests: no proxy from the environment may sit in between.
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _ensure_image(client: docker.DockerClient, spec: Spec) -> None:
    try:
        client.images.get(spec.image)
        return
    except docker.errors.ImageNotFound:
        pass
    auth = dict(spec.registry_auth) if spec.registry_auth else None
    try:
        client.images.pull(spec.image, auth_config=auth)
    except docker.errors.APIError as error:
        raise EdgeContainerError(
            f"{spec.target}: image {spec.image} is not on the host and could not be pulled: "
            f"{spec.redact(error.explanation or str(error))}"
        ) from None


def _free_name(client: docker.DockerClient, spec: Spec, generation: int) -> tuple[str, int]:
    """The first generation whose name is free."""
    while _get(client, spec.container_name(generation)) is not None:
        generation += 1
    return spec.container_name(generation), generation


def _remove_leftovers(client: docker.DockerClient, spec: Spec) -> None:
    """Remove versions an interrupted update left on the staging network.

    Only containers on nothing but the staging network: a replacement of this resource
    on the same engine serves from a serving network and must not be touched.
    """
    identity = ("modelfleet/model", "modelfleet/host", "modelfleet/location")
    selector = [f"{key}={spec.labels[key]}" for key in identity if key in spec.labels]
    for container in client.containers.list(all=True, filters={"label": selector}):
        if set(container.attrs["NetworkSettings"]["Networks"]) == {STAGING_NETWORK}:
            container.remove(force=True)


def _current(id_: str, props: Mapping[str, Any]) -> str:
    """The serving container: an update cannot change a resource's id, so outputs track it."""
    return str(props.get("container_id") or id_)


def _get(client: docker.DockerClient, id_or_name: str) -> Container | None:
    try:
        return client.containers.get(id_or_name)
    except docker.errors.NotFound:
        return None


def _image_labels(container: Container) -> dict[str, str]:
    try:
        return dict(container.image.labels)
    except docker.errors.ImageNotFound:
        return {}


def _retire(container: Container) -> None:
    try:
        container.stop(timeout=STOP_GRACE_S)
        container.remove(force=True)
    except docker.errors.NotFound:
        pass


def _logs(container: Container) -> str:
    first, last = LOG_LINES
    try:
        raw = container.logs(stdout=True, stderr=True)
    except docker.errors.APIError as error:
        return f"(logs unavailable: {error.explanation or error})"
    lines = raw.decode("utf-8", errors="replace").rstrip().splitlines()
    if len(lines) > first + last:
        lines = [
            *lines[:first],
            f"... ({len(lines) - first - last} lines left out)",
            *lines[-last:],
        ]
    return "\n".join(lines) or "(no output)"


def _outs(props: Mapping[str, Any], container: Container, generation: int) -> dict[str, Any]:
    container.reload()
    return {
        **{key: props.get(key) for key in INPUT_KEYS},
        "container_name": container.name,
        "container_id": container.id,
        "url": Spec.of(props).url,
        "status": container.status,
        "generation": generation,
    }


@contextmanager
def _reported(spec: Spec, action: str) -> Iterator[None]:
    """Engine errors as one line naming host and location, with secrets redacted.

    ``from None`` matters: the dynamic provider sends the whole traceback to the
    engine, chained exceptions included.
    """
    try:
        yield
    except (EdgeHostError, EdgeContainerError):
        raise
    except docker.errors.DockerException as error:
        explanation = getattr(error, "explanation", None) or str(error)
        raise EdgeHostError(f"{spec.target}: {action} failed: {spec.redact(explanation)}") from None
    except OSError as error:
        raise EdgeHostError(f"{spec.target}: {action} failed: {spec.redact(str(error))}") from None


def _url_host(bind: str) -> str:
    return f"[{bind}]" if ipaddress.ip_address(bind).version == 6 else bind


def _is_local(hostname: str | None) -> bool:
    if hostname in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return socket.gethostname() == hostname
