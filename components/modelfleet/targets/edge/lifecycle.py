"""The life of one container on one engine: create, start until healthy, pull, retire, log.

What the CRUD provider and the port hand-over both do to a container, written once.
"""

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
        failure = error.explanation or str(error)
    if failure is not None:
        log = logs(container)
        container.remove(force=True)
        raise unhealthy(spec, container.name, failure, log, outcome)


def unhealthy(spec: Spec, name: str, failure: str, logs: str, outcome: str) -> EdgeContainerError:
    return EdgeContainerError(
        f"{spec.target}: {name} (image {spec.image}, version {spec.version}) did not start and "
        f"turn healthy within {spec.health_timeout_s:g} s: {spec.redact(failure)}; it was "
        f"removed and {outcome}. Its log:\n{spec.redact(logs)}"
    )


def create(
    client: docker.DockerClient, spec: Spec, name: str, network: str = SERVING_NETWORKS[0]
) -> Container:
    # The port binding is in the config either way: Docker publishes it on the first
    # non-internal network the container joins, so on a staging network it waits.
    return client.containers.create(
        spec.image,
        name=name,
        network=network,
        environment=spec.environment,
        labels=dict(spec.labels),
        ports={f"{spec.container_port}/tcp": (spec.bind, spec.host_port)},
        restart_policy={"Name": "unless-stopped"},
        healthcheck={
            "test": ["CMD-SHELL", health.healthcheck(spec.container_port, spec.health_path)],
            "interval": health.HEALTH_INTERVAL_S * 10**9,
            "timeout": 3 * 10**9,
            "retries": 3,
            "start_period": int(spec.health_timeout_s * 10**9),
        },
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
    )


def _gpus(count: int) -> list[DeviceRequest] | None:
    """GPUs through Docker's device requests (the NVIDIA container toolkit serves them)."""
    return [DeviceRequest(count=count, capabilities=[["gpu"]])] if count else None


def ensure_image(client: docker.DockerClient, spec: Spec) -> None:
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


def free_name(client: docker.DockerClient, spec: Spec, generation: int) -> tuple[str, int]:
    """The first generation whose name is free."""
    while get(client, spec.container_name(generation)) is not None:
        generation += 1
    return spec.container_name(generation), generation


def remove_leftovers(client: docker.DockerClient, spec: Spec) -> None:
    """Remove versions an interrupted update left on the staging network.

    Only containers on nothing but the staging network: a replacement of this resource
    on the same engine serves from a serving network and must not be touched.
    """
    identity = ("modelfleet/model", "modelfleet/host", "modelfleet/location")
    selector = [f"{key}={spec.labels[key]}" for key in identity if key in spec.labels]
    # ignore_removed: a container removed by someone else between the listing and its
    # inspection is skipped, not an error.
    listed = client.containers.list(all=True, filters={"label": selector}, ignore_removed=True)
    for container in listed:
        if set(container.attrs["NetworkSettings"]["Networks"]) == {STAGING_NETWORK}:
            remove(container)


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
