"""Property tests: whatever a stack file holds, the only failure is a ConfigError.

Random mutations of a valid config (values replaced by arbitrary YAML-able data,
keys dropped or added) must never escape as anything but ``ConfigError``, and the
``modelfleet`` command must never print a traceback for them.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelfleet import cli
from modelfleet.config import StackConfig
from modelfleet.stackfile import ConfigError, parse
from tests.unit.stack_examples import valid

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
    st.text(max_size=30), st.sampled_from(["tcp://x:1", "EU", "US", "aws", "edge", "/ping", "0.0.0.0"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            paths += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            paths += _paths(child, (*prefix, index))
    return paths


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    config = valid()
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(config)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = config
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" or isinstance(parent, list):
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        else:
            parent[draw(st.text(max_size=12))] = draw(values)
    return config


@settings(max_examples=300, deadline=None)
@given(mutated_configs())
def test_only_config_errors_escape(config: dict[str, Any]) -> None:
    try:
        result = parse(config)
    except ConfigError as exc:
        assert exc.issues, "a ConfigError must name at least one problem"
        for issue in exc.issues:
            assert issue.path.startswith("modelfleet:"), issue
    else:
        assert isinstance(result, StackConfig)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(config=mutated_configs())
def test_the_command_never_prints_a_traceback(
    config: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = tmp_path / "Pulumi.prop.yaml"
    stack_file.write_text(
        yaml.safe_dump({"config": {f"modelfleet:{k}": v for k, v in config.items()}})
    )
    for command in (["validate"], ["plan"]):
        code = cli.main([*command, "--stack", str(stack_file)])
        out, err = capsys.readouterr()
        assert code in (0, 1, 2)
        assert "Traceback" not in out + err
        if code == 2:
            assert err, "exit 2 must say why"
            assert all(line.startswith("error: ") for line in err.splitlines()), err
