"""The EdgeContainer provider against this machine's Docker engine, called as the engine calls it.

create / read / diff / update / delete get plain dicts, exactly what the dynamic
provider host hands over once secrets are unwrapped. Each test uses its own model
name and removes whatever it left, passed or failed.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import docker
import pytest
from docker.models.networks import Network

from modelfleet import EdgeContainerError, EdgeHostError
from modelfleet.targets.edge import lifecycle
from modelfleet.targets.edge.crud import EdgeContainerProvider
from tests.integration.edge_fixtures import SECRET, edge_props, free_port, get, silent_listener

POLL_S = 0.2
START_DELAY_S = 2
"""How long version 2 of the test image takes to load before ``/ping`` turns 200."""


@dataclass
class Poller:
    """A client hitting ``/ping`` every ``interval`` seconds: (time, outcome) per request."""

    url: str
    interval: float
    samples: list[tuple[float, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Poller:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status, body = get(self.url)
                outcome = f"{status}:{body}"
            except ConnectionRefusedError:
                outcome = "refused"
            except (OSError, http.client.HTTPException) as error:
                # A request in flight on the old container when it leaves its network
                # is cut: a short read is an unanswered request, not the poller's end.
                outcome = type(error).__name__
            self.samples.append((started, outcome))
            self._stop.wait(self.interval)

    def longest_window(self, bad: Callable[[str], bool]) -> float:
        """Longest time from the first bad sample of a run to the next good one."""
        longest, since = 0.0, None
        for at, seen in self.samples:
            if bad(seen) and since is None:
                since = at
            elif not bad(seen) and since is not None:
                longest, since = max(longest, at - since), None
        return longest


@pytest.fixture
def model(docker_engine: docker.DockerClient) -> Iterator[str]:
    """A model name of this test's own; its containers are removed afterwards."""
    name = f"edgetest-{uuid.uuid4().hex[:8]}"
    yield name
    for container in docker_engine.containers.list(
        all=True, filters={"label": f"modelfleet/model={name}"}
    ):
        container.remove(force=True)


@pytest.fixture
def provider() -> EdgeContainerProvider:
    return EdgeContainerProvider()


def ours(engine: docker.DockerClient, model: str) -> list[str]:
    """Names of the containers of ``model`` labelled managed-by=modelfleet."""
    found = engine.containers.list(
        all=True, filters={"label": ["managed-by=modelfleet", f"modelfleet/model={model}"]}
    )
    return sorted(container.name for container in found)


def test_create_serves_ping_from_a_hardened_container(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN inputs for a new container on a free port
    port = free_port()
    props = edge_props(edge_test_image, model, port)

    # WHEN the engine creates it
    started = time.monotonic()
    result = provider.create(props)
    elapsed = time.monotonic() - started
    print(f"\nedge-metrics: create_s={elapsed:.2f}")

    # THEN it answers /ping on the published address with its version
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    outs = result.outs or {}
    assert outs["url"] == f"http://127.0.0.1:{port}/invocations"
    assert outs["container_name"] == f"modelfleet-{model}-gw-1-1"
    assert outs["status"] == "running"
    assert SECRET not in str({k: v for k, v in outs.items() if k != "secret_env"})
    # AND it runs hardened, labelled, limited, with a healthcheck on the health path
    attrs = docker_engine.containers.get(result.id).attrs
    host_config, config = attrs["HostConfig"], attrs["Config"]
    assert host_config["ReadonlyRootfs"] is True
    assert "/tmp" in host_config["Tmpfs"]
    assert host_config["CapDrop"] == ["ALL"]
    assert host_config["SecurityOpt"] == ["no-new-privileges:true"]
    assert host_config["RestartPolicy"]["Name"] == "unless-stopped"
    assert host_config["NanoCpus"] == 500_000_000
    assert host_config["Memory"] == 64 * 2**20
    assert host_config["PortBindings"]["8080/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": str(port)}
    ]
    assert "http://127.0.0.1:8080/ping" in " ".join(config["Healthcheck"]["Test"])
    assert "MODEL_VERSION=1.0.0" in config["Env"]
    assert config["Labels"]["managed-by"] == "modelfleet"
    assert config["Labels"]["modelfleet/host"] == "gw-1"


def test_healthy_update_swaps_while_the_old_version_serves(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN version 1 serving, and a version 2 that loads for START_DELAY_S before /ping is 200
    port = free_port()
    old = edge_props(edge_test_image, model, port)
    created = provider.create(old)
    new = edge_props(
        edge_test_image, model, port, version="2.0.0", env={"START_DELAY": str(START_DELAY_S)}
    )
    assert provider.diff(created.id, created.outs or {}, new).changes is True

    # WHEN the engine updates it while one client polls every 0.2 s and another every 10 ms
    url = f"http://127.0.0.1:{port}/ping"
    with Poller(url, POLL_S) as client, Poller(url, 0.01) as fine:
        time.sleep(0.5)
        started = time.monotonic()
        updated = provider.update(created.id, created.outs or {}, new)
        elapsed = time.monotonic() - started
        time.sleep(0.5)

    # THEN the new version serves, the old one is gone
    assert get(url) == (200, "2.0.0")
    outs = updated.outs or {}
    assert outs["container_name"] == f"modelfleet-{model}-gw-1-2"
    assert ours(docker_engine, model) == [f"modelfleet-{model}-gw-1-2"]
    # AND every answer was v1 until the swap, then v2: never a mix, never v1 again
    answers = [seen for _, seen in client.samples if seen.startswith("200:")]
    assert answers[0] == "200:1.0.0", client.samples
    assert answers[-1] == "200:2.0.0", client.samples
    first_new = answers.index("200:2.0.0")
    assert set(answers[:first_new]) == {"200:1.0.0"}, client.samples
    assert set(answers[first_new:]) == {"200:2.0.0"}, client.samples
    # AND version 1 kept serving while version 2 loaded
    serving_old = [at for at, seen in client.samples if at > started and seen == "200:1.0.0"]
    assert serving_old, client.samples
    assert serving_old[-1] - started >= START_DELAY_S, client.samples
    # AND the port went unanswered only while Docker moved the binding, not while a model loaded
    refused = fine.longest_window(lambda seen: seen == "refused")
    unanswered = fine.longest_window(lambda seen: not seen.startswith("200:"))
    print(
        f"\nedge-metrics: update_s={elapsed:.2f} longest_refused_s={refused:.3f} "
        f"longest_without_200_s={unanswered:.3f}"
    )
    assert unanswered < START_DELAY_S, fine.samples


def test_update_to_a_version_that_never_turns_healthy_fails_and_the_old_one_serves(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN version 1 serving
    port = free_port()
    created = provider.create(edge_props(edge_test_image, model, port))
    bad = edge_props(
        edge_test_image,
        model,
        port,
        version="2.0.0",
        env={"FAIL_HEALTH": "1"},
        health_timeout_s=3.0,
    )

    # WHEN the engine updates it to a version whose /ping never answers 200
    with pytest.raises(EdgeContainerError) as failure:
        provider.update(created.id, created.outs or {}, bad)

    # THEN the error names the host and carries the new container's log, first lines included
    message = str(failure.value)
    assert "edge host 'gw-1' of location 'plant-test'" in message
    assert "version 2.0.0" in message
    assert "edge-test: FAIL_HEALTH=1, /ping will never answer 200" in message
    assert SECRET not in message
    # AND version 1 still answers, and it is the only container left
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    assert ours(docker_engine, model) == [f"modelfleet-{model}-gw-1-1"]


def test_read_reports_a_container_removed_by_hand_as_gone(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN a container the provider made, then removed by hand
    created = provider.create(edge_props(edge_test_image, model, free_port()))
    docker_engine.containers.get(created.id).remove(force=True)

    # WHEN the engine refreshes it
    read = provider.read(created.id, created.outs or {})

    # THEN it is gone (an empty id), so `pulumi refresh` drops it from the state
    assert read.id == ""
    assert read.outs == {}


def test_read_reports_drift_and_the_next_update_repairs_it(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN a container whose memory limit was changed and which was stopped by hand
    port = free_port()
    props = edge_props(edge_test_image, model, port)
    created = provider.create(props)
    live = docker_engine.containers.get(created.id)
    live.update(mem_limit="96m", memswap_limit="96m")
    live.stop(timeout=1)

    # WHEN the engine refreshes it
    read = provider.read(created.id, created.outs or {})

    # THEN the outputs show what is really there, and the diff against the program wants an update
    outs = read.outs or {}
    assert read.id == created.id
    assert outs["memory_mb"] == 96
    assert outs["status"] == "exited"
    assert outs["labels"] == props["labels"]
    diff = provider.diff(read.id, outs, props)
    assert diff.changes is True
    assert not diff.replaces
    # AND the update brings back a running container with the declared limits
    updated = provider.update(read.id, outs, props)
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    repaired = docker_engine.containers.get((updated.outs or {})["container_id"])
    assert repaired.attrs["HostConfig"]["Memory"] == 64 * 2**20


def test_changing_only_how_the_host_is_reached_restarts_nothing(
    provider: EdgeContainerProvider, edge_test_image: str, model: str
) -> None:
    # GIVEN a running container
    props = edge_props(edge_test_image, model, free_port())
    created = provider.create(props)
    news = {**props, "health_timeout_s": 90.0, "invoke_path": "/predict"}

    # WHEN only state-only inputs change
    diff = provider.diff(created.id, created.outs or {}, news)
    updated = provider.update(created.id, created.outs or {}, news)

    # THEN the update keeps the same container and only the outputs change
    assert diff.changes is True
    assert not diff.replaces
    outs = updated.outs or {}
    assert outs["container_id"] == created.id
    assert outs["url"].endswith("/predict")


def test_delete_leaves_no_container_and_tolerates_one_already_gone(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN a container, updated once (so the resource id is no longer the serving container's)
    port = free_port()
    created = provider.create(edge_props(edge_test_image, model, port))
    updated = provider.update(
        created.id, created.outs or {}, edge_props(edge_test_image, model, port, version="2.0.0")
    )

    # WHEN the engine deletes it, twice
    provider.delete(created.id, updated.outs or {})
    provider.delete(created.id, updated.outs or {})

    # THEN nothing labelled managed-by=modelfleet is left for this model
    assert ours(docker_engine, model) == []


def test_delete_succeeds_when_another_client_removes_a_container_meanwhile(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN this resource's container and another with the same model, host and location
    # labels (a replacement, or another stack's), which its owner removes at the worst
    # moment: after the provider lists the labels' containers, before it inspects them.
    # A destroy racing a cleanup met this: "delete failed: No such container: <id>".
    created = provider.create(edge_props(edge_test_image, model, free_port()))
    other = provider.create(edge_props(edge_test_image, model, free_port()))
    listing = docker.api.client.APIClient.containers

    def listed_then_removed(api: Any, *args: Any, **kwargs: Any) -> Any:
        found = listing(api, *args, **kwargs)
        if any(entry["Id"] == other.id for entry in found):
            docker_engine.containers.get(other.id).remove(force=True)
        return found

    monkeypatch.setattr(docker.api.client.APIClient, "containers", listed_then_removed)

    # WHEN the engine deletes this resource THEN the delete succeeds: gone is deleted
    provider.delete(created.id, created.outs or {})
    monkeypatch.undo()
    assert ours(docker_engine, model) == []


def test_retire_treats_a_container_gone_or_going_as_retired(
    edge_test_image: str, model: str, docker_engine: docker.DockerClient
) -> None:
    # GIVEN a handle on a container that another client has already removed
    created = EdgeContainerProvider().create(edge_props(edge_test_image, model, free_port()))
    stale = docker_engine.containers.get(created.id)
    docker_engine.containers.get(created.id).remove(force=True)
    # WHEN it is retired and removed through the stale handle THEN both are done, not errors
    lifecycle.retire(stale)
    lifecycle.remove(stale)
    # AND an engine error that is not about a missing container still surfaces
    busy = docker.errors.APIError("conflict", explanation="port is already allocated")
    assert not lifecycle.gone(busy)
    assert lifecycle.gone(
        docker.errors.APIError("x", explanation="removal of container abc is already in progress")
    )


def test_an_image_that_cannot_be_pulled_names_the_image_not_the_password(
    provider: EdgeContainerProvider, model: str
) -> None:
    # GIVEN an image on a registry nobody answers for, with credentials
    registry = f"127.0.0.1:{free_port()}"
    props = edge_props(
        f"{registry}/ml/absent:1",
        model,
        free_port(),
        registry_auth={"username": "puller", "password": SECRET},
    )

    # WHEN the engine creates it
    with pytest.raises(EdgeContainerError) as failure:
        provider.create(props)

    # THEN the error names the image and host, never the password
    assert f"image {registry}/ml/absent:1 is not on the host and could not be pulled" in str(
        failure.value
    )
    assert "edge host 'gw-1'" in str(failure.value)
    assert SECRET not in str(failure.value)


def test_plain_tcp_is_refused_before_any_connection(
    provider: EdgeContainerProvider, edge_test_image: str, model: str
) -> None:
    # GIVEN a tcp:// host without TLS, where something listens and counts connections
    with silent_listener() as (port, accepted):
        props = edge_props(
            edge_test_image, model, free_port(), docker_host=f"tcp://127.0.0.1:{port}"
        )

        # WHEN the engine creates it
        with pytest.raises(EdgeHostError) as failure:
            provider.create(props)
        time.sleep(0.2)

        # THEN it is refused with the reason, and nothing ever connected
        assert "plain tcp:// is refused" in str(failure.value)
        assert "edge host 'gw-1' of location 'plant-test'" in str(failure.value)
        assert accepted == []


def test_the_new_container_joins_only_once_the_old_one_has_left(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN version 1 serving, and an engine whose disconnects lag (a loaded host)
    port = free_port()
    created = provider.create(edge_props(edge_test_image, model, port))
    calls: list[str] = []
    leaving, joining = Network.disconnect, Network.connect

    def slow_disconnect(self: Network, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.5)
        leaving(self, *args, **kwargs)
        calls.append(f"left {self.name}")

    def recorded_connect(self: Network, *args: Any, **kwargs: Any) -> None:
        calls.append(f"joining {self.name}")
        joining(self, *args, **kwargs)

    monkeypatch.setattr(Network, "disconnect", slow_disconnect)
    monkeypatch.setattr(Network, "connect", recorded_connect)
    # WHEN the engine updates it
    updated = provider.update(
        created.id, created.outs or {}, edge_props(edge_test_image, model, port, version="2.0.0")
    )
    # THEN the new one asked for the port only after the old one's disconnect returned
    # (Docker frees the port then), once: version 2 serves, nothing else is left
    assert calls[:2] == ["left bridge", "joining modelfleet-serving"], calls
    assert calls.count("joining modelfleet-serving") == 1, calls
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "2.0.0")
    assert ours(docker_engine, model) == [(updated.outs or {})["container_name"]]


def test_an_old_container_a_lost_link_left_off_every_network_is_replaced_in_one_update(
    provider: EdgeContainerProvider,
    edge_test_image: str,
    model: str,
    docker_engine: docker.DockerClient,
) -> None:
    # GIVEN version 1, cut off its serving network as a link lost between the two calls
    # of the port hand-over leaves it: running, port unpublished
    port = free_port()
    old = edge_props(edge_test_image, model, port)
    created = provider.create(old)
    docker_engine.networks.get("bridge").disconnect(created.id)
    # WHEN the next update runs
    new = edge_props(edge_test_image, model, port, version="2.0.0")
    updated = provider.update(created.id, created.outs or {}, new)
    # THEN the new version serves on the port and the stranded one is gone
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "2.0.0")
    assert ours(docker_engine, model) == [(updated.outs or {})["container_name"]]
