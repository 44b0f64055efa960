"""How many edge hosts swap at once: a wide provider server, gated per location.

Every ``EdgeContainer`` is served by one ``pulumi.dynamic`` provider process whose gRPC
server has ``ThreadPoolExecutor(max_workers=4)`` hard-coded (SDK 3.260.0,
``pulumi/dynamic/__main__.py``): at most four hosts would swap at once, however wide the
engine's ``--parallel``. When this module is imported inside that process (the first
call unpickles the provider, which imports it), :func:`widen_provider_server` raises the
pool's limit, so plain ``pulumi up`` needs no plugin of ours. Creates and updates then
wait on a per-location slot, sized by the location's ``rollout.max_parallel``.
"""

import gc
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

DEFAULT_MAX_PARALLEL = 16
"""Hosts of one location swapping at once when the location does not say: once the image
is on a host a swap moves a few hundred kilobytes of API calls, so a thin link carries
many; an image pull over it is what a lower limit protects."""
LIMIT_KEY = "max_parallel"
"""The EdgeContainer input that carries its location's ``rollout.max_parallel``."""
WORKERS = int(os.environ.get("MODELFLEET_EDGE_WORKERS", "256"))
"""gRPC worker threads of the provider process: enough that Checks and Diffs never queue
behind gated updates. ``MODELFLEET_EDGE_WORKERS=4`` restores the SDK's own width."""
DYNAMIC_SERVER = "pulumi.dynamic.__main__"


def widen_provider_server(workers: int = WORKERS) -> int:
    """Let the dynamic provider's gRPC pool run ``workers`` calls; how many pools widened.

    Only inside ``python -m pulumi.dynamic``: the pool is a local of its ``main()``,
    reachable through the garbage collector's view of live objects, and
    ``ThreadPoolExecutor`` reads its limit each time it is handed work.
    """
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) != DYNAMIC_SERVER:
        return 0
    pools = [
        pool
        for pool in gc.get_objects()
        if isinstance(pool, ThreadPoolExecutor) and pool._max_workers < workers
    ]
    for pool in pools:
        pool._max_workers = workers
    return len(pools)


class LocationGates:
    """One semaphore per edge location, sized by the first call that names it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[str, threading.BoundedSemaphore] = {}

    def gate(self, location: str, limit: int) -> threading.BoundedSemaphore:
        with self._lock:
            return self._gates.setdefault(location, threading.BoundedSemaphore(max(1, limit)))


GATES = LocationGates()


@contextmanager
def slot(props: Mapping[str, Any], gates: LocationGates = GATES) -> Iterator[None]:
    """Hold one of the location's ``max_parallel`` slots while a host swaps."""
    limit = props.get(LIMIT_KEY)
    size = int(limit) if isinstance(limit, int | float) else DEFAULT_MAX_PARALLEL
    with gates.gate(str(props.get("location", "")), size):
        yield
