"""The three ways to reach an edge host, against real engines: unix, ssh, mutual TLS.

Each transport runs the provider's whole life cycle (create, a zero-gap update, read,
delete) on its engine; hosts that refuse or never answer fail within the connect
timeout, naming the host and its location.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from modelfleet import EdgeHostError
from modelfleet.targets.edge.connect import EdgeTarget, docker_client
from modelfleet.targets.edge.crud import EdgeContainerProvider
from tests.integration.edge_fixtures import (
    LOCAL_DOCKER_HOST,
    SshEngine,
    TlsEngine,
    edge_props,
    free_port,
    get,
    make_tls_material,
    silent_listener,
)

TIMEOUT_S = 2.0
GRACE_S = 3.0
"""Beyond the timeout, what a loaded 2-core machine may take to start ssh or a TLS
handshake; a client without the timeout waits 60 s or forever."""
WHERE = "edge host 'gw-1' of location 'plant-test'"


@dataclass(frozen=True)
class Transport:
    """An engine as the provider reaches it, and a client to check what it did there."""

    docker_host: str
    tls: dict[str, str] | None
    engine: docker.DockerClient


@pytest.fixture(params=["unix", "ssh", "tls"])
def transport(request: pytest.FixtureRequest, docker_engine: docker.DockerClient) -> Transport:
    if request.param == "unix":
        return Transport(LOCAL_DOCKER_HOST, None, docker_engine)
    if request.param == "ssh":
        ssh = request.getfixturevalue("ssh_on_path")
        return Transport(ssh.docker_host, None, docker_engine)
    tls = request.getfixturevalue("tls_engine")
    return Transport(tls.docker_host, tls.tls.client, tls.client)


@pytest.fixture
def model(transport: Transport) -> Iterator[str]:
    name = f"edgetest-{uuid.uuid4().hex[:8]}"
    yield name
    for container in transport.engine.containers.list(
        all=True, filters={"label": f"modelfleet/model={name}"}
    ):
        container.remove(force=True)


def test_the_whole_life_cycle_over_each_transport(
    transport: Transport, edge_test_image: str, model: str
) -> None:
    # GIVEN a container to run on the transport's engine
    provider = EdgeContainerProvider()
    port = free_port()
    props = edge_props(
        edge_test_image, model, port, docker_host=transport.docker_host, tls=transport.tls
    )

    # WHEN the engine creates, updates, refreshes and deletes it
    started = time.monotonic()
    created = provider.create(props)
    create_s = time.monotonic() - started
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    assert transport.engine.containers.get(created.id).labels["modelfleet/model"] == model

    started = time.monotonic()
    updated = provider.update(created.id, created.outs or {}, {**props, "version": "2.0.0"})
    update_s = time.monotonic() - started
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "2.0.0")

    read = provider.read(created.id, updated.outs or {})
    assert read.id == created.id
    assert (read.outs or {})["container_name"] == f"modelfleet-{model}-gw-1-2"

    provider.delete(created.id, updated.outs or {})

    # THEN nothing of the model is left on that engine
    print(
        f"\nedge-metrics: transport={transport.docker_host.split(':')[0]} "
        f"create_s={create_s:.2f} update_s={update_s:.2f}"
    )
    assert (
        transport.engine.containers.list(all=True, filters={"label": f"modelfleet/model={model}"})
        == []
    )


def test_an_ssh_host_refusing_connections_is_named_within_the_timeout(
    ssh_on_path: SshEngine,
) -> None:
    # GIVEN an ssh:// host on a closed port
    target = EdgeTarget("gw-1", "plant-test", f"ssh://root@127.0.0.1:{free_port()}")

    # WHEN a client connects
    started = time.monotonic()
    with pytest.raises(EdgeHostError) as failure, docker_client(target, timeout=TIMEOUT_S):
        pass

    # THEN the error names the host and location, and says why
    assert time.monotonic() - started < TIMEOUT_S + GRACE_S
    assert WHERE in str(failure.value)
    assert "Connection refused" in str(failure.value)


def test_an_ssh_host_that_never_answers_fails_within_the_timeout(ssh_on_path: SshEngine) -> None:
    # GIVEN an ssh:// host whose port accepts connections and then stays silent
    with silent_listener() as (port, _):
        target = EdgeTarget("gw-1", "plant-test", f"ssh://root@127.0.0.1:{port}")

        # WHEN a client connects
        started = time.monotonic()
        with pytest.raises(EdgeHostError) as failure, docker_client(target, timeout=TIMEOUT_S):
            pass

        # THEN it gives up after the timeout, naming the host and location
        assert time.monotonic() - started < TIMEOUT_S + GRACE_S
        assert WHERE in str(failure.value)


@pytest.mark.parametrize("silent", [False, True], ids=["refused", "silent"])
def test_a_tls_host_that_does_not_answer_is_named_within_the_timeout(silent: bool) -> None:
    # GIVEN a tcp:// host with TLS on a closed port, or on one that never speaks
    material = make_tls_material()
    with silent_listener() as (open_port, _):
        port = open_port if silent else free_port()
        target = EdgeTarget("gw-1", "plant-test", f"tcp://127.0.0.1:{port}")

        # WHEN a client connects
        started = time.monotonic()
        with (
            pytest.raises(EdgeHostError) as failure,
            docker_client(target, material.client, timeout=TIMEOUT_S),
        ):
            pass

        # THEN it fails within the timeout, naming the host and location, never the key
        assert time.monotonic() - started < TIMEOUT_S + GRACE_S
        assert WHERE in str(failure.value)
        assert material.client_key.splitlines()[1] not in str(failure.value)


def test_a_tls_host_rejects_a_client_from_another_ca(tls_engine: TlsEngine) -> None:
    # GIVEN the TLS engine's CA, with a client pair signed by some other CA
    stranger = make_tls_material()
    tls = {"ca": tls_engine.tls.ca, "cert": stranger.client_cert, "key": stranger.client_key}
    target = EdgeTarget("gw-1", "plant-test", tls_engine.docker_host)

    # WHEN a client connects
    with pytest.raises(EdgeHostError) as failure, docker_client(target, tls, timeout=TIMEOUT_S):
        pass

    # THEN the handshake is refused, the host named, the key never shown
    assert WHERE in str(failure.value)
    assert stranger.client_key.splitlines()[1] not in str(failure.value)


def test_tls_material_lives_in_a_private_directory_only_while_connected(
    tls_engine: TlsEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN temporary files going to a directory of this test's own
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    target = EdgeTarget("gw-1", "plant-test", tls_engine.docker_host)

    # WHEN a client is connected over TLS
    with docker_client(target, tls_engine.tls.client) as client:
        assert client.ping()
        (directory,) = tmp_path.glob("modelfleet-tls-*")
        # THEN the PEM files sit in a directory only its owner can enter, the key owner-only
        assert directory.stat().st_mode & 0o777 == 0o700
        assert (directory / "key.pem").stat().st_mode & 0o777 == 0o600

    # AND they are gone once the client is closed
    assert list(tmp_path.glob("modelfleet-tls-*")) == []
