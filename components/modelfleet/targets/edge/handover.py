"""The port hand-over: how an update moves a published port to the new version.

Docker cannot publish one host port from two containers, but it publishes a
container's ports when it joins its first non-internal network. So the new version
loads and proves its health on an internal staging network, and only then is the old
one disconnected and the new one connected to the other serving network. The design,
and the gap it leaves (0.1-0.3 s), is in ``docs/edge.md``.
"""

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from modelfleet.labels import MANAGED_BY
from modelfleet.targets.edge import health, lifecycle
from modelfleet.targets.edge.spec import SERVING_NETWORKS, STAGING_NETWORK, Spec


def swap(client: docker.DockerClient, spec: Spec, old: Container, name: str) -> Container:
    """Replace ``old`` on its own published port; see the module docstring for why so."""
    joined = set(old.attrs["NetworkSettings"]["Networks"])
    source_name = next((net for net in SERVING_NETWORKS if net in joined), SERVING_NETWORKS[0])
    networks = _networks(client)
    source = networks[source_name]
    target = networks[SERVING_NETWORKS[1 - SERVING_NETWORKS.index(source_name)]]
    staging = networks[STAGING_NETWORK]
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
        failure = health.wait_healthy(new, spec, health.published(spec))
    except docker.errors.APIError as error:
        failure = lifecycle.engine_error(error)
    if failure is not None:
        logs = lifecycle.logs(new)
        new.remove(force=True)
        with suppress(docker.errors.APIError):
            source.connect(old)
        raise lifecycle.unhealthy(spec, name, failure, logs, "the old container serves again")
    # The old one has no network left, so nothing reaches it to be drained: removed at
    # once, while the new one leaves the staging network.
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(staging.disconnect, new), pool.submit(lifecycle.remove, old)]
        for call in done:
            call.result()
    return new


def serving(container: Container | None) -> bool:
    """Whether ``container`` is on a serving network, so it holds its published port."""
    if container is None:
        return False
    joined = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return any(net in joined for net in SERVING_NETWORKS)


def _stage(client: docker.DockerClient, spec: Spec, name: str, staging: Network) -> Container:
    """The new version, started where no client reaches it, proven healthy there."""
    new = lifecycle.create(client, spec, name, network=staging.name)
    lifecycle.await_healthy(new, spec, staged=True, outcome="the old container keeps serving")
    return new


class _PortStillTakenError(Exception):
    """The port was not yet free in Docker's books when the new container asked for it."""


def _networks(client: docker.DockerClient) -> dict[str, Network]:
    """The engine's modelfleet networks, from one listing; made on first use, shared by all."""
    wanted = (*SERVING_NETWORKS, STAGING_NETWORK)
    found = {net.name: net for net in client.networks.list(names=list(wanted))}
    return {name: found.get(name) or _create_network(client, name) for name in wanted}


def _create_network(client: docker.DockerClient, name: str) -> Network:
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
        while host is not None and not leaving.done() and not refused(host, spec.host_port):
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


def refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False
