"""The port hand-over: how an update moves a published port to the new version.

Docker cannot publish one host port from two containers, but it publishes a
container's ports when it joins its first non-internal network. So the new version
loads and proves its health on an internal staging network, and only then is the old
one disconnected and the new one connected to the other serving network. The design,
and the gap it leaves (0.1-0.3 s), is in ``docs/edge.md``.
"""

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
        source.disconnect(old)
        # Only now: Docker frees the port in its books as the disconnect returns. A
        # connect sent as soon as the port refused connections lost that race in two
        # of three updates on a local engine, and left the new container joined without
        # its port, which no later call undoes (so it had to load again).
        target.connect(new)
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
