"""ModelEndpoint's image fan-out: a copy per registry its locations name, and none without."""

from typing import Any

import pulumi

from modelfleet import LocationArgs, ModelEndpointArgs
from modelfleet.endpoint import ModelEndpoint
from tests.unit.conftest import RecordingMocks, secret_value
from tests.unit.targets.args import edge_location, model

COPY = "pulumi-python:dynamic/images:RegistryCopy"
EDGE = "pulumi-python:dynamic/edge:EdgeContainer"
IMAGE = "ci.example.com/ml/iris@sha256:" + "ab" * 32
LYON = "registry.plant-lyon.example:5000"


def site(name: str, **settings: Any) -> LocationArgs:
    return {
        "name": name,
        "kind": "edge",
        "jurisdiction": "FR",
        "edge": edge_location(name=name, **settings),
    }


def deploy(mocks: RecordingMocks, *locations: LocationArgs) -> None:
    args: ModelEndpointArgs = {"model": model(image=IMAGE), "locations": list(locations)}
    mocks.run(lambda: ModelEndpoint("iris", args).urls)


def test_without_a_registry_nothing_is_copied_and_the_image_is_the_model_s(mocks):
    deploy(mocks, site("lyon"), site("nice"))
    assert mocks.of_type(COPY) == []
    assert mocks.of_type("modelfleet:images:ModelImage") == []
    assert {c.inputs["image"] for c in mocks.of_type(EDGE)} == {IMAGE}


def test_a_site_naming_a_registry_waits_for_the_digest_to_be_copied_there(mocks):
    # GIVEN Lyon pulling from its registry, Nice from the model's own
    lyon = site("lyon", registry=LYON, registry_auth={"username": "edge", "password": "pull"})
    lyon["registry_push_auth"] = {"username": "ci", "password": pulumi.Output.secret("push")}
    deploy(mocks, lyon, site("nice"))
    # THEN one copy, into Lyon's registry, pushed with the push credentials, kept secret
    [copy] = mocks.of_type(COPY)
    assert copy.inputs["registry"] == LYON
    assert secret_value(copy.inputs["auth"]) == {"username": "ci", "password": "push"}
    assert copy.parent.endswith(
        "modelfleet:index:ModelEndpoint$modelfleet:images:ModelImage::iris-image"
    )
    # AND Lyon's containers run the same digest from there, created after the copy
    for container in mocks.of_type(EDGE):
        if container.name.startswith("iris-lyon-"):
            assert container.inputs["image"] == f"{LYON}/ml/iris@sha256:" + "ab" * 32
            assert copy.urn in container.dependencies
        else:
            assert container.inputs["image"] == IMAGE
            assert copy.urn not in container.dependencies
