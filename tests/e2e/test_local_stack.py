"""The `local` stack through the `pulumi` CLI and a real Docker engine, as a user runs it."""

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import requests

from modelfleet.automation import select_stack
from tests.e2e.conftest import (
    REPO,
    THIS_STACK,
    Pulumi,
    containers_labelled,
    copy_project,
    remove_containers,
)

MODEL = "iris-classifier"
HOST_PORTS = {"canary": 18080, "gw-2": 18081}
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [4.8, 3.4, 1.9, 0.2]]
SECRET = "hunter2-e2e-registry-password"
POLICY_PACK = str(REPO / "policies")
LOCAL_POLICY_CONFIG = str(REPO / "policies" / "config" / "local.json")


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


def set_model(pulumi: Pulumi, key: str, value: str) -> None:
    pulumi.set_config("local", f"modelfleet:models.{MODEL}.{key}", value)


def managed_containers() -> list[Any]:
    """This stack's containers (other tiers' tests may run their own beside them)."""
    return containers_labelled(THIS_STACK)


def up(pulumi: Pulumi, *flags: str, check: bool = True) -> str:
    """``pulumi up --yes -s local``; what it printed."""
    done = pulumi("up", "--yes", "-s", "local", *flags, check=check)
    return done.stdout + done.stderr


def up_logging_events(pulumi: Pulumi, log: Path, check: bool = True) -> str:
    """``pulumi up`` writing the engine's events to ``log`` (the flag the Automation API
    uses; the CLI lists it only with PULUMI_DEBUG_COMMANDS)."""
    done = pulumi(
        "up", "--yes", "-s", "local", "--event-log", str(log),
        check=check, env={"PULUMI_DEBUG_COMMANDS": "true"},
    )  # fmt: skip
    return done.stdout + done.stderr


class EventLog:
    """The engine's events for one command (``--event-log``), in the order it sent them."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def container_events(self) -> list[tuple[int, str, str, str]]:
        """(sequence, host, event kind, op) for every EdgeContainer event."""
        events = []
        for line in self.path.read_text().splitlines():
            event = json.loads(line)
            for kind in ("resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"):
                metadata = event.get(kind, {}).get("metadata")
                if metadata and metadata["type"].endswith("EdgeContainer"):
                    host = metadata["urn"].split("::")[-1].removeprefix(f"{MODEL}-this-machine-")
                    events.append((event["sequence"], host, kind, metadata["op"]))
        return events

    def first(self, host: str, kind: str) -> int:
        return min(s for s, h, k, _ in self.container_events() if h == host and k == kind)

    def touched(self, host: str) -> bool:
        return any(h == host and op != "same" for _, h, _, op in self.container_events())


def test_up_prints_the_resource_tree_serves_every_host_and_a_second_up_changes_nothing(
    local_stack: Pulumi, model_server_onnx: Path
) -> None:
    # WHEN the local stack is deployed with `pulumi up`
    printed = up(local_stack)
    # THEN the CLI shows the resource tree and its summary
    assert "modelfleet:edge:EdgeEndpoint iris-classifier-this-machine" in printed
    assert "+ 5 created" in printed
    assert local_stack.changes("local") == {"create": 5}
    # AND every host serves the model's own predictions
    expected = expected_predictions(model_server_onnx)
    for port in HOST_PORTS.values():
        assert predict(port) == ("1.0.0", expected)
    outputs = local_stack.outputs("local")
    assert outputs["urls"] == {MODEL: {"this-machine": "http://127.0.0.1:18080/invocations"}}
    assert outputs["host_urls"] == {
        MODEL: {
            "this-machine": {
                host: f"http://127.0.0.1:{port}/invocations" for host, port in HOST_PORTS.items()
            }
        }
    }
    # AND a second up with no config change changes nothing
    up(local_stack)
    assert local_stack.changes("local") == {"same": 5}


def test_a_new_version_rolls_out_wave_by_wave_and_an_unhealthy_one_stops_at_the_canary(
    local_stack: Pulumi, tmp_path: Path
) -> None:
    up(local_stack)
    # WHEN a new version is configured THEN `preview --diff` shows both containers updating
    set_model(local_stack, "version", "1.1.0")
    diff = local_stack("preview", "--diff", "-s", "local").stdout
    assert diff.count("~ pulumi-python:dynamic/edge:EdgeContainer") == 2, diff
    assert '"1.0.0" => "1.1.0"' in diff
    # AND `up` finishes the canary (wave 0) before it starts gw-2 (wave 1); both serve it
    events = EventLog(tmp_path / "rollout.jsonl")
    up_logging_events(local_stack, events.path)
    assert local_stack.changes("local") == {"same": 3, "update": 2}
    assert events.first("canary", "resOutputsEvent") < events.first("gw-2", "resourcePreEvent")
    for port in HOST_PORTS.values():
        assert predict(port)[0] == "1.1.0"
    versions = {c.labels["modelfleet/version"] for c in managed_containers()}
    assert versions == {"1.1.0"}, "the old containers must be gone"
    # WHEN a version that never turns healthy is configured
    set_model(local_stack, "version", "1.2.0")
    set_model(local_stack, "env.FAIL_HEALTH", "1")
    local_stack.set_config("local", "modelfleet:locations.this-machine.health_timeout_s", "6")
    events = EventLog(tmp_path / "unhealthy.jsonl")
    printed = up_logging_events(local_stack, events.path, check=False)
    # THEN the canary's update fails with the new container's logs, gw-2 is never
    # touched, and both hosts still serve the previous version
    assert "1.2.0" in printed
    assert "error:" in printed
    assert events.touched("canary")
    assert not events.touched("gw-2")
    for port in HOST_PORTS.values():
        assert predict(port)[0] == "1.1.0"


def test_a_container_removed_by_hand_is_seen_by_refresh_and_recreated_by_up(
    local_stack: Pulumi,
) -> None:
    up(local_stack)
    (gone,) = [c for c in managed_containers() if c.labels["modelfleet/host"] == "gw-2"]
    gone.remove(force=True)
    # WHEN the stack is refreshed THEN the engine learns the container is gone
    local_stack("refresh", "--yes", "-s", "local")
    assert local_stack.changes("local") == {"same": 4, "delete": 1}
    # AND the next up recreates it, serving again
    up(local_stack)
    assert local_stack.changes("local") == {"same": 4, "create": 1}
    assert predict(HOST_PORTS["gw-2"])[0] == "1.0.0"


def test_destroy_leaves_no_managed_container(local_stack: Pulumi) -> None:
    up(local_stack)
    assert len(managed_containers()) == 2
    local_stack("destroy", "--yes", "-s", "local")
    assert local_stack.changes("local") == {"delete": 5}
    assert managed_containers() == []


def test_a_secret_never_appears_in_state_or_cli_output(local_stack: Pulumi) -> None:
    # GIVEN a registry password set as a secret on the edge location
    location = "modelfleet:locations.this-machine.registry_auth"
    local_stack.set_config("local", f"{location}.username", "ops")
    local_stack.set_config("local", f"{location}.password", SECRET, secret=True)
    # WHEN the stack is deployed, previewed with its diff and its state exported
    printed = up(local_stack)
    printed += local_stack("preview", "--diff", "-s", "local").stdout
    state = local_stack("stack", "export", "-s", "local").stdout
    backend_files = [p.read_text() for p in local_stack.state.rglob("*.json")]
    # THEN the password is nowhere in plain text, though the containers received it
    assert SECRET not in state
    assert backend_files
    assert not any(SECRET in text for text in backend_files)
    assert SECRET not in printed
    assert "ciphertext" in state
    assert predict(HOST_PORTS["canary"])[0] == "1.0.0"


def test_the_local_stack_passes_its_policy_pack_in_mandatory_mode(local_stack: Pulumi) -> None:
    # WHEN the local stack is previewed under the pack with its own policy config
    done = local_stack(
        "preview", "-s", "local", "--policy-pack", POLICY_PACK,
        "--policy-pack-config", LOCAL_POLICY_CONFIG,
    )  # fmt: skip
    # THEN it passes; the tag is reported, not refused (no local registry gives a digest)
    assert "[advisory]  image-pinned-by-digest" in done.stdout
    assert "[mandatory]" not in done.stdout
    assert "+ 5 to create" in done.stdout
    # AND the pack ran through the Python language host: no analyzer shim is installed
    assert shutil.which("pulumi-analyzer-policy-python") is None


def test_preview_with_the_policy_pack_refuses_restricted_eu_data_on_a_us_host(
    local_stack: Pulumi,
) -> None:
    # GIVEN the local stack with a restricted EU-only model and its site declared US
    set_model(local_stack, "data.classification", "restricted")
    local_stack.set_config("local", "modelfleet:locations.this-machine.jurisdiction", "US")
    # WHEN it is previewed under the pack THEN the preview fails naming the policy
    done = local_stack(
        "preview", "-s", "local", "--policy-pack", POLICY_PACK,
        "--policy-pack-config", LOCAL_POLICY_CONFIG, check=False,
    )  # fmt: skip
    printed = done.stdout + done.stderr
    assert done.returncode != 0
    assert "modelfleet-residency" in printed
    assert "US is outside the model's residency (EU)" in printed
    assert managed_containers() == []


def test_the_automation_api_runs_the_same_program_inline(
    tmp_path: Path, model_server_image: str, model_server_onnx: Path
) -> None:
    """For projects that drive modelfleet from code (:mod:`modelfleet.automation`)."""
    project = copy_project(
        REPO, tmp_path / "project", ["Pulumi.yaml", "stacks/Pulumi.local.yaml"], venv=None
    )
    stack = select_stack("local", project, tmp_path / "state")
    try:
        # WHEN the stack is deployed as an inline program THEN every host serves the model
        result = stack.up()
        assert result.summary.resource_changes == {"create": 5}
        assert predict(HOST_PORTS["gw-2"]) == ("1.0.0", expected_predictions(model_server_onnx))
        # AND destroy removes every container
        assert stack.destroy().summary.resource_changes == {"delete": 5}
        assert managed_containers() == []
    finally:
        try:
            stack.destroy()
        finally:
            remove_containers(THIS_STACK)
