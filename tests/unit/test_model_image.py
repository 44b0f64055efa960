"""ModelImage under mocks (one copy per registry, secrets, names) and its provider's decisions."""

from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from modelfleet.images.component import ModelImage, RegistryTargetArgs
from modelfleet.images.registry_copy import RegistryCopyProvider
from tests.unit.conftest import RecordingMocks, secret_value

COPY = "pulumi-python:dynamic/images:RegistryCopy"
IMAGE = "ci.example/ml/iris@sha256:" + "ab" * 32
LYON = "registry.plant-lyon.example:5000"
MUNICH = "harbor.munich.example/ml"


REGISTRIES: list[RegistryTargetArgs] = [
    {"registry": LYON, "auth": {"username": "edge", "password": "lyon-pass"}},
    {"registry": MUNICH, "ca": "-----BEGIN CERTIFICATE-----"},
    {"registry": LYON},
]


def build(mocks: RecordingMocks, registries: list[RegistryTargetArgs] = REGISTRIES) -> Any:
    def program() -> pulumi.Output[Any]:
        image = ModelImage(
            "iris",
            {
                "image": IMAGE,
                "version": "1.0.0",
                "source_auth": {"username": "ci", "password": "ci-pass"},
                "registries": registries,
            },
        )
        return image.digest

    return mocks.run(program)


def test_one_copy_per_distinct_registry_each_a_child_named_after_its_registry(mocks):
    build(mocks)
    copies = {r.name: r for r in mocks.of_type(COPY)}
    assert set(copies) == {"iris-registry-plant-lyon-example-5000", "iris-harbor-munich-example-ml"}
    for copy in copies.values():
        assert "modelfleet:images:ModelImage$" in copy.urn, copy.urn
        assert copy.inputs["source"] == IMAGE, copy.urn
        assert copy.inputs["tag"] == "1.0.0", copy.urn
    assert copies["iris-harbor-munich-example-ml"].inputs["registry"] == MUNICH
    assert copies["iris-harbor-munich-example-ml"].inputs["ca"].startswith("-----BEGIN")


def test_push_and_pull_credentials_reach_the_engine_as_secrets(mocks):
    build(mocks)
    lyon = mocks.named("iris-registry-plant-lyon-example-5000")
    assert secret_value(lyon.inputs["auth"]) == {"username": "edge", "password": "lyon-pass"}
    assert secret_value(lyon.inputs["source_auth"])["password"] == "ci-pass"


def test_image_for_an_unknown_registry_is_a_clear_error(mocks):
    def program() -> None:
        image = ModelImage("iris", {"image": IMAGE, "registries": [{"registry": LYON}]})
        with pytest.raises(ValueError, match=r"'elsewhere\.example' is not one of this"):
            image.image_for("elsewhere.example")

    mocks.run(program)


def test_without_registries_the_digest_is_the_model_image_s_own(mocks):
    assert build(mocks, registries=[]) == "sha256:" + "ab" * 32
    assert mocks.of_type(COPY) == []


def props(**overrides: Any) -> dict[str, Any]:
    base = {"source": IMAGE, "registry": LYON, "tag": "1.0.0", "auth": None, "ca": None}
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        ({"source": "ci.example/ml/iris@sha256:" + "cd" * 32}, []),
        ({"registry": MUNICH}, ["registry"]),
        ({"auth": {"username": "edge", "password": "rotated"}}, []),
    ],
)
def test_a_new_image_updates_the_copy_and_a_new_registry_replaces_it(change, replaces):
    diff = RegistryCopyProvider().diff("id", props(), props(**change))
    assert diff.changes is True
    assert diff.replaces == replaces


def test_check_names_the_bad_input():
    result = RegistryCopyProvider().check({}, props(registry="https://nope", source="UP/x"))
    assert {failure.property for failure in result.failures} == {"registry", "source"}


def test_check_leaves_a_source_unknown_at_preview_to_the_update():
    result = RegistryCopyProvider().check({}, props(source=rpc.UNKNOWN))
    assert result.failures == []
