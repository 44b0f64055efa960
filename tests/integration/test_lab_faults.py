"""Faults on a lab wave, through the real engine and the edge provider as shipped.

Layout: h0 and h1 are wave 0 (canaries), h2..h9 wave 1. Policy (what these tests pin):
a host that fails fails the ``up``, naming it; hosts whose swap already started finish
it; no host of a later wave is touched; every host serves the old version or the new
one throughout (never neither) and the next ``up`` converges, one container per host.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pulumi import automation as auto

from modelfleet.targets.edge.connect import API_TIMEOUT_S
from tests.integration.image_fixtures import model_server_image  # noqa: F401 - fixture
from tests.lab.fixtures import LAB_HOSTS, lab  # noqa: F401 - fixture
from tests.lab.lab import Lab
from tests.lab.network import Shape
from tests.lab.stack import HOST_PORT, lab_containers, lab_stack, set_version
from tests.lab.timeline import SwapTimeline

PARALLEL = 64
WAVES = {"h0": 0, "h1": 0, **{f"h{i}": 1 for i in range(2, LAB_HOSTS)}}
HEALTHY = Shape(delay_ms=50.0, rate_mbit=10.0)


@pytest.fixture(scope="module")
def fleet(lab: Lab) -> Iterator[auto.Stack]:  # noqa: F811
    """The wave-layout stack at 1.0.0 on the wide provider."""
    with lab_stack(lab, mode="wide", max_parallel=LAB_HOSTS, waves=WAVES) as stack:
        stack.up(parallel=PARALLEL)
        yield stack
        lab.shape(HEALTHY)
        stack.destroy(parallel=PARALLEL)


@pytest.fixture
def healed(lab: Lab) -> Iterator[None]:  # noqa: F811
    """Every link healthy again after the test, whatever it did to them."""
    yield
    lab.shape(HEALTHY)


def versions(lab: Lab) -> dict[str, str | None]:  # noqa: F811
    return {host.name: host.served_version(HOST_PORT) for host in lab.hosts}


def up_with_faults(
    stack: auto.Stack,
    lab: Lab,  # noqa: F811 - the fixture's value
    faults: Mapping[str, Callable[[], None]],
) -> tuple[str | None, dict[str, object]]:
    """``up``, striking each host's fault once its new container exists; the engine's
    error (None if the up succeeded) and the swap timeline."""
    struck: set[str] = set()

    def strike(name: str) -> None:
        if name in faults and name not in struck:
            struck.add(name)
            faults[name]()

    timeline = SwapTimeline(lab, on_create=strike)
    try:
        stack.up(parallel=PARALLEL)
        error = None
    except auto.CommandError as failed:
        error = str(failed)
    finally:
        swaps = timeline.close()
    assert struck == set(faults), f"{set(faults) - struck} never started a swap: {swaps}"
    return error, swaps


def report(what: str, error: str | None) -> None:
    """The engine's lines naming lab hosts, shown by ``pytest -rP``: what users read."""
    lines = [line.strip() for line in (error or "").splitlines() if "edge host" in line]
    print(f"{what}: {'up succeeded' if error is None else lines[:3]}")


def assert_converges(stack: auto.Stack, lab: Lab, version: str) -> None:  # noqa: F811
    """A re-run ``up`` succeeds: one container per host, every host serving ``version``."""
    stack.up(parallel=PARALLEL)
    counts = {name: len(found) for name, found in lab_containers(lab).items()}
    assert counts == {host.name: 1 for host in lab.hosts}, counts
    assert versions(lab) == {host.name: version for host in lab.hosts}


def test_link_cut_mid_swap_fails_those_hosts_only(
    lab: Lab,  # noqa: F811 - the fixture
    fleet: auto.Stack,
    healed: None,
) -> None:
    # GIVEN a new version, and h4 (ssh) and h5 (TLS) whose links go down once their new
    # containers exist
    set_version(fleet, "1.1.0")
    victims = [lab.host("h4"), lab.host("h5")]
    cuts = {host.name: functools.partial(lab.cut, host) for host in victims}
    # WHEN the wave rolls out
    started = time.monotonic()
    error, _ = up_with_faults(fleet, lab, cuts)
    seconds = time.monotonic() - started
    report(f"link cut ({seconds:.0f} s)", error)
    # THEN the up fails naming both, once each noticed its dead link (not after the API's
    # 300 s read timeout); every other host serves 1.1.0; h4 and h5 still serve old or new
    assert error is not None, "the up succeeded though two links were cut"
    for name in cuts:
        assert f"edge host '{name}' of location 'lab-site'" in error, error
    assert seconds < API_TIMEOUT_S, f"a dead link held the up for {seconds:.0f} s"
    served = versions(lab)
    for name in cuts:
        assert served.pop(name) in {"1.0.0", "1.1.0"}, f"{name} serves nothing after the cut"
    assert served == {host.name: "1.1.0" for host in lab.hosts if host.name not in cuts}
    # AND once the links are back, the next up converges with no duplicate container
    lab.shape(HEALTHY, victims)
    assert_converges(fleet, lab, "1.1.0")


def test_engine_restart_mid_swap_keeps_a_version_serving(
    lab: Lab,  # noqa: F811 - the fixture
    fleet: auto.Stack,
    healed: None,
) -> None:
    # GIVEN a new version, and h7 (TLS) whose dockerd restarts once its new container exists
    set_version(fleet, "1.2.0")
    victim = lab.host("h7")

    def restart() -> None:
        victim.stop_engine()
        victim.start_engine(victim.root.parent / "tls")

    # WHEN the wave rolls out
    with ThreadPoolExecutor(max_workers=1) as pool:
        error, _ = up_with_faults(fleet, lab, {"h7": lambda: pool.submit(restart).result()})
    report("engine restart", error)
    # THEN if the up failed, it was h7's doing; h7 serves old or new, the others 1.2.0
    assert error is None or "'h7'" in error, error
    served = versions(lab)
    assert served.pop("h7") in {"1.1.0", "1.2.0"}, "h7 serves nothing after its engine restarted"
    assert set(served.values()) == {"1.2.0"}
    # AND the next up converges with no duplicate container
    assert_converges(fleet, lab, "1.2.0")


def test_unreachable_canary_stops_later_waves_and_rerun_converges(
    lab: Lab,  # noqa: F811 - the fixture
    fleet: auto.Stack,
    healed: None,
) -> None:
    # GIVEN h1 (a wave-0 canary, TLS) unreachable for the whole up
    set_version(fleet, "1.3.0")
    lab.cut(lab.host("h1"))
    # WHEN the stack is updated
    with pytest.raises(auto.CommandError) as failed:
        fleet.up(parallel=PARALLEL)
    # THEN the error names h1 and says it could not connect; wave 1 was not touched
    message = str(failed.value)
    report("unreachable canary", message)
    assert "edge host 'h1' of location 'lab-site'" in message, message
    assert "could not connect" in message, message
    served = versions(lab)
    assert served["h0"] == "1.3.0"
    assert {name: v for name, v in served.items() if WAVES[name] == 1} == {
        name: "1.2.0" for name, wave in WAVES.items() if wave == 1
    }
    # AND with h1 back, the next up converges with no duplicate container
    lab.shape(HEALTHY, [lab.host("h1")])
    assert_converges(fleet, lab, "1.3.0")


def test_a_second_concurrent_up_is_refused_by_the_lock(lab: Lab, fleet: auto.Stack) -> None:  # noqa: F811
    # GIVEN an up of a new version under way (h0's new container exists)
    set_version(fleet, "1.4.0")
    started = threading.Event()
    timeline = SwapTimeline(lab, on_create=lambda _host: started.set())
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(fleet.up, parallel=PARALLEL)
        assert started.wait(timeout=600), "the first up never started a swap"
        # WHEN a second up of the same stack starts, from another process as a second
        # operator would (the SDK's runtime state is per process: two inline programs in
        # one process are not two users)
        second = up_elsewhere(fleet)
        first.result(timeout=900)
    timeline.close()
    # THEN the backend's lock refused it, and the first one finished the whole rollout
    assert second.returncode == 1, second.stdout + second.stderr
    assert "locked" in second.stderr, second.stderr
    counts = {name: len(found) for name, found in lab_containers(lab).items()}
    assert counts == {host.name: 1 for host in lab.hosts}
    assert versions(lab) == {host.name: "1.4.0" for host in lab.hosts}


def up_elsewhere(stack: auto.Stack) -> subprocess.CompletedProcess[str]:
    """``up`` of ``stack``'s project and state by ``python -m modelfleet.automation``."""
    env = stack.workspace.env_vars
    state = Path(urllib.parse.urlsplit(env["PULUMI_BACKEND_URL"]).path)
    command = [sys.executable, "-m", "modelfleet.automation", "up", "--stack", stack.name]
    command += ["--project-dir", str(stack.workspace.work_dir), "--state-dir", str(state)]
    return subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, timeout=600, check=False
    )
