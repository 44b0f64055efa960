"""Where a placement pulls its model's image from: the model's path, the same digest."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelfleet.images.reference import ImageRef, Registry, resolve

DIGEST = "sha256:" + "9c2e" * 16
IMAGE = f"registry.example.com/ml/fraud-scorer@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "host", "repository", "tag", "digest"),
    [
        (IMAGE, "registry.example.com", "ml/fraud-scorer", None, DIGEST),
        ("modelfleet/model-server:dev", "docker.io", "modelfleet/model-server", "dev", None),
        ("nginx", "docker.io", "library/nginx", None, None),
        (f"127.0.0.1:5000/iris:1.0@{DIGEST}", "127.0.0.1:5000", "iris", "1.0", DIGEST),
        ("localhost/iris", "localhost", "iris", None, None),
    ],
)
def test_a_reference_splits_as_docker_reads_it(text, host, repository, tag, digest):
    # GIVEN an image reference WHEN parsed THEN host, path, tag and digest are Docker's reading
    assert ImageRef.parse(text) == ImageRef(host, repository, tag, digest)


@pytest.mark.parametrize(
    "text", ["UPPER/case", "a//b", "x:tag:tag", "x@sha256:short", "https://r.example/x", ""]
)
def test_what_is_not_a_reference_is_refused_with_the_expected_shape(text):
    with pytest.raises(ValueError, match=r"expected \[registry/\]path\[:tag\]\[@sha256:<64 hex>\]"):
        ImageRef.parse(text)


@pytest.mark.parametrize(
    ("registry", "expected"),
    [
        ("harbor.munich.example", f"harbor.munich.example/ml/fraud-scorer@{DIGEST}"),
        # The prefix is the namespace the path already starts with: not repeated.
        ("harbor.munich.example/ml", f"harbor.munich.example/ml/fraud-scorer@{DIGEST}"),
        ("harbor.munich.example/edge", f"harbor.munich.example/edge/ml/fraud-scorer@{DIGEST}"),
        (
            "registry.plant-lyon.example:5000",
            f"registry.plant-lyon.example:5000/ml/fraud-scorer@{DIGEST}",
        ),
        ("mlprod.azurecr.io", f"mlprod.azurecr.io/ml/fraud-scorer@{DIGEST}"),
    ],
)
def test_a_location_registry_keeps_the_repository_path_and_the_digest(registry, expected):
    assert resolve(IMAGE, registry) == expected


def test_without_a_registry_the_model_image_is_used_as_written():
    assert resolve("modelfleet/model-server:dev", None) == "modelfleet/model-server:dev"


def test_a_tag_and_a_digest_resolve_to_the_digest_alone():
    # skopeo and some registries refuse name:tag@digest; the digest is what runs anyway.
    assert resolve(f"r.example/iris:1.0@{DIGEST}", "m.example") == f"m.example/iris@{DIGEST}"
    assert resolve("r.example/iris:1.0", "m.example") == "m.example/iris:1.0"


@pytest.mark.parametrize("text", ["not a host", "ml", "https://r.example", "r.example/UP", ""])
def test_a_registry_that_is_no_host_is_refused_with_examples(text):
    with pytest.raises(ValueError, match=r"expected host\[:port\]\[/path\]"):
        Registry.parse(text)


@pytest.mark.parametrize(
    ("text", "loopback"),
    [("127.0.0.1:5000", True), ("localhost:5000", True), ("registry.plant-lyon.example", False)],
)
def test_only_this_machine_counts_as_loopback(text, loopback):
    assert Registry.parse(text).is_loopback is loopback


_component = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,4})?", fullmatch=True)
_paths = st.lists(_component, min_size=1, max_size=4).map("/".join)
_hosts = st.from_regex(r"[a-z][a-z0-9]{0,10}\.(example|io)(:[1-9][0-9]{3})?", fullmatch=True)
_digests = st.from_regex(r"[a-f0-9]{64}", fullmatch=True).map("sha256:".__add__)


@given(host=_hosts, path=_paths, digest=_digests, mirror=_hosts, prefix=st.none() | _paths)
def test_resolving_never_changes_the_digest_or_drops_the_path(host, path, digest, mirror, prefix):
    registry = f"{mirror}/{prefix}" if prefix else mirror
    resolved = ImageRef.parse(resolve(f"{host}/{path}@{digest}", registry))
    assert resolved.digest == digest
    assert resolved.host == mirror
    assert resolved.repository.endswith(path)
    assert resolved.repository.startswith(prefix or "")
