"""End-to-end fixtures: the real Pulumi engine, the real Docker engine, the `local` stack.

Each test gets its own copy of the project (Pulumi.yaml and the local stack file) and
its own file backend in a temporary folder, so config changes never touch the repo;
every stack is destroyed afterwards, and leftover containers removed, even on failure.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from pulumi import automation as auto

from modelfleet.automation import select_stack
from tests.integration.image_fixtures import (  # noqa: F401 - fixtures, found by name
    model_server_image,
    model_server_onnx,
)

REPO = Path(__file__).resolve().parents[2]
THIS_STACK = ["managed-by=modelfleet", "modelfleet/location=this-machine"]
"""Labels of the local stack's containers: other tiers may run containers of their own."""


@pytest.fixture(scope="session", autouse=True)
def pulumi_engine() -> str:
    """Put the engine scripts/install-pulumi provides (or builds) first on PATH."""
    done = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], capture_output=True, text=True, check=True
    )
    bin_dir = done.stdout.strip().splitlines()[-1]
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ["PATH"]])
    return bin_dir


@pytest.fixture
def local_stack(tmp_path: Path, model_server_image: str) -> Iterator[auto.Stack]:  # noqa: F811
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
            client = docker.from_env()
            for container in client.containers.list(all=True, filters={"label": THIS_STACK}):
                container.remove(force=True)
            client.close()
