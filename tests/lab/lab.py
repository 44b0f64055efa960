"""A lab of N hosts: start, load images, shape or cut links, tear everything down.

Images: a fresh engine has none and nothing can be pulled from the internet, so each
image is saved once from this machine's engine and loaded into every lab engine over
its unix socket *before* the run (not over the shaped link). Say so wherever numbers
from the lab are quoted.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker

from tests.lab.host import Host
from tests.lab.network import CUT, LINK_PREFIX, Link, Shape, Wire, namespaces, run
from tests.lab.tls import Authority, Pair

DATA_ROOT = Path("/var/lib/mflab")
"""Data roots on this machine's ext4 (overlay2 needs it; tmpfs would cost RAM)."""
RUN_ROOT = Path("/run/mfl")
OWNER = "owner.pid"
WIRE_PID = "wire.pid"
STARTERS = 4
"""Hosts started at once: each dockerd costs about a second of CPU to start."""


@dataclass
class Lab:
    """Running hosts and what a client needs to reach them."""

    tag: str
    hosts: list[Host]
    ca: str
    client: Pair
    ssh_bin: Path
    """Holds an ``ssh`` shim that adds the lab's client config: put it first on PATH."""
    wire: Wire | None = None
    stopped: bool = field(default=False)

    def tls(self) -> dict[str, str]:
        """The ``tls`` input of a tcp:// lab host."""
        return {"ca": self.ca, "cert": self.client.cert, "key": self.client.key}

    def host(self, name: str) -> Host:
        return next(host for host in self.hosts if host.name == name)

    def shape(self, shape: Shape, hosts: Sequence[Host] | None = None) -> None:
        """Shape the links of ``hosts`` (all by default), both directions."""
        assert self.wire is not None
        self.wire.shape([host.index for host in hosts or self.hosts], shape)

    def cut(self, *hosts: Host) -> None:
        """Drop every packet to and from ``hosts``: their links are down."""
        self.shape(CUT, hosts)

    def load_image(self, image: str) -> None:
        """Copy ``image`` from this machine's engine into every lab engine, over unix sockets."""
        directory = Path(tempfile.mkdtemp(prefix="mflab-image-", dir=DATA_ROOT))
        try:
            archive = directory / "image.tar"
            run("docker", "save", "-o", str(archive), image)

            def load(host: Host) -> None:
                client = host.client(timeout=600)
                try:
                    with archive.open("rb") as data:
                        client.images.load(data)
                finally:
                    client.close()

            with ThreadPoolExecutor(max_workers=STARTERS) as pool:
                list(pool.map(load, self.hosts))
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def counters(self) -> dict[str, tuple[int, int]]:
        return {host.name: host.link.counters() for host in self.hosts}

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(Host.destroy, self.hosts))
        if self.wire is not None:
            self.wire.stop()
        shutil.rmtree(DATA_ROOT / self.tag, ignore_errors=True)
        shutil.rmtree(RUN_ROOT / self.tag, ignore_errors=True)


def _transport(index: int, transports: Sequence[str]) -> str:
    return transports[index % len(transports)]


def _ssh_material(directory: Path) -> Path:
    """Host and client keys, a client config trusting the lab's host key, an ssh shim."""
    directory.mkdir(parents=True)
    for key in ("host_key", "client_key"):
        run(
            "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mflab", "-f", str(directory / key)
        )
    key_type, key = (directory / "host_key.pub").read_text().split()[:2]
    (directory / "known_hosts").write_text(f"{LINK_PREFIX}.*.2 {key_type} {key}\n")
    (directory / "ssh_config").write_text(
        f"Host {LINK_PREFIX}.*.2\n  IdentityFile {directory / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {directory / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  LogLevel ERROR\n"
    )
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "ssh"
    shim.write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {directory / "ssh_config"} "$@"\n')
    shim.chmod(0o755)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    return bin_dir


def _tls_material(directory: Path, hosts: Sequence[Host]) -> tuple[str, Pair]:
    directory.mkdir(parents=True)
    authority = Authority()
    (directory / "ca.pem").write_text(authority.pem)
    (directory / "daemon.json").write_text("{}")
    for host in hosts:
        pair = authority.leaf(host.link.address)
        (directory / f"{host.name}-cert.pem").write_text(pair.cert)
        key = directory / f"{host.name}-key.pem"
        key.write_text(pair.key)
        key.chmod(0o600)
    return authority.pem, authority.leaf("modelfleet-lab-client", client=True)


DEFAULT_SHAPE = Shape()
"""100 ms round trip, 10 Mbit/s each way."""


def start_lab(
    count: int, shape: Shape = DEFAULT_SHAPE, transports: Sequence[str] = ("ssh", "tls")
) -> Lab:
    """``count`` hosts behind ``shape``, transports alternating; stopped at exit at the latest."""
    clean_stale()
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # A terminated run unwinds (fixtures' finally, atexit) instead of leaving the lab.
        signal.signal(signal.SIGTERM, _exit_on_term)
    tag = secrets.token_hex(2)
    run_root, data_root = RUN_ROOT / tag, DATA_ROOT / tag
    run_root.mkdir(parents=True)
    (run_root / OWNER).write_text(str(os.getpid()))
    hosts = [
        Host(i, Link.of(tag, i), data_root / str(i), run_root / str(i), _transport(i, transports))
        for i in range(count)
    ]
    lab = Lab(tag, hosts, "", Pair("", ""), run_root)
    atexit.register(lab.stop)
    try:
        lab.ssh_bin = _ssh_material(data_root / "ssh")
        lab.ca, lab.client = _tls_material(data_root / "tls", hosts)
        lab.wire = Wire(tag, count, run_root / "wire", shape)
        (run_root / WIRE_PID).write_text(str(lab.wire.process.pid))
        with ThreadPoolExecutor(max_workers=STARTERS) as pool:
            list(pool.map(lambda host: _start_host(host, data_root), hosts))
    except BaseException:
        lab.stop()
        raise
    return lab


def _exit_on_term(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_host(host: Host, data_root: Path) -> None:
    host.create()
    host.start_sshd(data_root / "ssh")
    host.start_engine(data_root / "tls")


@contextlib.contextmanager
def running_lab(
    count: int, shape: Shape = DEFAULT_SHAPE, image: str | None = None
) -> Iterator[Lab]:
    """A started lab (with ``image`` loaded), stopped on the way out."""
    lab = start_lab(count, shape)
    try:
        if image:
            lab.load_image(image)
        yield lab
    finally:
        lab.stop()


def clean_stale() -> None:
    """Remove what labs of dead processes left (a SIGKILLed test run skips its teardown)."""
    if not RUN_ROOT.is_dir():
        return
    for run_root in RUN_ROOT.iterdir():
        owner = run_root / OWNER
        with contextlib.suppress(ValueError, OSError):
            pid = int(owner.read_text())
            if Path(f"/proc/{pid}").exists():
                continue
        tag = run_root.name
        indices = [int(name.rsplit("-", 1)[1]) for name in namespaces(f"mfl{tag}-")]
        hosts = [
            Host(i, Link.of(tag, i), DATA_ROOT / tag / str(i), run_root / str(i), "ssh")
            for i in indices
        ]
        with contextlib.suppress(ValueError, OSError):
            os.kill(int((run_root / WIRE_PID).read_text()), signal.SIGKILL)
        Lab(tag, hosts, "", Pair("", ""), run_root).stop()


def engine_rss_total() -> int:
    """RSS of every process in any lab namespace, bytes (for the machine's limits)."""
    total = 0
    for namespace in namespaces():
        for pid in run("ip", "netns", "pids", namespace, check=False).split():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                total += next(
                    int(line.split()[1]) * 1024
                    for line in status.splitlines()
                    if line.startswith("VmRSS:")
                )
    return total


__all__ = ["Lab", "docker", "running_lab", "start_lab", "subprocess"]
