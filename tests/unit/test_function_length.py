"""No function in components/ is longer than 60 lines: a long constructor hides its steps."""

import ast
from pathlib import Path

COMPONENTS = Path(__file__).resolve().parents[2] / "components"
LIMIT = 60


def long_functions() -> list[str]:
    found = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > LIMIT:
                    where = path.relative_to(COMPONENTS)
                    found.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_in_components_is_longer_than_60_lines():
    assert long_functions() == []
