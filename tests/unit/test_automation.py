"""``python -m modelfleet.automation`` runs the engine wide enough for the stack's edge sites."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelfleet import automation
from tests.unit.stack_examples import valid


class RecordingStack:
    """Stands in for an Automation API stack: records each operation and its options."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def record(**options: Any) -> None:
            self.calls.append((operation, options))

        return record

    def outputs(self) -> dict[str, Any]:
        return {}


def project(tmp_path: Path, config: dict[str, Any]) -> Path:
    """A project whose stack ``t`` holds ``config``, as the repo lays stacks out."""
    (tmp_path / "Pulumi.yaml").write_text("name: modelfleet\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    stack = {"config": {f"modelfleet:{key}": value for key, value in config.items()}}
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(stack))
    return tmp_path


def limited_lyon() -> dict[str, Any]:
    """plant-lyon with a canary and a wave of 4, at most 3 at once; only fraud-scorer there."""
    config = valid()
    lyon = config["locations"]["plant-lyon"]
    lyon["rollout"] = {"max_parallel": 3}
    lyon["hosts"] += [{"name": f"gw-{n}", "docker_host": "ssh://ops@gw"} for n in (3, 4, 5)]
    return config


@pytest.mark.parametrize("command", ["up", "preview", "refresh", "destroy"])
def test_every_operation_runs_with_the_stack_s_edge_width(tmp_path, monkeypatch, command):
    # GIVEN a stack whose one edge placement swaps 3 hosts at once, and no real engine
    directory = project(tmp_path, limited_lyon())
    stack = RecordingStack()
    monkeypatch.setattr(automation.shutil, "which", lambda _: "/usr/bin/pulumi")
    monkeypatch.setattr(automation, "collect_less_often", lambda: None)
    monkeypatch.setattr(automation, "select_stack", lambda *args, **kwargs: stack)
    # WHEN the command runs
    assert automation.main([command, "--stack", "t", "--project-dir", str(directory)]) == 0
    # THEN the engine gets --parallel 8 + 3
    assert [(name, options["parallel"]) for name, options in stack.calls] == [(command, 11)]


def test_an_invalid_stack_file_leaves_the_engine_s_default_for_the_program_to_report(tmp_path):
    config = limited_lyon()
    config["locations"]["plant-lyon"]["rollout"] = {"max_parallel": 0}
    assert automation.engine_parallel("t", project(tmp_path, config)) is None
