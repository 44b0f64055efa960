"""End-to-end fixtures: the real Pulumi engine, the real Docker engine, the `local` stack.

Each test gets its own copy of the project (Pulumi.yaml and the local stack file) and
its own file backend in a temporary folder, so config changes never touch the repo;
every stack is destroyed afterwards, and leftover containers removed, even on failure.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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


def containers_labelled(labels: list[str]) -> list[Any]:
    """Every container (running or not) carrying all of ``labels``."""
    client = docker.from_env()
    try:
        return client.containers.list(all=True, filters={"label": labels})
    finally:
        client.close()


@contextmanager
def destroyed_after(stack: auto.Stack, labels: list[str]) -> Iterator[auto.Stack]:
    """Yield ``stack``; then destroy it and remove containers with ``labels``, even on failure."""
    try:
        yield stack
    finally:
        try:
            stack.destroy()
        finally:
            for container in containers_labelled(labels):
                container.remove(force=True)


@pytest.fixture
def local_stack(tmp_path: Path, model_server_image: str) -> Iterator[auto.Stack]:  # noqa: F811
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", project)
    shutil.copy(REPO / "stacks" / "Pulumi.local.yaml", project / "stacks")
    with destroyed_after(select_stack("local", project, tmp_path / "state"), THIS_STACK) as stack:
        yield stack
