"""Edge rollouts without the four-host cap: Pulumi's own dynamic provider, served wider.

Every ``EdgeContainer`` is served by one ``pulumi-python`` dynamic provider process,
whose gRPC server has ``ThreadPoolExecutor(max_workers=4)`` hard-coded
(``pulumi/dynamic/__main__.py``, SDK 3.260.0): at most four hosts swap at once, however
wide ``--parallel`` is. This module runs that very provider (same servicer, same
pickled ``EdgeContainerProvider``, same type token and provider reference, so existing
state needs no migration) with a wide thread pool, and instead bounds concurrent
creates and updates per edge location by the resource's ``max_parallel`` input
(:data:`DEFAULT_MAX_PARALLEL` when absent).

The engine finds the provider as ``pulumi-resource-pulumi-python`` on PATH before the
copy beside the ``pulumi`` binary: :func:`install` writes one that starts this module,
in a directory to put first on the engine's PATH. The engine's own ``--parallel``
still bounds the steps it runs at once: pass at least the widest wave.

Usage: ``python -m modelfleet.edge_parallel`` (what the installed plugin runs).
"""

import os
import runpy
import stat
import sys
import threading
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import struct_pb2  # type: ignore[import-untyped]

PLUGIN = "pulumi-resource-pulumi-python"
WORKERS = 256
"""gRPC worker threads: enough that Checks and Diffs never queue behind gated updates."""
DEFAULT_MAX_PARALLEL = 16
"""Hosts of one location swapping at once when the location does not say: a swap
moves a few kilobytes of API calls once the image is on the host, so a thin link
carries many; an image pull over it is what a lower limit protects."""
LIMIT_KEY = "max_parallel"
"""The EdgeContainer input that carries its location's ``rollout.max_parallel``."""
GATED = ("Create", "Update")


class LocationGate:
    """One semaphore per edge location, sized by the first request that names it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._gates: dict[str, threading.BoundedSemaphore] = {}

    def gate(self, props: struct_pb2.Struct) -> threading.BoundedSemaphore:
        fields = props.fields
        location = fields["location"].string_value if "location" in fields else ""
        limit = DEFAULT_MAX_PARALLEL
        if LIMIT_KEY in fields and fields[LIMIT_KEY].WhichOneof("kind") == "number_value":
            limit = max(1, int(fields[LIMIT_KEY].number_value))
        with self._lock:
            return self._gates.setdefault(location, threading.BoundedSemaphore(limit))


def gated(method: Callable[[Any, Any], Any], gates: LocationGate) -> Callable[[Any, Any], Any]:
    """``method`` (Create or Update), run once its location has a free slot."""

    def call(request: Any, context: Any) -> Any:
        props = request.news if hasattr(request, "news") else request.properties
        with gates.gate(props):
            return method(request, context)

    return call


def _widen(add_servicer: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    gates = LocationGate()

    def add(servicer: Any, server: Any) -> None:
        for name in GATED:
            setattr(servicer, name, gated(getattr(servicer, name), gates))
        add_servicer(servicer, server)

    return add


def serve(workers: int = WORKERS) -> None:
    """Run ``pulumi.dynamic``'s provider server with ``workers`` threads and location gates."""
    from pulumi.runtime.proto import provider_pb2_grpc

    make_server = grpc.server

    def wide_server(pool: futures.ThreadPoolExecutor, *args: Any, **kwargs: Any) -> Any:
        pool.shutdown(wait=False)
        return make_server(futures.ThreadPoolExecutor(max_workers=workers), *args, **kwargs)

    grpc.server = wide_server
    setattr(  # noqa: B010 - replacing the SDK's function for this process only
        provider_pb2_grpc,
        "add_ResourceProviderServicer_to_server",
        _widen(provider_pb2_grpc.add_ResourceProviderServicer_to_server),
    )
    runpy.run_module("pulumi.dynamic", run_name="__main__", alter_sys=True)


def install(directory: Path, python: str = sys.executable) -> Path:
    """Write the ``pulumi-resource-pulumi-python`` that serves this module into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    plugin = directory / PLUGIN
    plugin.write_text(f'#!/bin/sh\nexec "{python}" -u -m modelfleet.edge_parallel "$@"\n')
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return plugin


if __name__ == "__main__":
    serve(int(os.environ.get("MODELFLEET_EDGE_WORKERS", WORKERS)))
