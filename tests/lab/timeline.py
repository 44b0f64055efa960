"""What really ran at once: every lab engine's own event stream, read live over its
unix socket, gives per host the new container's create and the old one's destroy."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.lab.lab import Lab


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


class SwapTimeline:
    """Per host: when the first container was created and the last one destroyed.

    ``on_create(host_name)`` runs (in the reader's thread) on each host's first create:
    the moment a fault test strikes, while that host's swap is under way.
    """

    def __init__(self, lab: Lab, on_create: Callable[[str], None] | None = None) -> None:
        self.created: dict[str, float] = {}
        self.destroyed: dict[str, float] = {}
        self.on_create = on_create
        self._lock = threading.Lock()
        self._streams: list[Any] = []
        self._clients: list[Any] = []
        self._threads = []
        for host in lab.hosts:
            client = host.client(timeout=3600)
            stream = client.events(decode=True, filters={"type": "container"})
            self._clients.append(client)
            self._streams.append(stream)
            thread = threading.Thread(target=self._read, args=(host.name, stream), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _read(self, host: str, stream: Any) -> None:
        with contextlib.suppress(Exception):  # the stream ends in an error when closed
            for event in stream:
                at = event["timeNano"] / 1e9
                if event["Action"] == "create":
                    with self._lock:
                        first = host not in self.created
                        self.created.setdefault(host, at)
                    if first and self.on_create is not None:
                        self.on_create(host)
                elif event["Action"] == "destroy":
                    with self._lock:
                        self.destroyed[host] = at

    def close(self) -> dict[str, Any]:
        """Stop reading; the spans, and how many overlapped."""
        time.sleep(0.5)  # the last events' way from the daemons
        for stream in self._streams:
            with contextlib.suppress(Exception):
                stream.close()
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()
        spans = {
            h: (self.created[h], self.destroyed[h]) for h in self.created if h in self.destroyed
        }
        start = min((s for s, _ in spans.values()), default=0.0)
        return {
            "hosts_swapped": len(spans),
            "started_at": start,
            "concurrency": max_overlap(list(spans.values())),
            "spans": {h: (round(s - start, 3), round(e - start, 3)) for h, (s, e) in spans.items()},
            "per_host_s": sorted(round(e - s, 3) for s, e in spans.values()),
        }
