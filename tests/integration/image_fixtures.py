"""Fixtures for the serving image: build it once, extract its model, run containers.

Kept apart from ``conftest.py`` so the image's fixtures and the edge fixtures stay
separate; ``conftest.py`` re-exports them. Containers publish port 8080 on 127.0.0.1
only, on a port Docker picks, and every container a test starts is removed afterwards,
whether the test passed or not.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests
from docker.models.containers import Container

REPO = Path(__file__).resolve().parents[2]
IMAGE_VERSION = "dev"
IMAGE = f"modelfleet/model-server:{IMAGE_VERSION}"
CONTAINER_MODEL = "/opt/ml/model/model.onnx"
READY_TIMEOUT_S = 30.0
SMALL_BODY_LIMIT = 64 * 1024


def build_image(version: str = IMAGE_VERSION) -> str:
    """Build ``modelfleet/model-server:VERSION`` with scripts/build-images; its tag."""
    done = subprocess.run(
        [str(REPO / "scripts" / "build-images"), version],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, f"build-images failed:\n{done.stdout}\n{done.stderr}"
    return f"modelfleet/model-server:{version}"


@dataclass
class ModelServer:
    """A running serving container and the loopback URL of its port 8080."""

    container: Container
    url: str

    def logs(self) -> str:
        """The container's output so far, for assertion messages."""
        return str(self.container.logs().decode(errors="replace"))

    def health(self) -> str:
        """Docker's HEALTHCHECK status: starting, healthy or unhealthy."""
        self.container.reload()
        return str(self.container.attrs["State"]["Health"]["Status"])


def wait_until_ready(server: ModelServer, timeout_s: float = READY_TIMEOUT_S) -> float:
    """Poll ``/ping`` until it answers 200; the seconds that took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            if requests.get(f"{server.url}/ping", timeout=1).status_code == 200:
                return time.monotonic() - start
        except requests.ConnectionError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{server.url}/ping not 200 within {timeout_s} s:\n{server.logs()}")


@pytest.fixture(scope="session")
def model_server_image() -> str:
    """The serving image, built (or found in the layer cache) once per session."""
    return build_image()


@pytest.fixture(scope="session")
def model_server_onnx(model_server_image: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX file inside the image, copied out so tests can run it in-process."""
    client = docker.from_env()
    container = client.containers.create(model_server_image)
    try:
        chunks, _ = container.get_archive(CONTAINER_MODEL)
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as archive:
            member = archive.extractfile(Path(CONTAINER_MODEL).name)
            assert member is not None
            data = member.read()
    finally:
        container.remove(force=True)
        client.close()
    path = tmp_path_factory.mktemp("model") / "model.onnx"
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def model_servers(image: str) -> Iterator[Callable[..., ModelServer]]:
    """Yield ``start(env={...}, ready=True)``; remove every container it started on exit."""
    client = docker.from_env()
    started: list[Container] = []

    def start(env: dict[str, str] | None = None, ready: bool = True) -> ModelServer:
        container = client.containers.run(
            image,
            detach=True,
            environment=env or {},
            ports={"8080/tcp": ("127.0.0.1", None)},
            labels={"modelfleet.test": "image"},
        )
        started.append(container)
        container.reload()
        port = container.ports["8080/tcp"][0]["HostPort"]
        server = ModelServer(container, f"http://127.0.0.1:{port}")
        if ready:
            wait_until_ready(server)
        return server

    try:
        yield start
    finally:
        for container in started:
            container.remove(force=True)
        client.close()


@pytest.fixture
def start_model_server(model_server_image: str) -> Iterator[Callable[..., ModelServer]]:
    """Start serving containers for one test: ``start(env={...}, ready=True)``."""
    with model_servers(model_server_image) as start:
        yield start


@pytest.fixture(scope="module")
def model_server(model_server_image: str) -> Iterator[ModelServer]:
    """One ready container shared by a module's read-only tests; MAX_BODY_BYTES=64 KiB."""
    with model_servers(model_server_image) as start:
        yield start(env={"MAX_BODY_BYTES": str(SMALL_BODY_LIMIT)})
