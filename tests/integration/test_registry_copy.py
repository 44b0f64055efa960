"""The registry-to-registry copy on real registries: the digest survives, nothing moves twice.

Every assertion on a digest reads both registries' manifests over their HTTP API, not
what the copy tool says it did.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import docker
import pytest

from modelfleet.images.copy import ImageCopyError, RegistryAccess, copy_image, pin
from modelfleet.images.registry_copy import RegistryCopyProvider
from tests.integration.edge_fixtures import free_port
from tests.registry_fixtures import (
    Registries,
    blob_size,
    delete_manifest,
    fetch_manifest,
    push,
    put_manifest,
)

INDEX_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture
def pushed(
    docker_engine: docker.DockerClient, edge_test_image: str, registries: Registries
) -> tuple[str, str]:
    """The test image in the origin under a repository of this test's own: (repository, digest)."""
    repository = f"ml/copytest-{uuid.uuid4().hex[:8]}"
    return repository, push(docker_engine, edge_test_image, registries.origin, repository, "1.0.0")


def uploads(log: Path) -> list[str]:
    """Requests that wrote to a registry, from its access log."""
    return [line for line in log.read_text().splitlines() if '"PUT ' in line or '"POST ' in line]


def test_the_copy_keeps_the_digest_manifest_and_blobs_byte_for_byte(registries, pushed):
    repository, digest = pushed
    # WHEN the origin's image is copied into the TLS, password-protected mirror
    result = copy_image(
        f"{registries.origin}/{repository}@{digest}",
        f"{registries.mirror}/{repository}",
        destination_access=registries.mirror_access(),
        tag="1.0.0",
    )
    # THEN the mirror serves the very manifest the origin serves, under the same digest
    auth = (registries.user, registries.password)
    origin = fetch_manifest(registries.origin, repository, digest)
    mirror = fetch_manifest(registries.mirror, repository, digest, registries.ca_path, auth)
    tagged = fetch_manifest(registries.mirror, repository, "1.0.0", registries.ca_path, auth)
    assert origin is not None
    assert mirror is not None
    assert tagged is not None
    assert mirror.raw == origin.raw
    assert origin.digest == mirror.digest == tagged.digest == digest
    assert origin.content_digest == mirror.content_digest == digest
    assert mirror.media_type == origin.media_type
    assert (result.digest, result.copied) == (digest, True)
    assert result.image == f"{registries.mirror}/{repository}@{digest}"
    # AND every blob it names is there, at the size the manifest says
    document = json.loads(mirror.raw)
    for blob in [document["config"], *document["layers"]]:
        size = blob_size(registries.mirror, repository, blob["digest"], registries.ca_path, auth)
        assert size == blob["size"], blob["digest"]


def test_a_multi_platform_index_is_copied_whole_under_its_own_digest(registries, pushed):
    # GIVEN an image index in the origin naming the pushed manifest for linux/amd64
    repository, digest = pushed
    origin = fetch_manifest(registries.origin, repository, digest)
    assert origin is not None
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": INDEX_TYPE,
            "manifests": [
                {
                    "mediaType": origin.media_type,
                    "digest": digest,
                    "size": len(origin.raw),
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
    ).encode()
    index_digest = put_manifest(registries.origin, repository, "multi", index, INDEX_TYPE)
    # WHEN the index is copied into the mirror
    copy_image(
        f"{registries.origin}/{repository}@{index_digest}",
        f"{registries.mirror}/{repository}",
        destination_access=registries.mirror_access(),
    )
    # THEN the mirror serves the same index bytes and the manifest it names
    auth = (registries.user, registries.password)
    mirrored = fetch_manifest(registries.mirror, repository, index_digest, registries.ca_path, auth)
    child = fetch_manifest(registries.mirror, repository, digest, registries.ca_path, auth)
    assert mirrored is not None
    assert mirrored.raw == index
    assert mirrored.content_digest == index_digest
    assert child is not None
    assert child.raw == origin.raw


def test_a_registry_already_holding_the_digest_is_skipped(registries, pushed):
    repository, digest = pushed
    source = f"{registries.origin}/{repository}@{digest}"
    destination = f"{registries.mirror}/{repository}"
    copy_image(source, destination, destination_access=registries.mirror_access())
    writes = len(uploads(registries.mirror_log))
    # WHEN the same digest is copied again
    again = copy_image(source, destination, destination_access=registries.mirror_access())
    # THEN nothing was written to the mirror
    assert (again.digest, again.copied) == (digest, False)
    assert len(uploads(registries.mirror_log)) == writes


def test_a_tag_only_source_is_copied_by_the_digest_the_tag_points_at(registries, pushed):
    repository, digest = pushed
    result = copy_image(
        f"{registries.origin}/{repository}:1.0.0",
        f"{registries.mirror}/{repository}",
        destination_access=registries.mirror_access(),
    )
    assert result.image == f"{registries.mirror}/{repository}@{digest}"


def test_a_tag_is_pinned_to_the_digest_the_registry_holds_for_it(registries, pushed):
    repository, digest = pushed
    assert pin(f"{registries.origin}/{repository}:1.0.0") == (
        f"{registries.origin}/{repository}@{digest}"
    )
    with pytest.raises(ImageCopyError, match=r"does not exist"):
        pin(f"{registries.origin}/{repository}:9.9.9")


def test_a_wrong_password_fails_naming_the_registry_and_never_the_password(registries, pushed):
    repository, digest = pushed
    wrong = "not-the-password-" + uuid.uuid4().hex
    with pytest.raises(ImageCopyError) as failure:
        copy_image(
            f"{registries.origin}/{repository}@{digest}",
            f"{registries.mirror}/{repository}",
            destination_access=registries.mirror_access(wrong),
        )
    message = str(failure.value)
    assert registries.mirror in message
    assert "unauthorized" in message
    assert wrong not in message
    assert registries.password not in message


def test_a_registry_that_is_down_fails_the_copy_saying_so(registries, pushed):
    repository, digest = pushed
    down = f"127.0.0.1:{free_port()}"
    with pytest.raises(ImageCopyError, match=rf"{down}.*connection refused"):
        copy_image(f"{registries.origin}/{repository}@{digest}", f"{down}/{repository}")


def test_the_copy_resource_copies_on_create_and_sees_a_deleted_copy_on_refresh(registries, pushed):
    # GIVEN the RegistryCopy provider, called as the engine calls it
    repository, digest = pushed
    provider = RegistryCopyProvider()
    props = {
        "source": f"{registries.origin}/{repository}@{digest}",
        "registry": f"{registries.mirror}/site",
        "tag": "1.0.0",
        "source_auth": None,
        "source_ca": None,
        "auth": {"username": registries.user, "password": registries.password},
        "ca": registries.ca,
    }
    created = provider.create(props)
    outs = created.outs
    assert outs is not None
    assert outs["image"] == f"{registries.mirror}/site/{repository}@{digest}"
    assert (outs["digest"], outs["copied"]) == (digest, True)
    assert provider.read(created.id, outs).id == created.id
    # WHEN someone deletes the copy from the mirror THEN a refresh sees it gone
    auth = (registries.user, registries.password)
    delete_manifest(registries.mirror, f"site/{repository}", digest, registries.ca_path, auth)
    assert provider.read(created.id, outs).id == ""


def test_with_a_ca_given_the_registry_certificate_is_verified_against_it(registries, pushed):
    # GIVEN a CA that did not sign the mirror's certificate (the system's public ones)
    repository, digest = pushed
    public = RegistryAccess(registries.user, registries.password, SYSTEM_CAS.read_text())
    # THEN the copy refuses the mirror rather than trusting any certificate
    with pytest.raises(ImageCopyError, match=r"certificate signed by unknown authority"):
        copy_image(
            f"{registries.origin}/{repository}@{digest}",
            f"{registries.mirror}/{repository}",
            destination_access=public,
        )
