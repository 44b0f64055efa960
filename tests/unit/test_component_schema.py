"""The package schema the plugin (``plugin/__main__.py``) serves, and how it constructs.

``pulumi package add`` and ``pulumi package get-schema`` need Pulumi's Python language
host to run the plugin, and this machine has none; so the schema is built here, in
process, by the same provider object the plugin serves. Its descriptions are what a
user of the generated SDK reads, so every input must carry its field's docstring.
"""

import inspect
import json
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.util import camel_case

from modelfleet import args as args_module
from modelfleet.fielddocs import field_docs
from tests.unit.conftest import RecordingMocks

PLUGIN = runpy.run_path(str(Path(__file__).resolve().parents[2] / "plugin" / "__main__.py"))
COMPONENTS: list[type[pulumi.ComponentResource]] = PLUGIN["COMPONENTS"]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(PLUGIN["provider"]().schema)


def args_types(
    schema: dict[str, Any], cls: Any, properties: dict[str, Any], required: list[str]
) -> Iterator[tuple[Any, dict[str, Any], list[str]]]:
    """``cls`` with its schema properties, then every args type they refer to, depth first."""
    yield cls, properties, required
    for prop in properties.values():
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref:
            token = ref.removeprefix("#/types/")
            nested = schema["types"][token]
            yield from args_types(
                schema,
                getattr(args_module, token.rsplit(":", 1)[-1]),
                nested["properties"],
                nested.get("required", []),
            )


def test_the_plugin_hosts_every_component_under_the_index_module(schema):
    assert sorted(schema["resources"]) == sorted(
        f"modelfleet:index:{c.__name__}" for c in COMPONENTS
    )
    assert all(r["isComponent"] for r in schema["resources"].values())


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_input_carries_its_field_docstring_and_its_optionality(schema, component):
    # GIVEN the component's resource in the schema and its args TypedDict
    resource = schema["resources"][f"modelfleet:index:{component.__name__}"]
    args = inspect.get_annotations(component.__init__)["args"]
    walked = list(args_types(schema, args, resource["inputProperties"], resource["requiredInputs"]))
    assert len(walked) > 1, "the args refer to nested args types"
    for cls, properties, required in walked:
        # THEN every field has a docstring, and the schema property says exactly that
        docs = field_docs(cls)
        undocumented = sorted(set(cls.__annotations__) - set(docs))
        assert not undocumented, f"{cls.__name__}: fields without a docstring: {undocumented}"
        assert set(properties) == {camel_case(field) for field in docs}, cls.__name__
        for field, doc in docs.items():
            assert properties[camel_case(field)].get("description") == doc, (
                f"{cls.__name__}.{field}"
            )
        # AND NotRequired fields, only they, are optional
        assert sorted(required) == sorted(camel_case(f) for f in cls.__required_keys__), (
            cls.__name__
        )


def test_plain_fields_stay_plain_and_input_fields_take_outputs(schema):
    # Plain fields decide which resources exist, so other languages must pass them known.
    model = schema["types"]["modelfleet:index:ModelArgs"]["properties"]
    host = schema["types"]["modelfleet:index:EdgeHostArgs"]["properties"]
    assert model["name"].get("plain") is True
    assert model["version"].get("plain") is True
    assert host["wave"].get("plain") is True
    assert "plain" not in model["image"]
    assert "plain" not in model["port"]


def test_a_construct_by_schema_token_builds_the_component_with_whole_numbers(
    mocks: RecordingMocks,
):
    # GIVEN inputs as the engine delivers them from any language: camelCase, numbers as
    # floats, and the port another resource's output
    model = {
        "name": "fraud-scorer",
        "version": "1.4.0",
        "image": "registry.example.com/ml/fraud-scorer:1.4.0",
        "port": pulumi.Output.from_input(8080.0),
        "hostPort": 8080.0,
        "healthPath": "/ping",
        "invokePath": "/invocations",
        "resources": {"cpu": 0.5, "memoryMb": 512.0, "gpus": 0.0},
        "scaling": {"min": 1.0, "max": 3.0},
        "data": {"classification": "internal", "residency": ["EU"]},
    }
    location = {"name": "munich", "jurisdiction": "DE", "namespace": "models"}

    # WHEN the plugin constructs modelfleet:index:KubernetesEndpoint
    def construct() -> pulumi.Output[Any]:
        result = PLUGIN["provider"]().construct(
            "fraud-munich",
            "modelfleet:index:KubernetesEndpoint",
            {"model": model, "location": location},
            pulumi.ResourceOptions(),
        )
        return pulumi.Output.all(result.urn, result.state["url"])

    urn, url = mocks.run(construct)
    # THEN modelfleet's own component is built, under its own token
    assert urn.endswith("modelfleet:kubernetes:KubernetesEndpoint::fraud-munich"), urn
    # AND whole numbers reach it as int: no ":8080.0" URL, no GPU limit of 0.0
    assert url == "http://fraud-scorer.models.svc.cluster.local:8080/invocations"
    (deployment,) = mocks.of_type("kubernetes:apps/v1:Deployment")
    limits = deployment.inputs["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "500m", "memory": "512Mi"}, deployment.urn
