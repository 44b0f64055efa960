"""Docker clients for edge hosts, over ``unix://``, ``ssh://`` or ``tcp://`` with mutual TLS.

Every failure names the host and its location, because a site has many engines and
the person reading the error must know which one to go and look at. Nothing here
puts TLS material in an error: the key lives only in a private temporary directory
for as long as the client is open.
"""

import math
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.tls
import requests.adapters
from urllib3.connection import HTTPConnection

from modelfleet import rulebook
from modelfleet.errors import EdgeHostError

CONNECT_TIMEOUT_S = 10.0
"""How long an engine may take to answer its first request."""
API_TIMEOUT_S = 300.0
"""Per-request timeout once connected: pulls and stops take longer than a handshake."""
DEAD_LINK_S = 20
"""A link silent this long is dead: ssh keep-alives, or TCP keep-alives and the TCP user
timeout for mutual TLS. Without them a cut link holds a request for ``API_TIMEOUT_S``
(TLS) or 45 s (ssh's defaults) before the host's update fails."""


REMOTE_DOCKER_SOCKET = "/var/run/docker.sock"
"""The engine's socket on an ssh:// host; a path in the URL names another (rootless)."""
FALLBACK_API_VERSION = "1.41"
"""Only addresses the unversioned /version call that negotiates the real one."""


@dataclass(frozen=True)
class EdgeTarget:
    """Which engine a container lives on, and how to name it in an error."""

    host: str
    location: str
    docker_host: str

    def __str__(self) -> str:
        return f"edge host {self.host!r} of location {self.location!r} ({self.docker_host})"


@contextmanager
def docker_client(
    target: EdgeTarget,
    tls: Mapping[str, str] | None = None,
    timeout: float = CONNECT_TIMEOUT_S,
) -> Iterator[docker.DockerClient]:
    """A client connected to ``target``'s engine, closed (and TLS files removed) on exit.

    Raises :class:`EdgeHostError` before any connection for a plain ``tcp://`` host,
    and within ``timeout`` seconds for an engine that does not answer.
    """
    scheme, sep, rest = target.docker_host.partition("://")
    if not sep or not rest or scheme not in {"unix", "ssh", "tcp"}:
        raise EdgeHostError(rulebook.EDGE_DOCKER_HOST_URL.at(str(target)))
    if scheme == "tcp" and not tls:
        # Docker's API is root on the host: unauthenticated TCP hands that to the network.
        raise EdgeHostError(rulebook.EDGE_PLAIN_TCP.at(str(target)))
    with ExitStack() as stack:
        tls_config = _tls_config(stack, tls) if scheme == "tcp" and tls else None
        base_url = _ssh_forward(stack, target, timeout) if scheme == "ssh" else target.docker_host
        # A version given: the SDK would otherwise ask for it in its constructor, before
        # trust_env can be turned off (with it on, REQUESTS_CA_BUNDLE silently replaces
        # the host's own CA). The real one is negotiated on this client's own connection.
        client = docker.DockerClient(
            base_url=base_url, tls=tls_config, version=FALLBACK_API_VERSION, timeout=timeout
        )
        client.api.trust_env = False
        stack.callback(client.close)
        if tls_config is not None:
            client.api.mount("https://", _KeepAliveAdapter())
        _negotiate(client, target, timeout)
        yield client


def _negotiate(client: docker.DockerClient, target: EdgeTarget, timeout: float) -> None:
    """The engine's API version, asked over the connection every later request reuses."""
    try:
        version = client.api.version(api_version=False)["ApiVersion"]
    except (docker.errors.DockerException, OSError) as error:
        raise EdgeHostError(
            f"{target}: could not connect (timeout {timeout:g} s): {error}"
        ) from None
    client.api._version = str(version)
    client.api.timeout = API_TIMEOUT_S


class _KeepAliveAdapter(requests.adapters.HTTPAdapter):
    """HTTPS to a Docker engine that notices a dead link within ``DEAD_LINK_S`` seconds."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["socket_options"] = HTTPConnection.default_socket_options + _dead_link_options()
        super().init_poolmanager(*args, **kwargs)


def _dead_link_options() -> list[tuple[int, int, int]]:
    probes = 3
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    linux = {
        "TCP_KEEPIDLE": DEAD_LINK_S // 2,
        "TCP_KEEPINTVL": max(1, DEAD_LINK_S // (2 * probes)),
        "TCP_KEEPCNT": probes,
        "TCP_USER_TIMEOUT": DEAD_LINK_S * 1000,
    }
    options += [
        (socket.IPPROTO_TCP, getattr(socket, name), value)
        for name, value in linux.items()
        if hasattr(socket, name)
    ]
    return options


def _ssh_forward(stack: ExitStack, target: EdgeTarget, timeout: float) -> str:
    """A private unix socket forwarded by one ``ssh`` process to the remote engine's socket.

    Not the SDK's ssh transport: with ``use_ssh_client`` it starts a new ssh process
    for every API request (0.5 s each, never reaped), and its paramiko mode reads four
    ssh_config keys and has no connect timeout. The ssh binary honours the operator's
    whole config (ProxyJump, agent, certificates, known_hosts) plus ConnectTimeout and
    BatchMode, and one connection carries every request.
    """
    url = urllib.parse.urlsplit(target.docker_host)
    if not url.hostname:
        raise EdgeHostError(rulebook.EDGE_SSH_URL.at(str(target)))
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="modelfleet-ssh-")))
    directory.chmod(0o700)
    local = directory / "docker.sock"
    command = [
        "ssh", "-N", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes",
        "-o", f"ConnectTimeout={max(1, math.ceil(timeout))}",
        "-o", f"ServerAliveInterval={DEAD_LINK_S // 4}", "-o", "ServerAliveCountMax=4",
        "-L", f"{local}:{url.path or REMOTE_DOCKER_SOCKET}",
    ]  # fmt: skip
    if url.username:
        command += ["-l", url.username]
    if url.port:
        command += ["-p", str(url.port)]
    command += ["--", url.hostname]
    # A file, not a pipe: nobody reads ssh's stderr while it runs, so a pipe could fill.
    log = stack.enter_context((directory / "ssh.log").open("wb"))
    tunnel = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
    )
    stack.callback(_stop, tunnel)
    deadline = time.monotonic() + timeout
    while not local.exists():
        if tunnel.poll() is not None:
            reason = (directory / "ssh.log").read_text(errors="replace")
            last = reason.strip().splitlines()[-1:] or [f"ssh exited with {tunnel.returncode}"]
            raise EdgeHostError(f"{target}: ssh failed: {last[0]}")
        if time.monotonic() >= deadline:
            raise EdgeHostError(f"{target}: did not answer within {timeout:g} s")
        time.sleep(0.02)
    return f"unix://{local}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tls_config(stack: ExitStack, tls: Mapping[str, str]) -> docker.tls.TLSConfig:
    # requests reads the files on every new connection, so they live as long as the client.
    directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="modelfleet-tls-")))
    directory.chmod(0o700)
    paths = {}
    for part in ("ca", "cert", "key"):
        path = directory / f"{part}.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(tls[part])
        paths[part] = str(path)
    return docker.tls.TLSConfig(
        client_cert=(paths["cert"], paths["key"]), ca_cert=paths["ca"], verify=True
    )
