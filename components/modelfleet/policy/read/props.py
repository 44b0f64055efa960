"""A resource's real properties, as the engine sends them.

Property names are the engine's (``kmsKeyArn``, ``spec.template.spec``), not the
Python SDKs'. During a preview some values are not known yet; the engine hands them
over as sentinels, and reading one through its proxy raises ``UnknownValueError``.
:func:`lookup` turns both into an :class:`Unknown`, so a policy can say what it could
not check instead of passing silently.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

_SENTINELS = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class Missing:
    """A property that is not set."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


@dataclass(frozen=True)
class Unknown:
    """A property whose value the engine does not know yet (a preview)."""

    path: str


def is_unknown(value: object) -> bool:
    """True for the engine's placeholder of a value not known at preview."""
    return isinstance(value, str) and value in _SENTINELS


def render(path: Sequence[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` as ``spec.containers[0].image``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def lookup(props: object, *path: str | int) -> Any:
    """The value at ``path``; :data:`MISSING` when absent; :class:`Unknown` at preview."""
    current = props
    for depth, key in enumerate(path):
        try:
            if isinstance(key, int):
                if not _is_list(current) or key >= len(current):  # type: ignore[arg-type]
                    return MISSING
                current = current[key]  # type: ignore[index]
            else:
                if not isinstance(current, Mapping) or key not in keys(current):
                    return MISSING
                current = current[key]
        except UnknownValueError:
            return Unknown(render(path[: depth + 1]))
        if is_unknown(current):
            return Unknown(render(path[: depth + 1]))
    return current


def keys(mapping: Mapping[str, Any]) -> list[str]:
    """The keys of a mapping, without reading (and tripping over) unknown values."""
    return list(iter(mapping))


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(value: object) -> list[Any]:
    """The elements of a list property (empty when it is not a list)."""
    if not _is_list(value):
        return []
    return [lookup(value, index) for index in range(len(value))]  # type: ignore[arg-type]


def is_set(value: object) -> bool:
    """A property that is present and not empty (unknown values count as set)."""
    if value is MISSING or value is None or value == "":
        return False
    if isinstance(value, Mapping) or _is_list(value):
        return len(value) > 0  # type: ignore[arg-type]
    return True
