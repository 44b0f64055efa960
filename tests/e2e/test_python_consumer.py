"""The Python consumer example (``examples/python-consumer``) through the `pulumi` CLI.

It imports modelfleet's components and builds their args itself. The copy's ``venv`` is
this checkout's virtualenv (modelfleet installed editable), so the test does not spend a
minute installing the same packages again.
"""

import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Pulumi, containers_labelled, copy_project, remove_containers
from tests.e2e.test_local_stack import expected_predictions, predict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-consumer"
PROGRAM: dict[str, Any] = runpy.run_path(str(EXAMPLE / "program.py"))
MODEL = PROGRAM["MODEL"]


def model_containers() -> list[Any]:
    return containers_labelled([f"modelfleet/model={MODEL}"])


@pytest.fixture
def consumer(tmp_path: Path, pulumi_home: Path, model_server_image: str) -> Iterator[Pulumi]:
    """A copy of the example with its `dev` stack selected; destroyed afterwards."""
    files = ["Pulumi.yaml", "__main__.py", "program.py", "requirements.txt"]
    project = copy_project(EXAMPLE, tmp_path / "project", files, "venv")
    (tmp_path / "state").mkdir()
    pulumi = Pulumi(project, pulumi_home, tmp_path / "state")
    pulumi("stack", "select", "--create", "dev")
    try:
        yield pulumi
    finally:
        try:
            pulumi("destroy", "--yes", "-s", "dev", check=False)
        finally:
            remove_containers([f"modelfleet/model={MODEL}"])


def test_the_python_consumer_serves_through_both_components_and_destroy_removes_them(
    consumer: Pulumi, model_server_onnx: Path
) -> None:
    # WHEN the consumer's program is deployed with `pulumi up`
    printed = consumer("up", "--yes", "-s", "dev").stdout
    # THEN EdgeEndpoint and ModelEndpoint each serve the model's own predictions
    assert "modelfleet:index:ModelEndpoint" in printed
    expected = expected_predictions(model_server_onnx)
    direct, fleet = PROGRAM["HOST_PORT"], PROGRAM["HOST_PORT"] + 1
    assert predict(direct) == ("1.0.0", expected)
    assert predict(fleet) == ("1.0.0", expected)
    outputs = consumer.outputs("dev")
    assert outputs["url"] == f"http://127.0.0.1:{direct}/invocations"
    assert outputs["fleet_urls"] == {"consumer-fleet": f"http://127.0.0.1:{fleet}/invocations"}
    assert len(model_containers()) == 2
    # AND destroy leaves no container of this model
    consumer("destroy", "--yes", "-s", "dev")
    assert model_containers() == []
