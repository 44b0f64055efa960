"""The `local` stack on the real Pulumi engine and a real Docker engine, as a user runs it."""

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import pytest
import requests
from pulumi import automation as auto

from tests.e2e.conftest import THIS_STACK, containers_labelled

REPO = Path(__file__).resolve().parents[2]
MODEL = "iris-classifier"
HOST_PORTS = {"canary": 18080, "gw-2": 18081}
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [4.8, 3.4, 1.9, 0.2]]
SECRET = "hunter2-e2e-registry-password"


def predict(port: int) -> tuple[str, list[int]]:
    response = requests.post(
        f"http://127.0.0.1:{port}/invocations", json={"instances": ROWS}, timeout=5
    )
    response.raise_for_status()
    return response.headers["X-Model-Version"], response.json()["predictions"]


def expected_predictions(onnx_path: Path) -> list[int]:
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    labels = session.run(None, {name: np.asarray(ROWS, dtype=np.float32)})[0]
    return [int(label) for label in labels]


def set_model(stack: auto.Stack, key: str, value: str) -> None:
    stack.set_config(f"modelfleet:models.{MODEL}.{key}", auto.ConfigValue(value), path=True)


def managed_containers() -> list[Any]:
    """This stack's containers (other tiers' tests may run their own beside them)."""
    return containers_labelled(THIS_STACK)


def exported_state(stack: auto.Stack) -> str:
    """``pulumi stack export`` as a user runs it (the Automation API's export shows secrets)."""
    done = subprocess.run(
        ["pulumi", "stack", "export", "--stack", stack.name],
        cwd=stack.workspace.work_dir,
        env={**os.environ, **stack.workspace.env_vars},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


class Timeline:
    """When each edge container's operation started and finished, from engine events."""

    def __init__(self) -> None:
        self.events: list[tuple[float, str, str, str]] = []

    def __call__(self, event: auto.EngineEvent) -> None:
        for kind in ("resource_pre_event", "res_outputs_event", "res_op_failed_event"):
            payload = getattr(event, kind, None)
            if payload is not None and payload.metadata.type.endswith("EdgeContainer"):
                host = payload.metadata.urn.split("::")[-1].removeprefix(f"{MODEL}-this-machine-")
                self.events.append((time.monotonic(), host, kind, str(payload.metadata.op)))

    def first(self, host: str, kind: str) -> float:
        return min(t for t, h, k, _ in self.events if h == host and k == kind)

    def touched(self, host: str) -> bool:
        return any(h == host and "SAME" not in op for _, h, _, op in self.events)


def test_up_serves_the_model_from_every_host_and_a_second_up_changes_nothing(
    local_stack: auto.Stack, model_server_onnx: Path
) -> None:
    # WHEN the local stack is deployed
    result = local_stack.up()
    # THEN every host serves the model's own predictions
    assert result.summary.resource_changes == {"create": 5}
    expected = expected_predictions(model_server_onnx)
    for port in HOST_PORTS.values():
        assert predict(port) == ("1.0.0", expected)
    assert result.outputs["urls"].value == {
        MODEL: {"this-machine": "http://127.0.0.1:18080/invocations"}
    }
    assert result.outputs["host_urls"].value == {
        MODEL: {
            "this-machine": {
                host: f"http://127.0.0.1:{port}/invocations" for host, port in HOST_PORTS.items()
            }
        }
    }
    # AND a second up with no config change changes nothing
    again = local_stack.up()
    assert again.summary.resource_changes == {"same": 5}


def test_a_new_version_rolls_out_wave_by_wave_and_an_unhealthy_one_stops_at_the_canary(
    local_stack: auto.Stack,
) -> None:
    local_stack.up()
    # WHEN a new version is configured
    set_model(local_stack, "version", "1.1.0")
    timeline = Timeline()
    result = local_stack.up(on_event=timeline)
    # THEN the canary (wave 0) finished before gw-2 (wave 1) started, and both serve it
    assert result.summary.resource_changes == {"same": 3, "update": 2}
    assert timeline.first("canary", "res_outputs_event") < timeline.first(
        "gw-2", "resource_pre_event"
    )
    for port in HOST_PORTS.values():
        assert predict(port)[0] == "1.1.0"
    versions = {c.labels["modelfleet/version"] for c in managed_containers()}
    assert versions == {"1.1.0"}, "the old containers must be gone"
    # WHEN a version that never turns healthy is configured
    set_model(local_stack, "version", "1.2.0")
    set_model(local_stack, "env.FAIL_HEALTH", "1")
    local_stack.set_config(
        "modelfleet:locations.this-machine.health_timeout_s", auto.ConfigValue("6"), path=True
    )
    timeline = Timeline()
    with pytest.raises(auto.CommandError) as failed:
        local_stack.up(on_event=timeline)
    # THEN the canary's update fails with the new container's logs, gw-2 is never
    # touched, and both hosts still serve the previous version
    assert "1.2.0" in str(failed.value)
    assert timeline.touched("canary")
    assert not timeline.touched("gw-2")
    for port in HOST_PORTS.values():
        assert predict(port)[0] == "1.1.0"


def test_a_container_removed_by_hand_is_seen_by_refresh_and_recreated_by_up(
    local_stack: auto.Stack,
) -> None:
    local_stack.up()
    (gone,) = [c for c in managed_containers() if c.labels["modelfleet/host"] == "gw-2"]
    gone.remove(force=True)
    # WHEN the stack is refreshed THEN the engine learns the container is gone
    refreshed = local_stack.refresh()
    assert refreshed.summary.resource_changes == {"same": 4, "delete": 1}
    # AND the next up recreates it, serving again
    result = local_stack.up()
    assert result.summary.resource_changes == {"same": 4, "create": 1}
    assert predict(HOST_PORTS["gw-2"])[0] == "1.0.0"


def test_destroy_leaves_no_managed_container(local_stack: auto.Stack) -> None:
    local_stack.up()
    assert len(managed_containers()) == 2
    result = local_stack.destroy()
    assert result.summary.resource_changes == {"delete": 5}
    assert managed_containers() == []


def test_a_secret_never_appears_in_state_or_engine_output(local_stack: auto.Stack) -> None:
    # GIVEN a registry password set as a secret on the edge location
    location = "modelfleet:locations.this-machine.registry_auth"
    local_stack.set_config(f"{location}.username", auto.ConfigValue("ops"), path=True)
    local_stack.set_config(f"{location}.password", auto.ConfigValue(SECRET, secret=True), path=True)
    printed: list[str] = []
    # WHEN the stack is deployed and its state exported
    local_stack.up(on_output=printed.append)
    local_stack.preview(on_output=printed.append, diff=True)
    state = exported_state(local_stack)
    backend_files = [
        p.read_text()
        for p in Path(
            local_stack.workspace.env_vars["PULUMI_BACKEND_URL"].removeprefix("file://")
        ).rglob("*.json")
    ]
    # THEN the password is nowhere in plain text, though the containers received it
    assert SECRET not in state
    assert backend_files
    assert not any(SECRET in text for text in backend_files)
    assert SECRET not in "\n".join(printed)
    assert "ciphertext" in state
    assert predict(HOST_PORTS["canary"])[0] == "1.0.0"


def test_preview_with_the_policy_pack_refuses_restricted_eu_data_on_a_us_host(
    local_stack: auto.Stack,
) -> None:
    # GIVEN the local stack with a restricted EU-only model and its site declared US
    set_model(local_stack, "data.classification", "restricted")
    local_stack.set_config(
        "modelfleet:locations.this-machine.jurisdiction", auto.ConfigValue("US"), path=True
    )
    printed: list[str] = []
    # WHEN it is previewed under the policy pack THEN the preview fails naming the policy
    with pytest.raises(auto.CommandError):
        local_stack.preview(policy_packs=[str(REPO / "policies")], on_output=printed.append)
    output = "\n".join(printed)
    assert "modelfleet-residency" in output
    assert "US is outside the model's residency (EU)" in output
    assert managed_containers() == []
