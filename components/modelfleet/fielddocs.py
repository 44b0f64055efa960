"""A field's docstring, read from its args ``TypedDict``: the one place its words live.

The args types are the component schema (their docstrings become the package's
descriptions); the stack config's JSON Schema takes the same words from here, so a
key is described once for both.
"""

import ast
import inspect
import textwrap
from functools import cache


@cache
def field_docs(typed: type) -> dict[str, str]:
    """Every field of ``typed`` that has a docstring, with it."""
    body = ast.parse(textwrap.dedent(inspect.getsource(typed))).body[0]
    assert isinstance(body, ast.ClassDef)
    return {
        node.target.id: after.value.value
        for node, after in zip(body.body, body.body[1:], strict=False)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }


def doc(typed: type, field: str) -> str:
    """The docstring under ``field`` in ``typed``; a missing one is a bug, not a blank."""
    return field_docs(typed)[field]
