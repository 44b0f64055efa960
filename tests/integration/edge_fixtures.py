"""Real Docker engines for the edge tests, reached the three ways edge hosts are.

- ``unix://``: this machine's engine (started with scripts/start-docker when absent);
- ``ssh://``: the same engine behind an OpenSSH server started here on 127.0.0.1, with
  generated host and client keys. The provider runs the ``ssh`` binary from PATH, as it
  would on an operator's machine; ``ssh_on_path`` puts a shim first on PATH that adds
  ``-F <generated config>``, so nothing in ~/.ssh is read or written;
- ``tcp://`` with mutual TLS: a second dockerd with its own data root, exec root,
  pidfile, socket and bridge, and certificates generated here.

Everything listens on 127.0.0.1 only and is torn down when the session ends, passed or
failed. The test image is scripts/build-test-image's busybox server: it starts in
milliseconds, so the tests time the provider, not a model load.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
TEST_IMAGE = "modelfleet/edge-test:busybox"
LOCAL_DOCKER_HOST = "unix:///var/run/docker.sock"
TLS_BRIDGE = "mfedgetls0"
TLS_BRIDGE_CIDR = "10.213.47.1/24"
TLS_ADDRESS_POOL = "base=10.214.0.0/16,size=24"
"""Where the second engine's own networks (modelfleet-serving, -staging) get subnets."""
PREDEFINED_NETWORKS = ("bridge", "host", "none")
START_TIMEOUT_S = 60.0
SECRET = "s3cr3t-value-never-shown"
"""A secret env value: no output, error or log line may ever show it."""


def edge_props(image: str, model: str, port: int, **overrides: Any) -> dict[str, Any]:
    """Inputs of one EdgeContainer as the dynamic provider receives them."""
    props: dict[str, Any] = {
        "docker_host": LOCAL_DOCKER_HOST,
        "host": "gw-1",
        "location": "plant-test",
        "image": image,
        "model": model,
        "version": "1.0.0",
        "container_port": 8080,
        "host_port": port,
        "bind": "127.0.0.1",
        "invoke_path": "/invocations",
        "env": {"LOG_LEVEL": "info"},
        "secret_env": {"API_TOKEN": SECRET},
        "cpu": 0.5,
        "memory_mb": 64,
        "health_path": "/ping",
        "health_timeout_s": 20.0,
        "labels": {
            "modelfleet/model": model,
            "modelfleet/version": "1.0.0",
            "modelfleet/location": "plant-test",
            "modelfleet/host": "gw-1",
            "managed-by": "modelfleet",
        },
        "read_only": True,
        "privileged": False,
        "network_mode": "bridge",
        "tls": None,
        "registry_auth": None,
    }
    props.update(overrides)
    return props


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET, with no proxy in between."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=2)
    try:
        connection.request("GET", parsed.path)
        response = connection.getresponse()
        return response.status, response.read().decode().strip()
    finally:
        connection.close()


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def silent_listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A port that completes TCP handshakes and then never says a word: a hung host.

    Yields the port and the connections accepted so far (empty means nobody connected).
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = False

    def accept() -> None:
        while not stop:
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1]), accepted
    finally:
        stop = True
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


def _wait(what: str, ready: Callable[[], object], timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout_s:g} s")


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _run(*command: str | Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, timeout=900
    )
    assert done.returncode == 0, f"{command[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[docker.DockerClient]:
    """This machine's engine on its unix socket; started when none answers (CI starts cold)."""
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        _run(REPO / "scripts" / "start-docker")
    client = docker.DockerClient(base_url=LOCAL_DOCKER_HOST)
    yield client
    client.close()


@pytest.fixture(scope="session")
def edge_test_image(docker_engine: docker.DockerClient) -> str:
    """The busybox test server image, built once (the script is idempotent)."""
    _run(REPO / "scripts" / "build-test-image", TEST_IMAGE)
    return TEST_IMAGE


@dataclass(frozen=True)
class SshEngine:
    """The local engine behind an OpenSSH server on 127.0.0.1."""

    docker_host: str
    bin_dir: Path
    """Holds the ``ssh`` shim that adds the generated client config."""


@pytest.fixture(scope="session")
def ssh_engine(
    docker_engine: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SshEngine]:
    """An sshd on a free loopback port letting a generated key in as the current user."""
    sshd = Path("/usr/sbin/sshd")
    assert sshd.exists(), "openssh-server is needed for the ssh:// transport tests"
    home = tmp_path_factory.mktemp("ssh")
    for key in ("host_key", "client_key"):
        _run(
            "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "modelfleet-test", "-f", home / key
        )
    port = free_port()
    user = (
        os.environ.get("USER")
        or subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    )
    (home / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {home / 'host_key'}\n"
        f"AuthorizedKeysFile {home / 'client_key.pub'}\nPidFile none\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n"
    )
    key_type, key = (home / "host_key.pub").read_text().split()[:2]
    (home / "known_hosts").write_text(f"[127.0.0.1]:{port} {key_type} {key}\n")
    (home / "ssh_config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {home / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {home / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  LogLevel ERROR\n"
    )
    bin_dir = home / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ssh"
    shim.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {home / "ssh_config"} "$@"\n')
    shim.chmod(0o755)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    log = (home / "sshd.log").open("w")
    server = subprocess.Popen([str(sshd), "-D", "-e", "-f", str(home / "sshd_config")], stderr=log)
    try:
        _wait("sshd", lambda: _listening(port))
        yield SshEngine(f"ssh://{user}@127.0.0.1:{port}", bin_dir)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture
def ssh_on_path(ssh_engine: SshEngine, monkeypatch: pytest.MonkeyPatch) -> SshEngine:
    """``ssh_engine``, with its ``ssh`` shim first on PATH for this test."""
    monkeypatch.setenv("PATH", f"{ssh_engine.bin_dir}{os.pathsep}{os.environ['PATH']}")
    return ssh_engine


@dataclass(frozen=True)
class TlsMaterial:
    """PEM contents: a CA, a server pair for 127.0.0.1 and a client pair."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str

    @property
    def client(self) -> dict[str, str]:
        """The ``tls`` input of a tcp:// edge host."""
        return {"ca": self.ca, "cert": self.client_cert, "key": self.client_key}


def make_tls_material() -> TlsMaterial:
    """A throwaway CA signing a server certificate for 127.0.0.1 and a client certificate."""
    now = datetime.datetime.now(datetime.UTC)

    def pem_key(key: ec.EllipticCurvePrivateKey) -> str:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def builder(
        subject: str, issuer: x509.Name, public: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "modelfleet test CA")])
    ca = (
        builder("modelfleet test CA", ca_name, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def leaf(subject: str, usage: x509.ObjectIdentifier) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            builder(subject, ca_name, key.public_key())
            .add_extension(authority, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key(key)

    server_cert, server_key = leaf("127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH)
    client_cert, client_key = leaf("modelfleet-test-client", ExtendedKeyUsageOID.CLIENT_AUTH)
    return TlsMaterial(
        ca=ca.public_bytes(serialization.Encoding.PEM).decode(),
        server_cert=server_cert,
        server_key=server_key,
        client_cert=client_cert,
        client_key=client_key,
    )


@dataclass(frozen=True)
class TlsEngine:
    """A second dockerd answering mutual TLS on 127.0.0.1, beside this machine's engine."""

    docker_host: str
    tls: TlsMaterial
    client: docker.DockerClient
    """Over the second engine's own unix socket, for assertions."""


@pytest.fixture(scope="session")
def tls_engine(docker_engine: docker.DockerClient, edge_test_image: str) -> Iterator[TlsEngine]:
    """A second dockerd with its own roots, socket and bridge; the test image loaded into it.

    It runs without iptables rules (the main engine owns those), so its published
    ports go through Docker's userland proxy, which is all a loopback test needs.
    """
    # A short root: containerd's socket lives under the exec root and paths must stay < 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="mf-dockerd-"))
    material = make_tls_material()
    for name in ("ca", "server_cert", "server_key"):
        path = root / f"{name}.pem"
        path.write_text(getattr(material, name))
        path.chmod(0o600)
    (root / "daemon.json").write_text("{}")
    bridge_made = (
        subprocess.run(
            ["ip", "link", "show", TLS_BRIDGE], capture_output=True, check=False
        ).returncode
        != 0
    )
    if bridge_made:
        _run("ip", "link", "add", TLS_BRIDGE, "type", "bridge")
        _run("ip", "addr", "add", TLS_BRIDGE_CIDR, "dev", TLS_BRIDGE)
        _run("ip", "link", "set", TLS_BRIDGE, "up")
    port = free_port()
    log = (root / "dockerd.log").open("w")
    # The client pins the API version: its socket does not exist until dockerd is up.
    client = docker.DockerClient(base_url=f"unix://{root}/docker.sock", version="1.41", timeout=120)
    daemon = subprocess.Popen(
        [
            "dockerd",
            "--config-file",
            str(root / "daemon.json"),
            "--data-root",
            str(root / "data"),
            "--exec-root",
            str(root / "exec"),
            "--pidfile",
            str(root / "docker.pid"),
            "-H",
            f"unix://{root}/docker.sock",
            "-H",
            f"tcp://127.0.0.1:{port}",
            "--tlsverify",
            "--tlscacert",
            str(root / "ca.pem"),
            "--tlscert",
            str(root / "server_cert.pem"),
            "--tlskey",
            str(root / "server_key.pem"),
            "--bridge",
            TLS_BRIDGE,
            "--iptables=false",
            "--ip-masq=false",
            # Its own address pool: networks of the main engine never exhaust it.
            "--default-address-pool",
            TLS_ADDRESS_POOL,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait("the second dockerd", client.ping)
        client.images.load(b"".join(docker_engine.images.get(edge_test_image).save(named=True)))
        yield TlsEngine(f"tcp://127.0.0.1:{port}", material, client)
    finally:
        with contextlib.suppress(Exception):
            for container in client.containers.list(all=True):
                container.remove(force=True)
            # A network's bridge outlives dockerd and its data root: remove them while it runs.
            for network in client.networks.list():
                if network.name not in PREDEFINED_NETWORKS:
                    network.remove()
        client.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        if bridge_made:
            subprocess.run(["ip", "link", "delete", TLS_BRIDGE], check=False)
        shutil.rmtree(root, ignore_errors=True)
