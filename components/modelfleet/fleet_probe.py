"""Ask each deployed endpoint which version it runs, and whether it is healthy.

An edge host or a Kubernetes service is asked over HTTP at its health path (``/ping``
by default): the serving image answers with its version in ``X-Model-Version`` (and
in the body's ``version``). Probes have a short timeout and run a bounded number at a
time, so one dead host costs one timeout, not one per host. Cloud endpoints are only
asked when the user's credentials and provider SDK are present
(:mod:`modelfleet.fleet_cloud`).
"""

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from email.message import Message

PROBE_TIMEOUT_S = 2.0
"""Long enough for a loaded host to answer /ping, short enough that a dead one is obvious."""
MAX_PARALLEL = 16
"""Probes in flight at once: bounded, so a large fleet does not open hundreds of sockets."""
VERSION_HEADER = "X-Model-Version"


class Health:
    """What a row's health column says; everything but these is an error detail."""

    HEALTHY = "healthy"
    DRIFT = "drift"
    UNHEALTHY = "unhealthy"
    UNREACHABLE = "unreachable"
    NOT_PROBED = "not probed"


@dataclass(frozen=True)
class Target:
    """One thing to ask: a placement on one host (edge), service (Kubernetes) or endpoint."""

    model: str
    location: str
    kind: str
    host: str
    desired_version: str
    url: str | None
    """Health URL to GET; None for an endpoint this command does not ask over HTTP."""


@dataclass(frozen=True)
class Probe:
    """The answer: the target, what it runs, how healthy, and how long asking took."""

    target: Target
    health: str
    running_version: str | None = None
    latency_ms: float | None = None
    detail: str = ""

    @property
    def as_desired(self) -> bool | None:
        """True healthy at the desired version, False drifted or down, None when not asked."""
        if self.health == Health.NOT_PROBED:
            return None
        return self.health == Health.HEALTHY


def health_url(invoke_url: str, invoke_path: str, health_path: str) -> str:
    """The health URL beside an invoke URL: same scheme, host and port, the health path."""
    if invoke_path and invoke_url.endswith(invoke_path):
        return invoke_url.removesuffix(invoke_path) + health_path
    parts = urllib.parse.urlsplit(invoke_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, health_path, "", ""))


def _reported_version(headers: Message, body: bytes) -> str | None:
    if headers.get(VERSION_HEADER):
        return str(headers[VERSION_HEADER])
    try:
        document = json.loads(body)
    except ValueError:
        return None
    version = document.get("version") if isinstance(document, dict) else None
    return str(version) if version is not None else None


def _resolves(url: str) -> bool:
    """Whether the URL's host name resolves here (a cluster-internal name does not)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def probe_http(target: Target, timeout_s: float = PROBE_TIMEOUT_S) -> Probe:
    """GET the target's health URL once; the answer's version decides healthy or drift."""
    assert target.url is not None
    if not _resolves(target.url):
        host = urllib.parse.urlsplit(target.url).hostname
        return Probe(target, Health.NOT_PROBED, detail=f"{host} does not resolve from here")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(target.url, timeout=timeout_s) as response:  # noqa: S310 - http(s) URLs from the stack
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Probe(
            target, Health.UNREACHABLE, detail=getattr(reason, "strerror", None) or str(reason)
        )
    latency_ms = (time.perf_counter() - start) * 1000
    running = _reported_version(headers, body)
    probe = Probe(target, Health.HEALTHY, running, latency_ms)
    if status != 200:
        return replace(probe, health=Health.UNHEALTHY, detail=f"HTTP {status}")
    if running != target.desired_version:
        return replace(probe, health=Health.DRIFT, detail=f"stack says {target.desired_version}")
    return probe


def probe_all(
    targets: Sequence[Target],
    ask: Callable[[Target], Probe],
    on_done: Callable[[Probe], None] = lambda probe: None,
    parallel: int = MAX_PARALLEL,
) -> list[Probe]:
    """Ask every target, ``parallel`` at a time; answers in the targets' order."""
    if not targets:
        return []
    answers: dict[int, Probe] = {}
    with ThreadPoolExecutor(max_workers=min(parallel, len(targets))) as pool:
        futures = {pool.submit(ask, target): index for index, target in enumerate(targets)}
        for future in as_completed(futures):
            answers[futures[future]] = probe = future.result()
            on_done(probe)
    return [answers[index] for index in range(len(targets))]


def summary(probes: Sequence[Probe]) -> Iterator[tuple[str, int]]:
    """How many rows have each health, in a fixed order, leaving out the zeros."""
    order = (Health.HEALTHY, Health.DRIFT, Health.UNHEALTHY, Health.UNREACHABLE)
    for health in (*order, Health.NOT_PROBED):
        count = sum(1 for p in probes if p.health == health)
        if count:
            yield health, count
