"""docs/rules.md is what scripts/generate-rules-doc writes from the rulebook, so it cannot drift."""

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

from modelfleet import rulebook

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    """scripts/generate-rules-doc as a module (it has no .py suffix: it is a command)."""
    path = ROOT / "scripts" / "generate-rules-doc"
    loader = importlib.machinery.SourceFileLoader("generate_rules_doc", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_docs_rules_md_is_up_to_date():
    expected = generator().render()
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run scripts/generate-rules-doc"


def test_every_rule_has_one_row_naming_where_it_is_checked():
    rows = [
        line
        for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    ]
    assert [row.split(" | ")[0].strip("| `") for row in rows] == list(rulebook.RULES)
    plain_tcp = next(row for row in rows if row.startswith("| `edge-plain-tcp-refused`"))
    assert "| validate, target build, policy pack |" in plain_tcp
    assert "policy `edge-docker-host-secure-transport`" in plain_tcp
    assert "[`policy/edge.py`](../components/modelfleet/policy/edge.py)" in plain_tcp


def test_a_message_shows_its_placeholders_as_names():
    row = generator()._message(rulebook.AWS_REGION)
    assert row == "`unknown AWS region <region>`"
