"""One recording ``Mocks`` for every unit test: what was registered, with what, where.

The monitor subclass adds what ``MockResourceArgs`` leaves out — the URN (which
carries ``Parent$Child``), the parent and the explicit dependencies — so tests can
assert on the graph, not only on inputs.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from tests.provider_outputs import provider_result
from tests.provider_schemas import check_registration


def secret_value(value: Any) -> Any:
    """The value inside a secret as the engine receives it; fails if it is not a secret."""
    assert isinstance(value, dict), f"not a secret: {value!r}"
    assert value.get(rpc._special_sig_key) == rpc._special_secret_sig, f"not a secret: {value!r}"
    return value["value"]


@dataclass
class Registered:
    """One resource as the engine would have seen it."""

    type: str
    name: str
    inputs: dict[str, Any]
    provider: str
    urn: str
    parent: str
    dependencies: list[str]


class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource; fails loudly on any invoke it was not told about."""

    def __init__(self, invokes: dict[str, dict[str, Any]] | None = None) -> None:
        self.resources: list[Registered] = []
        self.invokes = invokes or {}
        self.pending: dict[str, Any] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        # A provider refuses what its schema does not allow; so does this mock.
        check_registration(args.typ, args.name, args.inputs)
        self.resources.append(
            Registered(
                type=args.typ,
                name=args.name,
                inputs=dict(args.inputs),
                provider=args.provider or "",
                urn=self.pending.get("urn", ""),
                parent=self.pending.get("parent", ""),
                dependencies=list(self.pending.get("dependencies", [])),
            )
        )
        return provider_result(args.typ, args.name, args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token not in self.invokes:
            raise AssertionError(f"unexpected invoke {args.token} with {dict(args.args)}")
        return self.invokes[args.token], []  # no check failures

    def run(self, program: Callable[[], Any]) -> Any:
        """Run ``program`` to completion (every registration settled); return its resolved result."""
        result: dict[str, Any] = {}

        @pulumi.runtime.test
        def settle() -> pulumi.Output[Any]:
            return pulumi.Output.from_input(program()).apply(lambda v: result.setdefault("v", v))

        settle()
        return result.get("v")

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Registered:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"expected one resource named {name}, got {len(matches)}"
        return matches[0]


class RecordingMonitor(MockMonitor):
    """Hands each registration's URN, parent and dependencies to the recorder.

    The SDK registers from executor threads; the lock keeps each hand-over (through
    the one ``pending`` field) with its own resource.
    """

    mocks: RecordingMocks
    lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        with self.lock:
            self.mocks.pending = {
                "urn": self.make_urn(request.parent, request.type, request.name),
                "parent": request.parent,
                "dependencies": list(request.dependencies),
            }
            return super().RegisterResource(request)


def install_mocks(recorder: RecordingMocks, monitor: MockMonitor, stack: str = "unit") -> None:
    """Set ``recorder`` and ``monitor`` as the program's mocks, as one `pulumi up` would see
    the engine; tests that watch more of each registration pass their own monitor."""
    pulumi.runtime.set_mocks(
        recorder, project="modelfleet", stack=stack, preview=False, monitor=monitor
    )


def new_mocks(stack: str = "unit") -> RecordingMocks:
    """A fresh recorder set as the program's mocks."""
    recorder = RecordingMocks()
    install_mocks(recorder, RecordingMonitor(recorder), stack)
    return recorder


@pytest.fixture
def mocks() -> RecordingMocks:
    return new_mocks()
