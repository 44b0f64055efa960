"""Network namespaces joined to this machine by shaped point-to-point links.

Host ``i`` of lab ``tag`` is the namespace ``mfl<tag>-<i>``; its link is a pair of
TUN devices joined by the lab's wire process (tests/lab/wire.py: netem in userspace,
since this kernel has no ``sch_netem``), ``10.230.<i>.1`` on this machine's end and
``10.230.<i>.2`` inside the namespace. That range is outside Docker's default pools
(172.17-31/16, 192.168/16) and the TLS test engine's 10.213/16 and 10.214/16, and a
daemon inside a namespace sees only its own routes. Each direction is shaped, so
``delay`` is half the round trip.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LINK_PREFIX = os.environ.get("MFLAB_PREFIX", "10.230")
"""Two labs at once (a benchmark beside the tests) need two prefixes: MFLAB_PREFIX=10.231."""
MAX_HOSTS = 250
WIRE_TIMEOUT_S = 10.0
NAMESPACE_PREFIX = "mfl"


@dataclass(frozen=True)
class Shape:
    """What one direction of a link does to packets (tc netem's parameters)."""

    delay_ms: float = 50.0
    jitter_ms: float = 0.0
    loss_pct: float = 0.0
    rate_mbit: float = 10.0

    def describe(self) -> str:
        """As ``tc netem`` would be told."""
        jitter = f" {self.jitter_ms:g}ms" if self.jitter_ms else ""
        return (
            f"delay {self.delay_ms:g}ms{jitter} loss {self.loss_pct:g}% rate {self.rate_mbit:g}mbit"
        )


CUT = Shape(delay_ms=50.0, loss_pct=100.0)
"""Every packet dropped, both ways: a link that is down."""


def run(*command: str, namespace: str | None = None, check: bool = True) -> str:
    """A command, inside ``namespace`` when given; its stdout, or an error naming it."""
    full = ["ip", "netns", "exec", namespace, *command] if namespace else list(command)
    done = subprocess.run(full, capture_output=True, text=True, check=False, timeout=120)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


@dataclass(frozen=True)
class Link:
    """One simulated host's namespace and the TUN pair that is its only way out."""

    namespace: str
    outer: str
    """The TUN device on this machine."""
    inner: str
    """The TUN device inside the namespace."""
    address: str
    """The namespace's address: where its engine, sshd and published ports listen."""
    gateway: str
    """This machine's end of the link."""

    @classmethod
    def of(cls, tag: str, index: int) -> Link:
        if not 0 <= index < MAX_HOSTS:
            raise ValueError(f"host index {index}: the lab's /16 holds 0..{MAX_HOSTS - 1}")
        return cls(
            namespace=f"{NAMESPACE_PREFIX}{tag}-{index}",
            outer=f"mf{tag}{index}o",
            inner=f"mf{tag}{index}i",
            address=f"{LINK_PREFIX}.{index}.2",
            gateway=f"{LINK_PREFIX}.{index}.1",
        )

    def create(self) -> None:
        """The namespace, with the wire's inner device moved in and both ends addressed."""
        run("ip", "netns", "add", self.namespace)
        run("ip", "link", "set", self.inner, "netns", self.namespace)
        run("ip", "addr", "add", self.gateway, "peer", self.address, "dev", self.outer)
        run("ip", "link", "set", self.outer, "up")
        inside = self.namespace
        run(
            "ip",
            "addr",
            "add",
            self.address,
            "peer",
            self.gateway,
            "dev",
            self.inner,
            namespace=inside,
        )
        run("ip", "link", "set", self.inner, "up", namespace=inside)
        run("ip", "link", "set", "lo", "up", namespace=inside)
        run("ip", "route", "add", "default", "dev", self.inner, namespace=inside)

    def counters(self) -> tuple[int, int]:
        """Bytes sent to and received from the host so far (this machine's end)."""
        base = Path(f"/sys/class/net/{self.outer}/statistics")
        return int((base / "tx_bytes").read_text()), int((base / "rx_bytes").read_text())

    def delete(self) -> None:
        """Remove the namespace; the devices go when the wire process exits. Idempotent."""
        run("ip", "netns", "delete", self.namespace, check=False)


def namespaces(prefix: str = NAMESPACE_PREFIX) -> list[str]:
    """Names of the lab namespaces that exist now (of any lab, live or left over)."""
    listing = run("ip", "netns", "list", check=False)
    names = [line.split()[0] for line in listing.splitlines() if line.strip()]
    return [name for name in names if name.startswith(prefix)]


def pids_in(namespace: str) -> list[int]:
    """Processes running in ``namespace``."""
    return [int(pid) for pid in run("ip", "netns", "pids", namespace, check=False).split()]


class Wire:
    """The process that carries (and shapes) every link of one lab."""

    def __init__(self, tag: str, count: int, control: Path, shape: Shape) -> None:
        self.control = control
        self.generation = 0
        self.shapes = dict.fromkeys(range(count), shape)
        control.mkdir(parents=True, exist_ok=True)
        self._write()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.lab.wire", "--tag", tag, "--count", str(count),
             "--control", str(control)],
            stdout=subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError(f"the lab's wire process exited {self.process.wait()}")

    def _write(self) -> None:
        self.generation += 1
        links = {str(i): dataclasses.asdict(shape) for i, shape in self.shapes.items()}
        (self.control / "shapes.json").write_text(
            json.dumps({"generation": self.generation, "links": links})
        )

    def shape(self, indices: list[int], shape: Shape) -> None:
        """Apply ``shape`` to those links; returns once the wire has taken it."""
        for index in indices:
            self.shapes[index] = shape
        self._write()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + WIRE_TIMEOUT_S
        applied = self.control / "applied"
        while not (applied.exists() and applied.read_text() == str(self.generation)):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the lab's wire process did not apply the new shape")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
