"""An edge host pulls its model's image from its site mirror: TLS, a password, real registries.

The image reaches the mirror the way ``ModelImage`` puts it there (the RegistryCopy
provider, from the origin); the edge host is this machine's engine, driven by the
EdgeContainer provider exactly as the engine calls it. A pull that cannot happen (a
wrong password, a registry that is down) must fail the update before the serving
container is touched.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from modelfleet.edge.container import EdgeContainerError, EdgeContainerProvider
from modelfleet.images.copy import copy_image
from modelfleet.images.registry_copy import RegistryCopyProvider
from tests.integration.edge_fixtures import edge_props, free_port, get
from tests.registry_fixtures import (
    Registries,
    push,
    running_registries,
)

DOCKERD_LOG = Path.home() / ".cache" / "modelfleet" / "dockerd.log"
DOCKER_CONFIG = Path.home() / ".docker" / "config.json"


@pytest.fixture
def model(docker_engine: docker.DockerClient) -> Iterator[str]:
    """A model name of this test's own; its containers are removed afterwards."""
    name = f"pulltest-{uuid.uuid4().hex[:8]}"
    yield name
    for container in docker_engine.containers.list(
        all=True, filters={"label": f"modelfleet/model={name}"}
    ):
        container.remove(force=True)


@pytest.fixture
def versions(
    docker_engine: docker.DockerClient, edge_test_image: str, registries: Registries
) -> Iterator[dict[str, str]]:
    """Versions 1 and 2 of the test image in the origin and in the mirror: version -> mirror image.

    Version 2 differs by one label, so it has its own digest. Neither is on this engine
    under the mirror's name, so serving one means pulling it from the mirror.
    """
    repository = f"ml/pulltest-{uuid.uuid4().hex[:8]}"
    local_v2 = f"modelfleet/edge-test:{repository.rsplit('/', 1)[1]}"
    dockerfile = f"FROM {edge_test_image}\nLABEL org.opencontainers.image.version=2.0.0\n"
    docker_engine.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=local_v2, rm=True)
    provider = RegistryCopyProvider()
    mirrored = {}
    for version, image in (("1.0.0", edge_test_image), ("2.0.0", local_v2)):
        digest = push(docker_engine, image, registries.origin, repository, version)
        created = provider.create(
            {
                "source": f"{registries.origin}/{repository}@{digest}",
                "registry": registries.mirror,
                "tag": version,
                "auth": {"username": registries.user, "password": registries.password},
                "ca": registries.ca,
            }
        )
        mirrored[version] = (created.outs or {})["image"]
    yield mirrored
    for image in [*mirrored.values(), local_v2]:
        with suppress(docker.errors.ImageNotFound):
            docker_engine.images.remove(image)


def pulled(log: Path, image: str) -> list[str]:
    """The mirror's access-log lines that served ``image``'s manifest."""
    repository, digest = image.split("/", 1)[1].split("@")
    wanted = f"/v2/{repository}/manifests/{digest}"
    return [line for line in log.read_text().splitlines() if wanted in line and '" 200 ' in line]


def mirror_props(
    registries: Registries, image: str, model: str, port: int, **overrides: Any
) -> dict[str, Any]:
    auth = {"username": registries.user, "password": registries.password}
    return edge_props(image, model, port, registry_auth=auth, **overrides)


def test_the_edge_host_pulls_from_its_site_mirror_with_credentials_kept_secret(
    registries, versions, model, docker_engine
):
    # GIVEN version 1 in the site mirror (TLS, htpasswd) and not on the host under that name
    image, port = versions["1.0.0"], free_port()
    logged_before = DOCKERD_LOG.read_text() if DOCKERD_LOG.exists() else ""
    # WHEN the container is created with the site's pull credentials
    result = EdgeContainerProvider().create(mirror_props(registries, image, model, port))
    # THEN it serves version 1 from the mirror's image, pulled with the password
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    container = docker_engine.containers.get(result.id)
    assert container.attrs["Config"]["Image"] == image
    assert len(pulled(registries.mirror_log, image)) >= 1
    # AND the password shows nowhere but the secret input: not in other outputs, the
    # container, the registry's or dockerd's logs, nor a docker credentials file
    password = registries.password
    outs = {k: v for k, v in (result.outs or {}).items() if k != "registry_auth"}
    assert password not in json.dumps(outs)
    assert password not in json.dumps(container.attrs)
    assert password not in registries.mirror_log.read_text()
    if DOCKERD_LOG.exists():
        assert password not in DOCKERD_LOG.read_text()[len(logged_before) :]
    assert not DOCKER_CONFIG.exists() or password not in DOCKER_CONFIG.read_text()


def serving(engine: docker.DockerClient, container_id: str) -> tuple[str, str, str]:
    """What would change if the serving container were touched: id, status, start time."""
    attrs = engine.containers.get(container_id).attrs
    return attrs["Id"], attrs["State"]["Status"], attrs["State"]["StartedAt"]


def test_a_wrong_password_fails_clearly_and_leaves_the_serving_container_untouched(
    registries, versions, model, docker_engine
):
    # GIVEN version 1 serving, pulled from the mirror
    provider, port = EdgeContainerProvider(), free_port()
    olds = mirror_props(registries, versions["1.0.0"], model, port)
    created = provider.create(olds)
    before = serving(docker_engine, created.id)
    # WHEN version 2 is rolled out with a wrong password
    wrong = "wrong-" + uuid.uuid4().hex
    news = {
        **olds,
        "image": versions["2.0.0"],
        "version": "2.0.0",
        "registry_auth": {"username": registries.user, "password": wrong},
    }
    with pytest.raises(EdgeContainerError) as failure:
        provider.update(created.id, created.outs or {}, news)
    # THEN the error names the host and the image, says the registry refused, shows no password
    message = str(failure.value)
    assert f"image {versions['2.0.0']} is not on the host and could not be pulled" in message
    assert "unauthorized" in message or "authentication required" in message
    assert wrong not in message
    assert registries.password not in message
    # AND version 1 still serves from the very same container, never stopped
    assert serving(docker_engine, created.id) == before
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    assert [
        c.id
        for c in docker_engine.containers.list(
            all=True, filters={"label": f"modelfleet/model={model}"}
        )
    ] == [created.id]


def test_a_registry_that_is_down_fails_the_update_before_anything_stops(
    registries, versions, model, docker_engine, tmp_path
):
    # GIVEN version 1 serving, and version 2 only in a site registry that then goes down
    provider, port = EdgeContainerProvider(), free_port()
    olds = mirror_props(registries, versions["1.0.0"], model, port)
    created = provider.create(olds)
    before = serving(docker_engine, created.id)
    with running_registries(tmp_path / "site") as site:
        repository = versions["2.0.0"].split("/", 1)[1].split("@")[0]
        copied = copy_image(
            versions["2.0.0"],
            f"{site.origin}/{repository}",
            source_access=registries.mirror_access(),
        )
    # WHEN version 2 is rolled out from the stopped registry
    news = {**olds, "image": copied.image, "version": "2.0.0", "registry_auth": None}
    with pytest.raises(EdgeContainerError) as failure:
        provider.update(created.id, created.outs or {}, news)
    # THEN the update fails saying the registry cannot be reached, before any container moved
    message = str(failure.value)
    assert f"image {copied.image} is not on the host and could not be pulled" in message
    assert "connection refused" in message
    assert serving(docker_engine, created.id) == before
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    assert [
        c.id
        for c in docker_engine.containers.list(
            all=True, filters={"label": f"modelfleet/model={model}"}
        )
    ] == [created.id]
