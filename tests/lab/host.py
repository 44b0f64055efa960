"""One simulated edge host: a namespace, its own ``dockerd`` (own data root, exec root,
pidfile, sockets and cgroup parent) and an ``sshd``, both listening on the namespace's
address only, so every request from this machine crosses the shaped link.

The engine's unix socket is a file on this machine: the lab uses it to load images
and to look at what the provider did, never as the transport under test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker

from tests.lab.network import Link, pids_in, run

TLS_PORT = 2376
SSH_PORT = 22
CGROUP_ROOT = Path("/sys/fs/cgroup")
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0


@dataclass
class Host:
    """A lab host. ``root`` holds its data, ``run_dir`` (short: socket paths < 108 bytes) the rest."""

    index: int
    link: Link
    root: Path
    run_dir: Path
    transport: str
    """``ssh`` or ``tls``: how the stack reaches this host."""
    daemon: subprocess.Popen[bytes] | None = None
    sshd: subprocess.Popen[bytes] | None = None
    logs: list[object] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"h{self.index}"

    @property
    def socket(self) -> str:
        return f"unix://{self.run_dir}/docker.sock"

    @property
    def cgroup_parent(self) -> str:
        return f"/{self.link.namespace}"

    @property
    def docker_host(self) -> str:
        """The address a stack uses: over ssh to the engine's socket, or mutual TLS."""
        if self.transport == "ssh":
            return f"ssh://root@{self.link.address}:{SSH_PORT}{self.run_dir}/docker.sock"
        return f"tcp://{self.link.address}:{TLS_PORT}"

    def client(self, timeout: float = 120) -> docker.DockerClient:
        """A client on the engine's own unix socket (not over the link)."""
        return docker.DockerClient(base_url=self.socket, version="1.41", timeout=timeout)

    def create(self) -> None:
        self.root.mkdir(parents=True)
        self.run_dir.mkdir(parents=True)
        self.link.create()

    def start_engine(self, tls_dir: Path) -> None:
        """Start (or restart) dockerd inside the namespace; returns once it answers."""
        log = (self.root / "dockerd.log").open("ab")
        self.logs.append(log)
        command = [
            "nsenter", f"--net=/run/netns/{self.link.namespace}", "dockerd",
            "--config-file", str(tls_dir / "daemon.json"),
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.run_dir / "exec"),
            "--pidfile", str(self.run_dir / "docker.pid"),
            "--cgroup-parent", self.cgroup_parent,
            "-H", self.socket,
            "-H", f"tcp://{self.link.address}:{TLS_PORT}",
            "--tlsverify",
            "--tlscacert", str(tls_dir / "ca.pem"),
            "--tlscert", str(tls_dir / f"{self.name}-cert.pem"),
            "--tlskey", str(tls_dir / f"{self.name}-key.pem"),
            # Published ports go through docker-proxy: no iptables rules to leave behind.
            "--iptables=false", "--ip-masq=false",
        ]  # fmt: skip
        self.daemon = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(f"dockerd of {self.name}", self._answers)

    def _answers(self) -> bool:
        if self.daemon is not None and self.daemon.poll() is not None:
            tail = (self.root / "dockerd.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"dockerd of {self.name} exited {self.daemon.returncode}:\n{tail}")
        client = self.client(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def stop_engine(self) -> None:
        """SIGTERM dockerd (it stops its containers), SIGKILL its group if it hangs."""
        daemon, self.daemon = self.daemon, None
        if daemon is None or daemon.poll() is not None:
            return
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()

    def start_sshd(self, ssh_dir: Path) -> None:
        config = self.root / "sshd_config"
        config.write_text(
            f"ListenAddress {self.link.address}\nPort {SSH_PORT}\n"
            f"HostKey {ssh_dir / 'host_key'}\nAuthorizedKeysFile {ssh_dir / 'client_key.pub'}\n"
            "PidFile none\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n"
            "MaxStartups 100\nMaxSessions 100\n"
        )
        log = (self.root / "sshd.log").open("ab")
        self.logs.append(log)
        self.sshd = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.link.namespace}", "/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def served_version(self, port: int, path: str = "/ping") -> str | None:
        """``X-Model-Version`` of a 200 on ``port`` of the host's address, asked from inside
        the namespace (so it answers whatever the link is doing); None when nothing does."""
        probe = (
            "import sys, urllib.request as u\n"
            "u.install_opener(u.build_opener(u.ProxyHandler({})))\n"
            "try:\n r = u.urlopen(sys.argv[1], timeout=5)\n"
            " print(r.headers.get('X-Model-Version', '') if r.status == 200 else '')\n"
            "except Exception:\n print('')\n"
        )
        url = f"http://{self.link.address}:{port}{path}"
        done = subprocess.run(
            ["nsenter", f"--net=/run/netns/{self.link.namespace}", sys.executable, "-c", probe, url],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        return done.stdout.strip() or None

    def memory(self) -> dict[str, int]:
        """RSS of the host's own processes (dockerd, containerd, shims, proxies, sshd) and
        the memory its containers use (their cgroup parent), bytes."""
        rss = 0
        for pid in pids_in(self.link.namespace):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
        usage = CGROUP_ROOT / "memory" / self.cgroup_parent.lstrip("/") / "memory.usage_in_bytes"
        containers = int(usage.read_text()) if usage.exists() else 0
        return {"engine_rss": rss, "containers": containers}

    def destroy(self) -> None:
        """Everything this host made, whatever state it is in; safe to call twice."""
        with contextlib.suppress(Exception):
            self.stop_engine()
        for process in (self.sshd,):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        kill_namespace(self.link.namespace)
        kill_cgroup(self.cgroup_parent)
        unmount_under(self.root, self.run_dir)
        self.link.delete()
        for log in self.logs:
            with contextlib.suppress(Exception):
                log.close()  # type: ignore[attr-defined]


def wait_for(what: str, ready: Callable[[], object], timeout_s: float | None = None) -> None:
    """Poll ``ready()`` until true; errors other than RuntimeError count as not yet."""
    timeout_s = START_TIMEOUT_S if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except RuntimeError:
            raise
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout_s:g} s")


def kill_namespace(namespace: str) -> None:
    """SIGKILL every process still in ``namespace`` (and its process group)."""
    for pid in pids_in(namespace):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def kill_cgroup(parent: str) -> None:
    """Containers a killed dockerd left running, then the cgroup directories themselves."""
    for controller in CGROUP_ROOT.iterdir():
        base = controller / parent.lstrip("/")
        if not base.is_dir():
            continue
        for procs in sorted(base.rglob("cgroup.procs"), reverse=True):
            with contextlib.suppress(OSError):
                for pid in procs.read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
        time.sleep(0.1)
        for directory in sorted((p for p in base.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                directory.rmdir()
        with contextlib.suppress(OSError):
            base.rmdir()


def unmount_under(*roots: Path) -> None:
    """Lazy-unmount whatever a killed dockerd left mounted below ``roots`` (deepest first)."""
    prefixes = tuple(f"{root}/" for root in roots)
    points = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    for point in sorted((p for p in points if p.startswith(prefixes)), key=len, reverse=True):
        run("umount", "-l", point, check=False)
