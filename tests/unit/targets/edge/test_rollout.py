"""How many edge hosts swap at once: the per-location gate, and the widened provider pool."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from modelfleet.targets.edge.rollout import DEFAULT_MAX_PARALLEL, LocationGates, slot


def props(location: str, limit: int | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {"location": location, "host": "gw-1"}
    if limit is not None:
        values["max_parallel"] = limit
    return values


class Peak:
    """A slow swap that records how many overlapped."""

    def __init__(self, gates: LocationGates) -> None:
        self.gates = gates
        self.lock = threading.Lock()
        self.now = self.most = 0

    def swap(self, resource: dict[str, Any]) -> str:
        with slot(resource, self.gates):
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            time.sleep(0.05)
            with self.lock:
                self.now -= 1
        return "done"


def test_swaps_of_one_location_run_max_parallel_at_a_time() -> None:
    # GIVEN eight swaps of one location whose limit is 3
    peak = Peak(LocationGates())
    # WHEN they arrive at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(peak.swap, [props("plant-lyon", 3)] * 8))
    # THEN all complete, never more than three at a time
    assert results == ["done"] * 8
    assert peak.most == 3


def test_locations_do_not_share_slots() -> None:
    # GIVEN swaps of two locations, each limited to one at a time
    peak = Peak(LocationGates())
    # WHEN they arrive at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(peak.swap, [props(site, 1) for site in ("a", "b") * 3]))
    # THEN one per location ran at a time: two overall
    assert peak.most == 2


def test_a_container_without_the_input_gets_the_default_limit() -> None:
    # GIVEN state from before max_parallel existed: no such input
    gates = LocationGates()
    with slot(props("plant-lyon"), gates):
        pass
    gate = gates.gate("plant-lyon", 1)  # the first call sized it; later sizes do not count
    # THEN the location's limit is the default
    acquired = sum(gate.acquire(blocking=False) for _ in range(DEFAULT_MAX_PARALLEL + 1))
    assert acquired == DEFAULT_MAX_PARALLEL


WIDEN = textwrap.dedent(
    """
    import importlib.machinery, sys
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(max_workers=4)  # the dynamic provider's gRPC pool
    if sys.argv[1] == "provider":
        sys.modules["__main__"].__spec__ = importlib.machinery.ModuleSpec(
            "pulumi.dynamic.__main__", None
        )
    import modelfleet.targets.edge.crud  # what unpickling the provider imports
    print(pool._max_workers)
    """
)


def widened(process: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WIDEN, process], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_the_provider_process_widens_its_pool_when_it_loads_the_edge_provider() -> None:
    # GIVEN the dynamic provider's process, four workers (pulumi/dynamic/__main__.py)
    # WHEN it unpickles the edge provider, THEN its pool takes 256 calls at once
    assert widened("provider") == 256


def test_no_other_process_has_its_pools_touched() -> None:
    # GIVEN a program (or a test) importing the edge provider, WHEN it does, THEN its own
    # pools keep their width
    assert widened("program") == 4
