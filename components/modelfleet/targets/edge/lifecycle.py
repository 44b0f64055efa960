"""The life of one container on one engine: create, start until healthy, pull, retire, log.

What the CRUD provider and the port hand-over both do to a container, written once.
"""

import re
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors
from docker.models.containers import Container
from docker.types import DeviceRequest

from modelfleet import contract
from modelfleet.errors import EdgeContainerError
from modelfleet.targets.edge import health
from modelfleet.targets.edge.spec import SERVING_NETWORKS, STAGING_NETWORK, Spec

STOP_GRACE_S = 10
"""SIGTERM to SIGKILL when retiring a container: in-flight requests get to finish."""
LOG_LINES = (10, 20)
"""First and last lines of a failed container's log an error carries: how it started
(a model that failed to load says so there) and what it did last."""


def start_healthy(client: docker.DockerClient, spec: Spec, name: str) -> Container:
    """Start a container on its published port and wait for its health path."""
    container = create(client, spec, name)
    await_healthy(container, spec, staged=False, outcome="any older container keeps serving")
    return container


def await_healthy(container: Container, spec: Spec, staged: bool, outcome: str) -> None:
    """Start ``container`` and wait until healthy; otherwise remove it and raise."""
    try:
        container.start()
        address = health.on_staging(container, spec) if staged else health.published(spec)
        failure = health.wait_healthy(container, spec, address)
    except docker.errors.APIError as error:
        failure = engine_error(error)
    if failure is not None:
        log = logs(container)
        container.remove(force=True)
        raise unhealthy(spec, container.name, failure, log, outcome)


def unhealthy(spec: Spec, name: str, failure: str, logs: str, outcome: str) -> EdgeContainerError:
    return EdgeContainerError(
        f"{spec.target}: {name} (image {spec.image}, version {spec.version}) did not start and "
        f"turn healthy (health timeout {spec.health_timeout_s:g} s): {spec.redact(failure)}; "
        f"it was removed and {outcome}. Its log:\n{spec.redact(logs)}"
    )


def engine_error(error: docker.errors.APIError) -> str:
    """Why the engine refused a call, said as the engine's, not as a health timeout."""
    return f"the engine answered: {error.explanation or error}"


def create(
    client: docker.DockerClient, spec: Spec, name: str, network: str = SERVING_NETWORKS[0]
) -> Container:
    """Create the container (pulling its image first if the engine lacks it), not started.

    The SDK's low-level call: ``containers.create`` inspects what it made, and asking for
    the image first is another round trip; over a thin link each costs a tenth of a second.
    """
    api = client.api
    # The port binding is in the config either way: Docker publishes it on the first
    # non-internal network the container joins, so on a staging network it waits.
    host_config = api.create_host_config(
        port_bindings={f"{spec.container_port}/tcp": (spec.bind, spec.host_port)},
        restart_policy={"Name": "unless-stopped"},
        nano_cpus=contract.nano_cpus(spec.cpu),
        mem_limit=contract.docker_memory(spec.memory_mb),
        device_requests=_gpus(spec.gpus),
        # tini as PID 1 passes SIGTERM on, so a stop takes milliseconds, not the grace period.
        init=True,
        read_only=spec.read_only,
        privileged=spec.privileged,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},  # noqa: S108 - inside the container
        security_opt=["no-new-privileges:true"],
        cap_drop=["ALL"],
        network_mode=network,
    )
    config = {
        "image": spec.image,
        "name": name,
        "environment": spec.environment,
        "labels": dict(spec.labels),
        "ports": [(spec.container_port, "tcp")],
        "healthcheck": {
            "test": ["CMD-SHELL", health.healthcheck(spec.container_port, spec.health_path)],
            "interval": health.HEALTH_INTERVAL_S * 10**9,
            "timeout": 3 * 10**9,
            "retries": 3,
            "start_period": int(spec.health_timeout_s * 10**9),
        },
        "host_config": host_config,
        "networking_config": api.create_networking_config({network: api.create_endpoint_config()}),
    }
    try:
        created = api.create_container(**config)
    except docker.errors.ImageNotFound:
        pull(client, spec)
        created = api.create_container(**config)
    return client.containers.prepare_model({"Id": created["Id"], "Name": f"/{name}"})


def _gpus(count: int) -> list[DeviceRequest] | None:
    """GPUs through Docker's device requests (the NVIDIA container toolkit serves them)."""
    return [DeviceRequest(count=count, capabilities=[["gpu"]])] if count else None


def pull(client: docker.DockerClient, spec: Spec) -> None:
    auth = dict(spec.registry_auth) if spec.registry_auth else None
    try:
        client.images.pull(spec.image, auth_config=auth)
    except docker.errors.APIError as error:
        raise EdgeContainerError(
            f"{spec.target}: image {spec.image} is not on the host and could not be pulled: "
            f"{spec.redact(error.explanation or str(error))}"
        ) from None


@dataclass(frozen=True)
class Inventory:
    """This model's containers on one host, from one listing: leftovers, names, the old one."""

    client: docker.DockerClient
    spec: Spec
    listed: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, client: docker.DockerClient, spec: Spec) -> "Inventory":
        """Every container named like this model's on this host, whoever labelled it."""
        base = re.escape(spec.container_name(0)[:-1])
        found = client.api.containers(all=True, filters={"name": f"^/?{base}[0-9]+$"})
        return cls(client, spec, tuple(found))

    def container(self, id_or_name: str) -> Container | None:
        """The container with this id (or name), from the listing when it is there."""
        for summary in self.listed:
            if summary["Id"] == id_or_name or f"/{id_or_name}" in summary["Names"]:
                attrs = {**summary, "Name": summary["Names"][0]}
                return self.client.containers.prepare_model(attrs)
        return get(self.client, id_or_name)

    def free_name(self, generation: int) -> tuple[str, int]:
        """The first generation from ``generation`` whose name is free."""
        taken = {name for summary in self.listed for name in summary["Names"]}
        while f"/{self.spec.container_name(generation)}" in taken:
            generation += 1
        return self.spec.container_name(generation), generation

    def remove_leftovers(self) -> None:
        """Remove versions an interrupted update left on the staging network.

        Only this resource's (its identity labels) and only containers on nothing but
        the staging network: a replacement of this resource on the same engine serves
        from a serving network and must not be touched.
        """
        identity = ("modelfleet/model", "modelfleet/host", "modelfleet/location")
        wanted = {key: self.spec.labels[key] for key in identity if key in self.spec.labels}
        for summary in self.listed:
            labels = summary.get("Labels") or {}
            networks = set((summary.get("NetworkSettings") or {}).get("Networks") or {})
            if networks == {STAGING_NETWORK} and all(labels.get(k) == v for k, v in wanted.items()):
                remove(self.client.containers.prepare_model({"Id": summary["Id"]}))


def get(client: docker.DockerClient, id_or_name: str) -> Container | None:
    try:
        return client.containers.get(id_or_name)
    except docker.errors.NotFound:
        return None


def image_labels(container: Container) -> dict[str, str]:
    try:
        return dict(container.image.labels)
    except docker.errors.ImageNotFound:
        return {}


def retire(container: Container) -> None:
    """Stop, then remove; a container someone else removed meanwhile is already retired."""
    try:
        container.stop(timeout=STOP_GRACE_S)
    except docker.errors.APIError as error:
        if not gone(error):
            raise
        return
    remove(container)


def remove(container: Container) -> None:
    """Force-remove ``container``; already gone, or going, is done."""
    try:
        container.remove(force=True)
    except docker.errors.APIError as error:
        if not gone(error):
            raise


def gone(error: docker.errors.APIError) -> bool:
    """The engine says the container no longer exists, or is being removed right now.

    404 ``No such container`` (``docker.errors.NotFound``); some engines answer a
    removed container with 500 and the same words; 409 ``removal of container ... is
    already in progress`` when another client removes it at the same moment.
    """
    words = str(error.explanation or error).lower()
    return isinstance(error, docker.errors.NotFound) or any(
        phrase in words for phrase in ("no such container", "is already in progress")
    )


def logs(container: Container) -> str:
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
