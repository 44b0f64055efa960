"""Edge rollout on the lab: a new model version on N hosts of one wave, each host its
own engine behind a 100 ms round trip and 10 Mbit/s, against the docker SDK's floor.

Hosts alternate ssh:// and tcp:// with mutual TLS. The serving image is loaded into
every lab engine over its unix socket before the run (not over the shaped links), as
a site would have it from its registry before a rollout.

Per size: the floor first (the same swaps done directly with the docker SDK, one
thread per host, over the same transports and links, as a script would: connect,
start the new container with the same image and limits on the other of two host
ports, wait for 200 on /ping over the link, stop and remove the old one; the time to
connect is recorded apart), then the engine: the lab stack (tests/lab/stack.py)
created, its version changed and ``up`` timed, in each provider mode asked for
(``wide``: as shipped; ``stock``: the SDK's four workers). Recorded: wall time of ``up`` and of the swaps
(first new container created -> last old one destroyed, from every engine's own event
stream), the most hosts swapping at one instant, peak RSS of the engine and provider
processes (sampled every 0.5 s), and bytes over the shaped links during the update.

Usage: ``python -m bench.lab_rollout [--hosts 10 25 50] [--modes wide stock]"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from statistics import median
from typing import Any

import docker
from docker.models.containers import Container

from bench.machine import RESULTS, describe, load
from modelfleet.targets.edge.connect import EdgeTarget, docker_client
from tests.lab.host import Host
from tests.lab.lab import Lab, running_lab
from tests.lab.network import Shape
from tests.lab.stack import IMAGE, RESOURCES, cli_up, lab_stack, set_version
from tests.lab.timeline import SwapTimeline

HOSTS = (10, 25, 50)
FLOOR_PORTS = (19100, 19200)
FLOOR_CONNECT_S = 60.0
"""50 ssh handshakes at once on 2 loaded cores can take more than the provider's 10 s."""
SHAPE = Shape(delay_ms=50.0, rate_mbit=10.0)
ENGINE_PROCESSES = (
    "pulumi",
    "pulumi-resource-pulumi-python",
    "pulumi.dynamic",
)


class MemorySampler:
    """Peak summed RSS of the engine and its provider processes, sampled from /proc."""

    def __init__(self) -> None:
        self.peak = {"engine": 0, "providers": 0, "providers_count": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            engine = providers = count = 0
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                with suppress(OSError):
                    cmd = (proc / "cmdline").read_bytes().split(b"\0")
                    rss = _rss(proc)
                    words = [part.decode(errors="replace") for part in cmd[:4]]
                    if any("pulumi.dynamic" in w for w in words):
                        providers += rss
                        count += 1
                    elif words and Path(words[0]).name == "pulumi":
                        engine += rss
            self.peak["engine"] = max(self.peak["engine"], engine)
            self.peak["providers"] = max(self.peak["providers"], providers)
            self.peak["providers_count"] = max(self.peak["providers_count"], count)

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peak


def _rss(proc: Path) -> int:
    for line in (proc / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def ping_ok(address: str, port: int) -> bool:
    try:
        connection = http.client.HTTPConnection(address, port, timeout=2)
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False


def start_healthy(client: docker.DockerClient, host: Host, port: int, version: str) -> Container:
    container = client.containers.run(
        IMAGE,
        detach=True,
        environment={"MODEL_VERSION": version},
        labels={"modelfleet-bench": "floor"},
        ports={"8080/tcp": (host.link.address, port)},
        nano_cpus=int(RESOURCES["cpu"] * 1e9),
        mem_limit=f"{RESOURCES['memory_mb']}m",
        init=True,
        read_only=True,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},
    )
    deadline = time.monotonic() + 300
    while not ping_ok(host.link.address, port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"floor container on {host.name}:{port} never answered /ping")
        time.sleep(0.05)
    return container


def floor_host(lab: Lab, host: Host, barrier: threading.Barrier) -> tuple[float, float]:
    """One host's swap over its own transport, as a script would do it: connect, then swap.

    Seconds from the common start to connected, and to done. The old version is started
    over a connection of its own before the start, as a deployed host would have it.
    """
    tls = lab.tls() if host.transport == "tls" else None
    target = EdgeTarget(host.name, "bench", host.docker_host)
    try:
        with docker_client(target, tls, timeout=FLOOR_CONNECT_S) as client:
            old = start_healthy(client, host, FLOOR_PORTS[0], "1.0.0")
        barrier.wait()
        start = time.monotonic()
        with docker_client(target, tls, timeout=FLOOR_CONNECT_S) as client:
            connected = time.monotonic() - start
            new = start_healthy(client, host, FLOOR_PORTS[1], "1.1.0")
            old = client.containers.get(old.id)
            old.stop(timeout=10)
            old.remove()
            seconds = time.monotonic() - start
            new.remove(force=True)
        return connected, seconds
    except BaseException:
        barrier.abort()  # the other hosts must not wait for this one forever
        raise


def floor(lab: Lab) -> dict[str, Any]:
    """The swaps of every host at once, one thread each; wall time from the common start."""
    barrier = threading.Barrier(len(lab.hosts) + 1)
    with ThreadPoolExecutor(max_workers=len(lab.hosts)) as pool:
        futures = [pool.submit(floor_host, lab, host, barrier) for host in lab.hosts]
        try:
            barrier.wait(timeout=900)
        except threading.BrokenBarrierError:
            failed = [f.exception() for f in futures if f.exception() is not None]
            raise RuntimeError(f"the floor could not start on every host: {failed[:3]}") from None
        start = time.monotonic()
        per_host = [future.result() for future in futures]
        threaded = time.monotonic() - start
    return {
        "threaded_s": threaded,
        "per_host_s": sorted(done for _, done in per_host),
        "connect_s": sorted(connected for connected, _ in per_host),
        "swap_only_s": max(done - connected for connected, done in per_host),
        "load_1m": load(),
    }


def engine(lab: Lab, mode: str) -> dict[str, Any]:
    """Create the lab stack, then time one new version's ``pulumi up`` (the CLI, as CI runs it)."""
    hosts = len(lab.hosts)
    with lab_stack(lab, mode=mode, max_parallel=hosts) as stack:
        stack.up(parallel=hosts + 8)
        set_version(stack, "1.1.0")
        before = lab.counters()
        sampler, timeline = MemorySampler(), SwapTimeline(lab)
        start, wall = time.monotonic(), time.time()
        try:
            done = cli_up(stack, parallel=hosts + 8)
        finally:
            seconds = time.monotonic() - start
            swaps, memory = timeline.close(), sampler.stop()
        after = lab.counters()
        if done.returncode != 0:
            raise RuntimeError(f"pulumi up failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        changes = stack.history(page_size=1)[0].resource_changes or {}
        unchanged = time.monotonic()
        cli_up(stack, parallel=hosts + 8)  # nothing to do: what every `pulumi up` costs here
        fixed = time.monotonic() - unchanged
        stack.destroy(parallel=hosts + 8)
    sent = sum(after[h][0] - before[h][0] for h in after)
    received = sum(after[h][1] - before[h][1] for h in after)
    return {
        "mode": mode,
        "up_s": seconds,
        "no_change_up_s": fixed,
        "changes": dict(changes),
        "swaps": swaps,
        "swap_phase_s": max((e for _, e in swaps["spans"].values()), default=0.0),
        "first_swap_s": swaps["started_at"] - wall if swaps["spans"] else None,
        "memory_peak": memory,
        "bytes_to_hosts": sent,
        "bytes_from_hosts": received,
        "load_1m": load(),
    }


def lab_memory(lab: Lab) -> dict[str, float]:
    per_host = [host.memory() for host in lab.hosts]
    return {
        "engine_rss_mb_per_host": sum(m["engine_rss"] for m in per_host) / len(per_host) / 2**20,
        "containers_mb_per_host": sum(m["containers"] for m in per_host) / len(per_host) / 2**20,
    }


def run_size(hosts: int, modes: list[str], image: str) -> dict[str, Any]:
    started = time.monotonic()
    with running_lab(hosts, SHAPE, image=image) as lab:
        os.environ["PATH"] = f"{lab.ssh_bin}{os.pathsep}{os.environ['PATH']}"  # ssh:// hosts
        row: dict[str, Any] = {"hosts": hosts, "lab_start_s": time.monotonic() - started}
        row["idle"] = lab_memory(lab)
        row["floor"] = floor(lab)
        row["engine"] = []
        for mode in modes:
            row["engine"].append(engine(lab, mode))
            report(row)
    return row


def report(row: dict[str, Any]) -> None:
    last = row["engine"][-1]
    print(
        f"lab_rollout: {row['hosts']:>2} hosts {last['mode']:>6}: up {last['up_s']:6.1f} s "
        f"(swaps {last['swap_phase_s']:5.1f} s, {last['swaps']['concurrency']} at once) "
        f"floor {row['floor']['threaded_s']:5.1f} s  ratio {last['up_s'] / row['floor']['threaded_s']:.2f}x "
        f"bytes {last['bytes_to_hosts'] + last['bytes_from_hosts']} load {last['load_1m']}",
        flush=True,
    )


def plot(result: dict[str, Any], path: Path) -> None:
    """Rollout time against hosts (engine per mode, floor), and the largest run's swaps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    sizes = [row["hosts"] for row in rows]
    left.plot(
        sizes,
        [row["floor"]["threaded_s"] for row in rows],
        "k--o",
        label="floor (docker SDK, threaded)",
    )
    modes = sorted({run["mode"] for row in rows for run in row["engine"]})
    for mode in modes:
        points = [
            (row["hosts"], run["up_s"])
            for row in rows
            for run in row["engine"]
            if run["mode"] == mode
        ]
        left.plot(*zip(*points, strict=True), "o-", label=f"pulumi up, {mode} provider")
    left.plot(
        sizes,
        [1.5 * row["floor"]["threaded_s"] for row in rows],
        ":",
        color="grey",
        label="1.5x floor",
    )
    left.set(
        xlabel="hosts in one wave",
        ylabel="seconds",
        title=f"One wave, 100 ms RTT ({result['shape']} each way)",
    )
    left.legend(fontsize=8)
    biggest = rows[-1]
    runs = [run for run in biggest["engine"] if run["mode"] == "wide"] or biggest["engine"]
    spans = sorted(runs[0]["swaps"]["spans"].values())
    for y, (start, end) in enumerate(spans):
        right.plot([start, end], [y, y], color="tab:blue", linewidth=2)
    right.set(
        xlabel="seconds since the first new container",
        ylabel="host",
        title=f"{biggest['hosts']} hosts, {runs[0]['mode']} provider: "
        f"{runs[0]['swaps']['concurrency']} swapping at once",
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def markdown(result: dict[str, Any]) -> str:
    """BENCHMARKS.md's lab table: one line per size and provider mode."""
    lines = [
        "| hosts | provider | `pulumi up` s (no change) | first swap at s | swaps s | floor s (connect) "
        "| up / floor | swaps / floor | at once | per-host swap s, median (floor) "
        "| engine / provider peak RSS MB | KB over links per host | load |",
        "| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for row in result["rows"]:
        floor = row["floor"]
        for run in row["engine"]:
            memory = run["memory_peak"]
            moved = (run["bytes_to_hosts"] + run["bytes_from_hosts"]) / row["hosts"] / 1000
            lines.append(
                f"| {row['hosts']} | {run['mode']} | {run['up_s']:.1f} ({run['no_change_up_s']:.1f}) "
                f"| {run['first_swap_s']:.1f} | {run['swap_phase_s']:.1f} "
                f"| {floor['threaded_s']:.1f} ({median(floor['connect_s']):.1f}) "
                f"| {run['up_s'] / floor['threaded_s']:.2f}x "
                f"| {run['swap_phase_s'] / floor['threaded_s']:.2f}x "
                f"| {run['swaps']['concurrency']} "
                f"| {median(run['swaps']['per_host_s']):.1f} ({median(floor['per_host_s']):.1f}) "
                f"| {memory['engine'] / 2**20:.0f} / {memory['providers'] / 2**20:.0f} "
                f"({memory['providers_count']} proc) | {moved:.0f} | {run['load_1m']:.1f} |"
            )
    return "\n".join(lines)


def profile_updates(image: str) -> dict[str, float]:
    """One provider update per transport, in-process over a lab link, profiled; seconds each."""
    from pyinstrument import Profiler

    from modelfleet.targets.edge.crud import EdgeContainerProvider
    from tests.integration.edge_fixtures import edge_props

    seconds = {}
    with running_lab(2, SHAPE, image=image) as lab:
        os.environ["PATH"] = f"{lab.ssh_bin}{os.pathsep}{os.environ['PATH']}"
        for host in lab.hosts:
            tls = lab.tls() if host.transport == "tls" else None
            common = {"docker_host": host.docker_host, "tls": tls, "bind": host.link.address}
            old = edge_props(image, "lab-profile", 8080, **common, health_timeout_s=120.0)
            new = {**old, "version": "1.1.0"}
            provider = EdgeContainerProvider()
            created = provider.create(old)
            profiler = Profiler(interval=0.001)
            start = time.monotonic()
            with profiler:
                updated = provider.update(created.id, {**old, **(created.outs or {})}, new)
            seconds[host.transport] = time.monotonic() - start
            provider.delete(created.id, {**new, **(updated.outs or {})})
            text = profiler.output_text(unicode=False, color=False, show_all=False)
            (RESULTS / f"lab_profile-update-{host.transport}.txt").write_text(text)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=list(HOSTS))
    parser.add_argument("--modes", nargs="+", default=["wide"], choices=["wide", "stock"])
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--compare-at", type=int, default=10, help="run every mode only here")
    parser.add_argument("--name", default="lab_rollout")
    parser.add_argument("--profile", action="store_true", help="profile one update per transport")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.profile:
        print(f"lab_rollout: one update in-process, seconds: {profile_updates(args.image)}")
        return
    out = RESULTS / f"{args.name}.json"
    rows = []
    for hosts in args.hosts:
        modes = args.modes if hosts == args.compare_at else args.modes[:1]
        rows.append(run_size(hosts, modes, args.image))
        result = {
            "machine": describe(),
            "shape": SHAPE.describe(),
            "rows": rows,
            "target_ratio": 1.5,
        }
        out.write_text(json.dumps(result, indent=2) + "\n")
        plot(result, out.with_suffix(".png"))


if __name__ == "__main__":
    main()
