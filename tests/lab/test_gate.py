"""edge_parallel's per-location gate, without an engine: how many creates and updates of
one location run at once is what ``max_parallel`` says, and locations do not share slots."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2

from modelfleet.edge_parallel import DEFAULT_MAX_PARALLEL, LocationGate, gated


def props(location: str, limit: int | None = None) -> struct_pb2.Struct:
    values: dict[str, Any] = {"location": location, "host": "gw-1"}
    if limit is not None:
        values["max_parallel"] = limit
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


class Peak:
    """A slow provider method that records how many calls overlapped."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, _request: Any, _context: Any) -> str:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(0.05)
        with self.lock:
            self.now -= 1
        return "done"


def test_updates_of_one_location_run_max_parallel_at_a_time() -> None:
    # GIVEN eight updates of one location whose limit is 3
    peak = Peak()
    call = gated(peak, LocationGate())
    request = provider_pb2.UpdateRequest(news=props("plant-lyon", 3))
    # WHEN they arrive at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: call(request, None), range(8)))
    # THEN all complete, never more than three at a time
    assert results == ["done"] * 8
    assert peak.most == 3


def test_locations_do_not_share_slots_and_creates_are_gated_too() -> None:
    # GIVEN creates of two locations, each limited to one at a time
    peak = Peak()
    call = gated(peak, LocationGate())
    requests = [provider_pb2.CreateRequest(properties=props(site, 1)) for site in ("a", "b") * 3]
    # WHEN they arrive at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda request: call(request, None), requests))
    # THEN one per location ran at a time: two overall
    assert peak.most == 2


def test_a_container_without_the_input_gets_the_default_limit() -> None:
    # GIVEN state from before max_parallel existed: no such input
    gate = LocationGate().gate(props("plant-lyon"))
    # THEN the location's limit is the default
    acquired = sum(gate.acquire(blocking=False) for _ in range(DEFAULT_MAX_PARALLEL + 1))
    assert acquired == DEFAULT_MAX_PARALLEL
