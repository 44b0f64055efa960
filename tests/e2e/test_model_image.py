"""ModelImage on the real engine: the digest reaches the site mirror before the edge container
that pulls it, the password stays a secret in state and in the engine's output, a second
``up`` moves nothing, and ``destroy`` leaves the registry's image where it is.

The program is an Automation API inline program (no language host needed) over the
session's real registries and this machine's Docker engine.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pulumi
import pytest
from pulumi import automation as auto

from modelfleet.automation import LOCAL_PASSPHRASE, engine_env
from modelfleet.edge.container import EdgeContainer, EdgeContainerArgs
from modelfleet.images.component import ModelImage
from modelfleet.images.registry_copy import RegistryCredentialsArgs
from tests.integration.edge_fixtures import REPO, TEST_IMAGE, edge_props, free_port, get
from tests.registry_fixtures import (
    Registries,
    docker_trusts,
    fetch_manifest,
    push,
    running_registries,
)

COPY_TYPE = "pulumi-python:dynamic/images:RegistryCopy"
CONTAINER_TYPE = "pulumi-python:dynamic/edge:EdgeContainer"


@dataclass
class Release:
    """What the program deploys; a test changes it between two ``up``s."""

    source: str
    version: str = "1.0.0"


def program(registries: Registries, release: Release, model: str, port: int) -> Any:
    """One model image mirrored to the site, one edge container pulling it from there."""

    def run() -> None:
        auth: RegistryCredentialsArgs = {
            "username": registries.user,
            "password": pulumi.Output.secret(registries.password),
        }
        image = ModelImage(
            model,
            {
                "image": release.source,
                "version": release.version,
                "registries": [{"registry": registries.mirror, "auth": auth, "ca": registries.ca}],
            },
        )
        props = edge_props(
            "unused", model, port, registry_auth=auth, tls=None, version=release.version
        )
        props["image"] = image.image_for(registries.mirror)
        args: EdgeContainerArgs = props  # type: ignore[assignment]
        container = EdgeContainer(f"{model}-gw-1", args)
        pulumi.export("images", image.images)
        pulumi.export("digest", image.digest)
        pulumi.export("url", container.url)

    return run


def state_file(stack: auto.Stack) -> Path:
    """The stack's checkpoint in its file backend, as written to disk."""
    backend = Path(stack.workspace.env_vars["PULUMI_BACKEND_URL"].removeprefix("file://"))
    return backend / ".pulumi" / "stacks" / "modelfleet-images-e2e" / "images.json"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    """An origin and a TLS mirror for this module; this machine's engine trusts the mirror."""
    with (
        running_registries(tmp_path_factory.mktemp("registries")) as started,
        docker_trusts(started),
    ):
        yield started


@pytest.fixture(scope="module")
def engine() -> Iterator[docker.DockerClient]:
    """This machine's engine with the busybox test image (scripts/build-test-image)."""
    subprocess.run([REPO / "scripts" / "build-test-image", TEST_IMAGE], check=True)
    client = docker.from_env()
    yield client
    client.close()


def make_stack(
    work: Path, registries: Registries, release: Release, model: str, port: int
) -> auto.Stack:
    """A stack of its own, its file backend under ``work``."""
    (work / "state").mkdir(parents=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work),
        env_vars=engine_env(work / "state", LOCAL_PASSPHRASE),
        project_settings=auto.ProjectSettings(name="modelfleet-images-e2e", runtime="python"),
    )
    return auto.create_or_select_stack(
        stack_name="images",
        project_name="modelfleet-images-e2e",
        program=program(registries, release, model, port),
        opts=options,
    )


@contextmanager
def torn_down(stack: auto.Stack, engine: docker.DockerClient, model: str) -> Iterator[None]:
    try:
        yield
    finally:
        stack.destroy(on_output=lambda _: None)
        for container in engine.containers.list(
            all=True, filters={"label": f"modelfleet/model={model}"}
        ):
            container.remove(force=True)
        # The pulls left references to the mirror's copy (<mirror>/ml/<model>@sha256:...).
        for image in engine.images.list():
            for reference in image.attrs.get("RepoDigests") or []:
                if f"/ml/{model}@" in reference:
                    engine.images.remove(reference)


@pytest.fixture
def stack(
    tmp_path: Path, site: Registries, engine: docker.DockerClient
) -> Iterator[tuple[auto.Stack, str, str, int]]:
    """A stack over the test image in the module's origin; destroyed afterwards."""
    model, port = f"imge2e-{uuid.uuid4().hex[:6]}", free_port()
    digest = push(engine, TEST_IMAGE, site.origin, f"ml/{model}", "1.0.0")
    release = Release(f"{site.origin}/ml/{model}@{digest}")
    created = make_stack(tmp_path, site, release, model, port)
    with torn_down(created, engine, model):
        yield created, model, digest, port


def test_the_mirror_holds_the_digest_before_the_edge_host_pulls_it(stack, site):
    created, model, digest, port = stack
    registries = site
    printed: list[str] = []
    # WHEN the stack goes up
    result = created.up(on_output=printed.append)
    # THEN the mirror holds the origin's digest and the edge host serves it from there
    mirrored = f"{registries.mirror}/ml/{model}@{digest}"
    assert result.outputs["images"].value == {registries.mirror: mirrored}
    assert result.outputs["digest"].value == digest
    auth = (registries.user, registries.password)
    mirror = fetch_manifest(registries.mirror, f"ml/{model}", digest, registries.ca_path, auth)
    assert mirror is not None
    assert mirror.digest == digest
    assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    # AND the container waited for the copy: its image input depends on the copy resource
    resources = created.export_stack().deployment["resources"]
    copy = next(r for r in resources if r["type"] == COPY_TYPE)
    container = next(r for r in resources if r["type"] == CONTAINER_TYPE)
    assert copy["urn"] in container["propertyDependencies"]["image"]
    # AND the password is ciphertext in the state file and absent from what the engine printed
    # (export_stack would show it: the Automation API exports with --show-secrets)
    checkpoint = json.loads(state_file(created).read_text())
    stored = next(
        r for r in checkpoint["checkpoint"]["latest"]["resources"] if r["type"] == COPY_TYPE
    )
    assert "ciphertext" in stored["inputs"]["auth"]
    assert "ciphertext" in stored["outputs"]["auth"]
    assert registries.password not in json.dumps(checkpoint)
    assert registries.password not in "".join(printed)


def test_a_second_up_copies_nothing_and_destroy_leaves_the_registry_image(stack, site):
    created, model, digest, _ = stack
    registries = site
    created.up(on_output=lambda _: None)
    writes = registries.mirror_log.read_text().count('"PUT ')
    # WHEN nothing changed and the stack goes up again
    again = created.up(on_output=lambda _: None)
    # THEN nothing is updated and nothing is written to the mirror
    assert again.summary.resource_changes == {"same": 4}
    assert registries.mirror_log.read_text().count('"PUT ') == writes
    # WHEN the stack is destroyed THEN the mirror still holds the digest (rollbacks, other stacks)
    created.destroy(on_output=lambda _: None)
    auth = (registries.user, registries.password)
    held = fetch_manifest(registries.mirror, f"ml/{model}", digest, registries.ca_path, auth)
    assert held is not None


def serving(engine: docker.DockerClient, model: str) -> list[tuple[str, str, str]]:
    """Every container of ``model``: id, status, start time (what touching one changes)."""
    found = engine.containers.list(all=True, filters={"label": f"modelfleet/model={model}"})
    return [(c.id, c.attrs["State"]["Status"], c.attrs["State"]["StartedAt"]) for c in found]


def test_a_site_mirror_that_is_down_fails_the_update_before_the_edge_host_is_touched(
    tmp_path, engine
):
    # GIVEN version 1 deployed through a site mirror, and version 2 in the origin
    model, port = f"imge2e-{uuid.uuid4().hex[:6]}", free_port()
    v2 = f"modelfleet/edge-test:{model}"
    dockerfile = f"FROM {TEST_IMAGE}\nLABEL org.opencontainers.image.version=2.0.0\n"
    engine.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=v2, rm=True)
    with (
        running_registries(tmp_path / "registries") as registries,
        docker_trusts(registries),
    ):
        digest = push(engine, TEST_IMAGE, registries.origin, f"ml/{model}", "1.0.0")
        release = Release(f"{registries.origin}/ml/{model}@{digest}")
        created = make_stack(tmp_path / "project", registries, release, model, port)
        with torn_down(created, engine, model):
            created.up(on_output=lambda _: None)
            before = serving(engine, model)
            new_digest = push(engine, v2, registries.origin, f"ml/{model}", "2.0.0")
            # WHEN the mirror goes down and version 2 is rolled out
            mirror_pid = int((registries.mirror_log.parent / "mirror.pid").read_text())
            os.kill(mirror_pid, signal.SIGTERM)
            release.source, release.version = (
                f"{registries.origin}/ml/{model}@{new_digest}",
                "2.0.0",
            )
            with pytest.raises(auto.CommandError) as failure:
                created.up(on_output=lambda _: None)
            # THEN the copy into the mirror fails, saying why, and version 1 serves untouched
            assert f"registry {registries.mirror}" in str(failure.value)
            assert "connection refused" in str(failure.value)
            assert serving(engine, model) == before
            assert get(f"http://127.0.0.1:{port}/ping") == (200, "1.0.0")
    engine.images.remove(v2)
