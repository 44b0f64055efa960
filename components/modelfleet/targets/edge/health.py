"""Health probes of edge containers: over HTTP where this process can reach them, else inside.

A new version serves only once its health path answers 200; these functions decide
where to ask and how often, and say why not when it never does.
"""

import http.client
import math
import shlex
import time

import docker.errors
from docker.models.containers import Container

from modelfleet.targets.edge.spec import STAGING_NETWORK, Spec

HTTP_POLL_S = (0.05, 1.5, 0.5)
"""HTTP health probes: first interval, growth per probe, longest interval. Short at first,
so a swap starts soon after a quick load; longer later, so a slow or failing container's
log is not all probe requests."""
INSIDE_POLL_S = 0.05
"""Interval of the probe loop that runs inside a container this process cannot reach."""
INSIDE_MAX_S = 240.0
"""Longest one probe loop inside the container runs: below the API's read timeout."""
HEALTH_INTERVAL_S = 30
"""Docker's own healthcheck interval (its default), for `docker ps` and the host's
monitoring; rollouts never wait on it. Each check is an exec into the container (a
runc exec and a Python start), paid in the host's CPU while a new version loads."""

_PROBE = """
import socket, sys, time
port, path, seconds, pause = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
end = time.monotonic() + seconds
request = b"GET " + path.encode() + b" HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n"
while True:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(request)
            if s.recv(12)[9:12] == b"200":
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() >= end:
        sys.exit(1)
    time.sleep(pause)
"""
"""200 on the health path, asked over a bare socket by ``python3 -I -S``: the probe runs
every few seconds in every container, so it starts no more of Python than it needs."""


def healthcheck(port: int, path: str, seconds: float = 0) -> str:
    """A shell probe for images with python3 (the serving image) or busybox wget.

    ``seconds``: keep asking until healthy or that long has passed (0: ask once).
    """
    url = shlex.quote(f"http://127.0.0.1:{port}{path}")
    args = f"{port} {shlex.quote(path)} {seconds:g} {INSIDE_POLL_S:g}"
    python = f"python3 -I -S -c {shlex.quote(_PROBE)} {args}"
    wget = f"http_proxy= HTTP_PROXY= wget -q -O /dev/null {url}"
    if seconds:
        wget = (
            f"end=$(($(date +%s) + {math.ceil(seconds)})); until {wget}; do "
            f'[ "$(date +%s)" -ge "$end" ] && exit 1; sleep {INSIDE_POLL_S}; done'
        )
    return f"if command -v python3 >/dev/null 2>&1; then {python}; else {wget}; fi"


def published(spec: Spec) -> tuple[str, int] | None:
    """Where this process reaches the published port, if it can."""
    host = spec.probe_host
    return None if host is None else (host, spec.host_port)


def on_staging(container: Container, spec: Spec) -> tuple[str, int] | None:
    """The staged container's own address, when the engine's bridges route to this machine."""
    if spec.remote_engine is not None:
        return None
    container.reload()
    network = container.attrs["NetworkSettings"]["Networks"].get(STAGING_NETWORK) or {}
    ip = network.get("IPAddress")
    return (ip, spec.container_port) if ip else None


def wait_healthy(container: Container, spec: Spec, address: tuple[str, int] | None) -> str | None:
    """None once healthy; otherwise why not, when the health timeout runs out.

    ``address`` is probed over HTTP (the published port, or a staged container's own
    address on a local engine), and the container's state only when it does not answer.
    Where no address is reachable from here (a remote host's loopback bind, a remote
    host's staging network), one probe loop runs inside the container: one exec, not
    one per probe, as each costs three round trips over the host's link.
    """
    deadline = time.monotonic() + spec.health_timeout_s
    interval, growth, longest = HTTP_POLL_S
    while address is not None:
        host, port = address
        try:
            status = _http_status(host, port, spec.health_path)
        except (ConnectionError, http.client.HTTPException) as error:
            reason = f"{spec.health_path} on {host}:{port}: {type(error).__name__}"
        except OSError:
            break  # unreachable from here (a route, not a refusal): probe from inside
        else:
            if status == 200:
                _seen_running(container)
                return None
            reason = f"{spec.health_path} answered {status}"
        exited = _exited(container)
        if exited or time.monotonic() >= deadline:
            return exited or reason
        time.sleep(interval)
        interval = min(interval * growth, longest)
    return _wait_inside(container, spec, deadline)


def _wait_inside(container: Container, spec: Spec, deadline: float) -> str | None:
    while True:
        seconds = max(1.0, min(deadline - time.monotonic(), INSIDE_MAX_S))
        probe = healthcheck(spec.container_port, spec.health_path, seconds)
        try:
            exit_code, _ = container.exec_run(["/bin/sh", "-c", probe])
        except docker.errors.APIError as error:
            exit_code, reason = None, f"the probe could not run: {error.explanation or error}"
        else:
            reason = f"{spec.health_path} probed inside the container: exit code {exit_code}"
        if exit_code == 0:
            _seen_running(container)
            return None
        exited = _exited(container)
        if exited or time.monotonic() >= deadline:
            return exited or reason
        time.sleep(INSIDE_POLL_S)  # a probe that cannot run fails at once: not in a spin


def _seen_running(container: Container) -> None:
    """Record on ``container`` what its health answer proved: it runs. The provider's
    outputs read that instead of inspecting it once more over the link."""
    container.attrs["State"] = {"Status": "running"}


def _exited(container: Container) -> str | None:
    """Why the container is not running any more, if it is not."""
    container.reload()
    state = container.attrs["State"]
    if state["Status"] in {"exited", "dead", "restarting"} or container.attrs.get("RestartCount"):
        return f"the container exited with code {state.get('ExitCode')}"
    return None


def _http_status(host: str, port: int, path: str) -> int:
    # http.client, not requests: no proxy from the environment may sit in between.
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()
