"""``modelfleet status`` against the `local` stack on the real engine and real Docker.

The operator's day: everything as deployed; a container stopped by hand; someone
starting another version by hand on a host; and ``up --refresh`` putting it right.
The stack runs through the Automation API (``modelfleet.automation``, what ``make up``
uses), so this file needs no language host; ``status`` runs as its user types it.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from docker.models.containers import Container
from pulumi import automation as auto

from modelfleet.automation import select_stack
from tests.e2e.conftest import THIS_STACK, containers_labelled

MODELFLEET = str(Path(sys.executable).parent / "modelfleet")
PORTS = {"canary": 18080, "gw-2": 18081}
"""Where the `local` stack publishes each host (host_port 18080, gw-2's port_offset 1)."""
BY_HAND = "modelfleet.test=status-by-hand"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def local(tmp_path: Path, model_server_image: str) -> Iterator[auto.Stack]:
    """The `local` stack in a copy of the project with its own file backend; destroyed
    afterwards, and its containers removed, even on failure."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", project)
    shutil.copy(REPO / "stacks" / "Pulumi.local.yaml", project / "stacks")
    stack = select_stack("local", project, tmp_path / "state")
    try:
        yield stack
    finally:
        try:
            stack.destroy()
        finally:
            for container in containers_labelled(THIS_STACK):
                container.remove(force=True)


def run_status(stack: auto.Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """``modelfleet status --stack local ARGS`` in the stack's project, with its backend."""
    return subprocess.run(
        [MODELFLEET, "status", "--stack", "local", *args],
        cwd=stack.workspace.work_dir,
        env={**os.environ, **stack.workspace.env_vars},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def status(stack: auto.Stack) -> tuple[int, dict[str, dict[str, Any]]]:
    """``status --format json``: its exit code and rows by host."""
    done = run_status(stack, "--format", "json")
    assert done.returncode in (0, 1), f"status exited {done.returncode}:\n{done.stderr}"
    assert "Traceback" not in done.stderr
    rows = json.loads(done.stdout)["rows"]
    return done.returncode, {row["host"]: row for row in rows}


def versions_and_health(rows: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    return {
        host: (row["desired_version"], str(row["running_version"]), row["health"])
        for host, row in rows.items()
    }


def container_of(host: str) -> Container:
    (container,) = containers_labelled([*THIS_STACK, f"modelfleet/host={host}"])
    return container


@pytest.fixture
def run_by_hand(model_server_image: str) -> Iterator[Callable[[str, int], Container]]:
    """``run(version, port)``: a serving container started by hand, as an operator would;
    removed after the test whatever happens."""
    client = docker.from_env()

    def run(version: str, port: int) -> Container:
        container = client.containers.run(
            model_server_image,
            detach=True,
            environment={"MODEL_VERSION": version},
            ports={"8080/tcp": ("127.0.0.1", port)},
            labels=dict([BY_HAND.split("=")]),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/ping", timeout=1).ok:
                    return container
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"by-hand {version} never answered /ping:\n{container.logs()!r}")

    try:
        yield run
    finally:
        for container in client.containers.list(all=True, filters={"label": BY_HAND}):
            container.remove(force=True)
        client.close()


def test_status_follows_what_really_runs_on_each_host(local: auto.Stack, run_by_hand):
    # GIVEN the local stack deployed
    local.up()
    # THEN every host runs the desired version and status exits 0
    code, rows = status(local)
    assert versions_and_health(rows) == {
        "canary": ("1.0.0", "1.0.0", "healthy"),
        "gw-2": ("1.0.0", "1.0.0", "healthy"),
    }
    assert code == 0
    assert all(row["latency_ms"] > 0 for row in rows.values())

    # WHEN gw-2's container is stopped by hand THEN that host is unreachable, exit 1
    container_of("gw-2").stop(timeout=1)
    code, rows = status(local)
    assert versions_and_health(rows) == {
        "canary": ("1.0.0", "1.0.0", "healthy"),
        "gw-2": ("1.0.0", "None", "unreachable"),
    }
    assert rows["gw-2"]["detail"] == "Connection refused"
    assert code == 1

    # WHEN another version is started by hand on gw-2's port THEN status shows the drift
    # with both versions
    rogue = run_by_hand("0.9.0", PORTS["gw-2"])
    code, rows = status(local)
    assert versions_and_health(rows)["gw-2"] == ("1.0.0", "0.9.0", "drift")
    assert rows["gw-2"]["detail"] == "stack says 1.0.0"
    assert code == 1

    # WHEN the operator removes it and runs `up --refresh` THEN all is as desired again
    rogue.remove(force=True)
    local.up(refresh=True)
    code, rows = status(local)
    assert versions_and_health(rows) == {
        "canary": ("1.0.0", "1.0.0", "healthy"),
        "gw-2": ("1.0.0", "1.0.0", "healthy"),
    }
    assert code == 0


def test_status_of_a_stack_never_deployed_exits_2_saying_so(local: auto.Stack):
    done = run_status(local)
    assert done.returncode == 2
    assert done.stderr == "error: stack 'local' has no placements output: run `up` first\n"
