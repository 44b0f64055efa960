"""Real image registries for the integration tier: scripts/start-registry's origin and mirror.

``registries`` is one pair per session on 127.0.0.1 (Distribution 2.8 from Debian): the
origin plain and open, as a CI registry on the build network; the mirror with TLS from
a test CA and htpasswd auth, as an edge site's registry. This machine's Docker engine
trusts the mirror's CA through /etc/docker/certs.d/<host:port>/ca.crt (read at each
pull, so dockerd needs no restart), removed again at the end with the registries.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest
import requests

from modelfleet.images.copy import RegistryAccess

REPO = Path(__file__).resolve().parents[1]
CERTS_D = Path("/etc/docker/certs.d")
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


@dataclass(frozen=True)
class Registries:
    """Where the session's registries answer, and how to get into the mirror."""

    origin: str
    mirror: str
    ca_path: Path
    user: str
    password: str
    origin_log: Path
    mirror_log: Path

    @property
    def ca(self) -> str:
        return self.ca_path.read_text()

    def mirror_access(self, password: str | None = None) -> RegistryAccess:
        return RegistryAccess(self.user, password or self.password, self.ca)


@contextmanager
def running_registries(directory: Path) -> Iterator[Registries]:
    """Start an origin and a mirror in ``directory``; stop them on the way out, even on failure."""
    started = _script("start-registry", directory)
    env = dict(
        line.split("=", 1) for line in Path(started.splitlines()[-1]).read_text().splitlines()
    )
    try:
        yield Registries(
            origin=env["ORIGIN"],
            mirror=env["MIRROR"],
            ca_path=Path(env["MIRROR_CA"]),
            user=env["MIRROR_USER"],
            password=Path(env["MIRROR_PASSWORD_FILE"]).read_text().strip(),
            origin_log=Path(env["ORIGIN_LOG"]),
            mirror_log=Path(env["MIRROR_LOG"]),
        )
    finally:
        _script("stop-registry", directory)


@contextmanager
def docker_trusts(registries: Registries) -> Iterator[None]:
    """This machine's engine trusts the mirror's CA, as an edge host's would, until the exit."""
    trusted = CERTS_D / registries.mirror
    trusted.mkdir(parents=True, exist_ok=True)
    (trusted / "ca.crt").write_text(registries.ca)
    try:
        yield
    finally:
        (trusted / "ca.crt").unlink(missing_ok=True)
        with suppress(OSError):
            trusted.rmdir()


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    """The session's origin and mirror; this machine's engine trusts the mirror's CA."""
    with (
        running_registries(tmp_path_factory.mktemp("registries")) as started,
        docker_trusts(started),
    ):
        yield started


def _script(name: str, directory: Path) -> str:
    done = subprocess.run(
        [REPO / "scripts" / name, directory], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.strip()


@dataclass(frozen=True)
class Manifest:
    """A manifest as a registry serves it over its HTTP API."""

    raw: bytes
    content_digest: str
    """The registry's Docker-Content-Digest header."""
    media_type: str

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.raw).hexdigest()


def _session(ca: Path | None, auth: tuple[str, str] | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
    session.verify = str(ca) if ca else True
    session.auth = auth
    return session


def registry_url(registry: str, ca: Path | None) -> str:
    return f"{'https' if ca else 'http'}://{registry}/v2"


def fetch_manifest(
    registry: str,
    repository: str,
    reference: str,
    ca: Path | None = None,
    auth: tuple[str, str] | None = None,
) -> Manifest | None:
    """GET /v2/<repository>/manifests/<reference>; None when the registry holds none."""
    with _session(ca, auth) as session:
        response = session.get(
            f"{registry_url(registry, ca)}/{repository}/manifests/{reference}",
            headers={"Accept": MANIFEST_TYPES},
            timeout=10,
        )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return Manifest(
        response.content,
        response.headers["Docker-Content-Digest"],
        response.headers["Content-Type"],
    )


def blob_size(
    registry: str,
    repository: str,
    digest: str,
    ca: Path | None = None,
    auth: tuple[str, str] | None = None,
) -> int | None:
    """HEAD /v2/<repository>/blobs/<digest>: its size, None when absent."""
    with _session(ca, auth) as session:
        response = session.head(
            f"{registry_url(registry, ca)}/{repository}/blobs/{digest}", timeout=10
        )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return int(response.headers["Content-Length"])


def put_manifest(registry: str, repository: str, tag: str, raw: bytes, media_type: str) -> str:
    """PUT a manifest (plain HTTP registry) under ``tag``; its digest as the registry states it."""
    with _session(None, None) as session:
        response = session.put(
            f"{registry_url(registry, None)}/{repository}/manifests/{tag}",
            data=raw,
            headers={"Content-Type": media_type},
            timeout=10,
        )
    response.raise_for_status()
    return response.headers["Docker-Content-Digest"]


def delete_manifest(
    registry: str, repository: str, digest: str, ca: Path, auth: tuple[str, str]
) -> None:
    with _session(ca, auth) as session:
        response = session.delete(
            f"{registry_url(registry, ca)}/{repository}/manifests/{digest}", timeout=10
        )
    response.raise_for_status()


def push(client: docker.DockerClient, image: str, registry: str, repository: str, tag: str) -> str:
    """Push a local image to ``registry`` (plain HTTP on 127.0.0.1) and return its digest there."""
    target = f"{registry}/{repository}"
    client.images.get(image).tag(target, tag)
    try:
        for line in client.images.push(target, tag, stream=True, decode=True):
            assert "error" not in line, f"pushing {target}:{tag}: {line['error']}"
    finally:
        client.images.remove(f"{target}:{tag}")
    manifest = fetch_manifest(registry, repository, tag)
    assert manifest is not None, f"{target}:{tag} is not in {registry} after the push"
    return manifest.content_digest
