"""``pulumi package get-schema ./plugin``: what another language's user reads about modelfleet.

The CLI runs the plugin through the Python language host, as ``pulumi package add`` does.
Every input of every component, nested args types included, must carry its field's
docstring as its description, after the engine has bound and re-serialised the schema
(``tests/unit/test_component_schema.py`` checks the provider's own, in process).
"""

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.util import camel_case

from modelfleet.fielddocs import field_docs
from tests.e2e.conftest import REPO, Pulumi
from tests.unit.test_component_schema import COMPONENTS, PLUGIN, args_types


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory, pulumi_home: Path) -> dict[str, Any]:
    """The schema as the CLI prints it, from a folder that is no Pulumi project."""
    folder = tmp_path_factory.mktemp("get-schema")
    pulumi = Pulumi(folder, pulumi_home, folder)
    return dict(json.loads(pulumi("package", "get-schema", str(REPO / "plugin")).stdout))


def test_the_cli_shows_every_component_and_args_type_the_provider_builds(
    schema: dict[str, Any],
) -> None:
    built = json.loads(PLUGIN["provider"]().schema)
    assert sorted(schema["resources"]) == sorted(
        f"modelfleet:index:{c.__name__}" for c in COMPONENTS
    )
    assert sorted(schema["types"]) == sorted(built["types"])
    assert all(r["isComponent"] for r in schema["resources"].values())


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_input_of_every_component_shows_its_description(
    schema: dict[str, Any], component: type
) -> None:
    resource = schema["resources"][f"modelfleet:index:{component.__name__}"]
    args = inspect.get_annotations(component.__init__)["args"]  # type: ignore[misc]
    for cls, properties, _ in args_types(
        schema, args, resource["inputProperties"], resource["requiredInputs"]
    ):
        docs = {camel_case(field): doc for field, doc in field_docs(cls).items()}
        assert set(properties) == set(docs), cls.__name__
        for name, prop in properties.items():
            assert prop.get("description") == docs[name], f"{cls.__name__}.{name}"
