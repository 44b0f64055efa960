"""Health probes of edge containers: over HTTP where this process can reach them, else inside.

A new version serves only once its health path answers 200; these functions decide
where to ask and how often, and say why not when it never does.
"""

import http.client
import shlex
import time

from docker.models.containers import Container

from modelfleet.targets.edge.spec import STAGING_NETWORK, Spec

HTTP_POLL_S = (0.05, 1.5, 0.5)
"""HTTP health probes: first interval, growth per probe, longest interval. Short at first,
so a swap starts soon after a quick load; longer later, so a slow or failing container's
log is not all probe requests."""
EXEC_POLL_S = 0.2
"""Interval between health probes exec'd inside the container: each costs it CPU."""
HEALTH_INTERVAL_S = 5
"""Docker's own healthcheck interval, for `docker ps` and the host's monitoring."""


def healthcheck(port: int, path: str) -> str:
    """A shell probe that works in images with python3 (the serving image) or busybox wget."""
    url = shlex.quote(f"http://127.0.0.1:{port}{path}")
    fetch = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)"
    return (
        "if command -v python3 >/dev/null 2>&1; "
        f"then http_proxy= HTTP_PROXY= python3 -c {shlex.quote(fetch)} {url}; "
        f"else http_proxy= HTTP_PROXY= wget -q -O /dev/null {url}; fi"
    )


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
    address on a local engine). Where none is reachable from here (a remote host's
    loopback bind, a remote host's staging network), the container's own healthcheck
    command runs inside it, as Docker would run it but now rather than at Docker's
    next interval; an exec costs 0.3-0.5 s of CPU beside the loading model, so HTTP
    comes first wherever it can.
    """
    probe = ["/bin/sh", "-c", healthcheck(spec.container_port, spec.health_path)]
    deadline = time.monotonic() + spec.health_timeout_s
    reason = "no answer yet"
    interval, growth, longest = HTTP_POLL_S
    while True:
        container.reload()
        state = container.attrs["State"]
        if state["Status"] in {"exited", "dead", "restarting"} or container.attrs.get(
            "RestartCount"
        ):
            return f"the container exited with code {state.get('ExitCode')}"
        if address is not None:
            host, port = address
            try:
                status = _http_status(host, port, spec.health_path)
            except (ConnectionError, http.client.HTTPException) as error:
                reason = f"{spec.health_path} on {host}:{port}: {type(error).__name__}"
            except OSError as error:
                reason = f"{host}:{port} unreachable from here ({type(error).__name__})"
                address = None  # probe from inside from now on
            else:
                if status == 200:
                    return None
                reason = f"{spec.health_path} answered {status}"
        else:
            exit_code, _ = container.exec_run(probe)
            if exit_code == 0 or (state.get("Health") or {}).get("Status") == "healthy":
                return None
            reason = f"{spec.health_path} probed inside the container: exit code {exit_code}"
        if time.monotonic() >= deadline:
            return reason
        time.sleep(interval if address is not None else EXEC_POLL_S)
        interval = min(interval * growth, longest)


def _http_status(host: str, port: int, path: str) -> int:
    # http.client, not requests: no proxy from the environment may sit in between.
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()
