"""A throwaway local-style edge stack: N hosts in one wave, all on this machine's engine.

Built like tests/e2e/conftest.py builds its stack (a temporary copy of the project,
its own file backend), but on its own location name and host ports (19000 + host
index), so it never meets the `local` stack (18080/18081) or the integration tests.
Every container it leaves is removed by label on the way out.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import yaml
from pulumi import automation as auto

from bench.machine import REPO
from modelfleet.automation import select_stack

MODEL = "bench-model"
LOCATION = "bench-site"
IMAGE = "modelfleet/model-server:dev"
BASE_PORT = 19000
RESOURCES = {"cpu": 0.5, "memory_mb": 256}
"""As the `local` stack's model: the floors start their containers with the same limits."""


def ensure_engine() -> None:
    """Put the engine scripts/install-pulumi provides first on PATH (as the e2e tests do)."""
    done = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], capture_output=True, text=True, check=True
    )
    bin_dir = done.stdout.strip().splitlines()[-1]
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ["PATH"]])


def stack_config(hosts: int, version: str = "1.0.0") -> dict[str, Any]:
    """``Pulumi.bench.yaml``: one model on ``hosts`` hosts sharing the unix socket, one wave."""
    return {
        "config": {
            "modelfleet:models": {
                MODEL: {
                    "version": version,
                    "image": IMAGE,
                    "host_port": BASE_PORT,
                    "resources": RESOURCES,
                    "data": {"classification": "internal", "residency": ["EU"]},
                }
            },
            "modelfleet:locations": {
                LOCATION: {
                    "kind": "edge",
                    "jurisdiction": "FR",
                    "health_timeout_s": 60,
                    "hosts": [
                        {
                            "name": f"h{i}",
                            "docker_host": "unix:///var/run/docker.sock",
                            "wave": 0,
                            "port_offset": i,
                        }
                        for i in range(hosts)
                    ],
                }
            },
            "modelfleet:placements": {MODEL: [LOCATION]},
        }
    }


def set_version(stack: auto.Stack, version: str) -> None:
    stack.set_config(f"modelfleet:models.{MODEL}.version", auto.ConfigValue(version), path=True)


def remove_containers() -> None:
    """Every container of this location, whatever state a failed run left it in."""
    client = docker.from_env()
    try:
        labels = ["managed-by=modelfleet", f"modelfleet/location={LOCATION}"]
        for container in client.containers.list(all=True, filters={"label": labels}):
            container.remove(force=True)
    finally:
        client.close()


@contextmanager
def edge_stack(hosts: int) -> Iterator[auto.Stack]:
    """The ``bench`` stack of a temporary project; its containers are gone afterwards."""
    ensure_engine()
    remove_containers()
    workdir = Path(tempfile.mkdtemp(prefix="modelfleet-bench-"))
    try:
        project = workdir / "project"
        (project / "stacks").mkdir(parents=True)
        shutil.copy(REPO / "Pulumi.yaml", project)
        (project / "stacks" / "Pulumi.bench.yaml").write_text(yaml.safe_dump(stack_config(hosts)))
        yield select_stack("bench", project, workdir / "state")
    finally:
        remove_containers()
        shutil.rmtree(workdir, ignore_errors=True)
