"""Another language reuses modelfleet through its plugin package: the YAML consumer.

As a user of another team would: ``pulumi package add <modelfleet>/plugin`` in a copy of
``examples/yaml-consumer`` (without the package it records), ``pulumi up``, a prediction
from the container the plugin built, ``pulumi destroy``. YAML needs no generated SDK, so
this is the shortest path from another language through the plugin to a served model.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import REPO, Pulumi, containers_labelled, remove_containers
from tests.e2e.test_local_stack import expected_predictions, predict

EXAMPLE = REPO / "examples" / "yaml-consumer" / "Pulumi.yaml"
PLUGIN = REPO / "plugin"
MODEL = "iris-yaml"
PORT = 18182


def model_containers() -> list[Any]:
    return containers_labelled([f"modelfleet/model={MODEL}"])


@pytest.fixture
def yaml_consumer(tmp_path: Path, pulumi_home: Path, model_server_image: str) -> Iterator[Pulumi]:
    """A copy of the example without its ``packages`` entry; its `dev` stack destroyed afterwards."""
    project = tmp_path / "project"
    project.mkdir()
    document = yaml.safe_load(EXAMPLE.read_text())
    assert document.pop("packages") == {"modelfleet": "../../plugin"}
    # The copy lives elsewhere: its relative path to the plugin's virtualenv becomes absolute.
    options = document["runtime"]["options"]
    options["virtualenv"] = str((EXAMPLE.parent / options["virtualenv"]).resolve())
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    (tmp_path / "state").mkdir()
    pulumi = Pulumi(project, pulumi_home, tmp_path / "state")
    try:
        yield pulumi
    finally:
        try:
            pulumi("destroy", "--yes", "-s", "dev", check=False)
        finally:
            remove_containers([f"modelfleet/model={MODEL}"])


def test_package_add_then_up_serves_the_model_and_destroy_removes_it(
    yaml_consumer: Pulumi, model_server_onnx: Path
) -> None:
    # WHEN the plugin package is added to the YAML project
    yaml_consumer("package", "add", str(PLUGIN))
    # THEN the project records it by its path
    recorded = yaml.safe_load((yaml_consumer.cwd / "Pulumi.yaml").read_text())["packages"]
    assert (yaml_consumer.cwd / recorded["modelfleet"]).resolve() == PLUGIN
    # WHEN the project is deployed
    yaml_consumer("stack", "select", "--create", "dev")
    yaml_consumer("up", "--yes", "-s", "dev")
    # THEN the container the plugin built serves the model's own predictions
    assert yaml_consumer.outputs("dev")["url"] == f"http://127.0.0.1:{PORT}/invocations"
    assert predict(PORT) == ("1.0.0", expected_predictions(model_server_onnx))
    # AND the state holds it under the component's own token, as a Python program's would
    state = yaml_consumer("stack", "export", "-s", "dev").stdout
    assert '"type": "modelfleet:edge:EdgeEndpoint"' in state
    assert "modelfleet:index:EdgeEndpoint" not in state
    # AND destroy removes its container
    yaml_consumer("destroy", "--yes", "-s", "dev")
    assert model_containers() == []
