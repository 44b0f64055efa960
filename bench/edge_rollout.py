"""Edge rollout: a new model version on N hosts of one wave, against the docker SDK's floor.

The engine: a local-style stack (bench/edge_stack.py) with N hosts in one wave is
created, then its model version changed and ``up`` timed, twice (1.1.0, then 1.2.0).
How many hosts really swapped at once is read from Docker's own event log (new
container created -> old container destroyed, per host), and how many the engine had
in flight from its engine events (resource pre-event -> outputs event).

The floor: the same swaps done directly with the docker SDK in one process: start the
new container (same image and limits), wait for 200 on /ping over loopback, stop and
remove the old one; once host after host, once with one thread per host.

``--provider-per-host`` tries the workaround for the dynamic provider's four worker
threads without touching component code: the same program, with a resource transform
that gives each EdgeContainer its own ``pulumi-python`` provider (one process each).

Usage: ``python -m bench.edge_rollout [--quick] [--hosts 1 5 10] [--parallel P]
[--provider-per-host]``
"""

import argparse
import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

import docker
import pulumi
from docker.models.containers import Container
from pulumi import automation as auto

from bench.edge_stack import IMAGE, LOCATION, MODEL, RESOURCES, edge_stack, set_version
from bench.machine import RESULTS, describe, load
from modelfleet.program import run

HOSTS = (1, 5, 10)
QUICK_HOSTS = (1, 3)
VERSIONS = ("1.1.0", "1.2.0")
FLOOR_PORTS = (19100, 19200)
FLOOR_LABEL = "modelfleet-bench=floor"


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, step in edges:
        open_now += step
        most = max(most, open_now)
    return most


class EngineTimeline:
    """When the engine started and finished each EdgeContainer step (its events, as received)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.summary: float | None = None

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.summary_event is not None:
            self.summary = time.monotonic()
        for kind, into in (
            ("resource_pre_event", self.started),
            ("res_outputs_event", self.finished),
        ):
            payload = getattr(event, kind, None)
            if payload is not None and payload.metadata.type.endswith("EdgeContainer"):
                into.setdefault(payload.metadata.urn, time.monotonic())

    def intervals(self) -> list[tuple[float, float]]:
        return [(self.started[u], self.finished[u]) for u in self.finished if u in self.started]


class DockerSwaps:
    """Per host, Docker's time from the new container's create to the old one's destroy.

    Read live while the update runs: Docker keeps only the last few hundred events for
    ``since`` queries, and events such as health-probe execs (remote engines) can push
    the creates out.
    """

    def __init__(self) -> None:
        self.client = docker.from_env()
        self.stream = self.client.events(
            decode=True,
            filters={"type": "container", "label": f"modelfleet/location={LOCATION}"},
        )
        self.created: dict[str, float] = {}
        self.destroyed: dict[str, float] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with suppress(Exception):  # the stream ends in an error when closed
            for event in self.stream:
                host = event["Actor"]["Attributes"].get("modelfleet/host", "?")
                at = event["timeNano"] / 1e9
                if event["Action"] == "create":
                    self.created.setdefault(host, at)
                elif event["Action"] == "destroy":
                    self.destroyed[host] = at

    def result(self) -> dict[str, Any]:
        time.sleep(0.5)  # the last events' way from the daemon
        self.stream.close()
        self.reader.join(timeout=5)
        self.client.close()
        spans = [(self.created[h], self.destroyed[h]) for h in self.created if h in self.destroyed]
        return {
            "hosts_swapped": len(spans),
            "concurrency": max_overlap(spans),
            "per_host_s": sorted(end - start for start, end in spans),
            "span_s": (max(e for _, e in spans) - min(s for s, _ in spans)) if spans else 0.0,
        }


def provider_per_host(hosts: int) -> Any:
    """modelfleet's program, each EdgeContainer on its own dynamic provider process."""

    def program() -> Any:
        providers = {
            f"{MODEL}-{LOCATION}-h{i}": pulumi.ProviderResource("pulumi-python", f"h{i}-provider")
            for i in range(hosts)
        }

        def own_provider(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
            if args.name not in providers or not args.type_.endswith("EdgeContainer"):
                return pulumi.ResourceTransformResult(args.props, args.opts)
            mine = pulumi.ResourceOptions(provider=providers[args.name])
            return pulumi.ResourceTransformResult(
                args.props, pulumi.ResourceOptions.merge(args.opts, mine)
            )

        pulumi.runtime.register_resource_transform(own_provider)
        return run()

    return program


def engine_rollout(hosts: int, parallel: int | None, per_host: bool) -> list[dict[str, Any]]:
    """Create the stack, then time ``up`` for each new version; destroy."""
    runs = []
    with edge_stack(hosts) as stack:
        if per_host:
            stack.workspace.program = provider_per_host(hosts)
        stack.up()
        for version in VERSIONS:
            set_version(stack, version)
            timeline, swaps = EngineTimeline(), DockerSwaps()
            start = time.monotonic()
            result = stack.up(on_event=timeline, parallel=parallel)
            seconds = time.monotonic() - start
            changes: dict[Any, int] = dict(result.summary.resource_changes or {})
            assert changes.get("update") == hosts, result.summary
            engine = timeline.intervals()
            runs.append(
                {
                    "version": version,
                    "up_s": seconds,
                    "engine_s": (timeline.summary or start + seconds) - start,
                    "swap_phase_s": max(e for _, e in engine) - min(s for s, _ in engine),
                    "engine_concurrency": max_overlap(engine),
                    "engine_steps_s": sorted(end - start for start, end in engine),
                    "docker": swaps.result(),
                    "load_1m": load(),
                }
            )
        stack.destroy()
    return runs


def ping_ok(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/ping")
        return connection.getresponse().status == 200
    except OSError:
        return False


def start_healthy(client: docker.DockerClient, port: int, version: str) -> Container:
    """A serving container with the stack's limits, once /ping answers 200 (60 s at most)."""
    container = client.containers.run(
        IMAGE,
        detach=True,
        environment={"MODEL_VERSION": version},
        labels={"modelfleet-bench": "floor"},
        ports={"8080/tcp": ("127.0.0.1", port)},
        nano_cpus=int(RESOURCES["cpu"] * 1e9),
        mem_limit=f"{RESOURCES['memory_mb']}m",
        init=True,
        read_only=True,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"},
    )
    deadline = time.monotonic() + 60
    while not ping_ok(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"floor container on {port} never answered /ping")
        time.sleep(0.01)
    return container


def swap(client: docker.DockerClient, old: Container, port: int, version: str) -> Container:
    new = start_healthy(client, port, version)
    old.stop(timeout=10)
    old.remove()
    return new


def floor(hosts: int) -> dict[str, Any]:
    """The same swaps with the docker SDK alone: sequential, then one thread per host."""
    client = docker.from_env()
    try:
        low, high = FLOOR_PORTS
        with ThreadPoolExecutor(max_workers=hosts) as pool:
            olds = list(pool.map(lambda i: start_healthy(client, low + i, "1.0.0"), range(hosts)))
        start = time.perf_counter()
        news = [swap(client, old, high + i, "1.1.0") for i, old in enumerate(olds)]
        sequential = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=hosts) as pool:
            list(pool.map(lambda i: swap(client, news[i], low + i, "1.2.0"), range(hosts)))
        threaded = time.perf_counter() - start
    finally:
        for container in client.containers.list(all=True, filters={"label": FLOOR_LABEL}):
            container.remove(force=True)
        client.close()
    return {"sequential_s": sequential, "threaded_s": threaded, "load_1m": load()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"hosts {QUICK_HOSTS}")
    parser.add_argument("--hosts", type=int, nargs="+")
    parser.add_argument("--parallel", type=int, help="engine --parallel (default: the engine's)")
    parser.add_argument("--provider-per-host", action="store_true", help="see the docstring")
    args = parser.parse_args(argv)
    rows = []
    for hosts in args.hosts or (QUICK_HOSTS if args.quick else HOSTS):
        row: dict[str, Any] = {"hosts": hosts, "floor": floor(hosts)}
        row["engine"] = engine_rollout(hosts, args.parallel, args.provider_per_host)
        rows.append(row)
        best = min(run["up_s"] for run in row["engine"])
        print(
            f"edge_rollout: {hosts:>2} hosts  up {best:5.1f} s  floor sequential "
            f"{row['floor']['sequential_s']:5.1f} s threaded {row['floor']['threaded_s']:5.1f} s  "
            f"concurrency docker {[r['docker']['concurrency'] for r in row['engine']]} "
            f"engine {[r['engine_concurrency'] for r in row['engine']]}",
            flush=True,
        )
    variant = {"parallel": args.parallel, "provider_per_host": args.provider_per_host}
    result = {"machine": describe(), **variant, "rows": rows, "target_ratio": 1.5}
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "edge_rollout"
    name += f"-p{args.parallel}" if args.parallel else ""
    name += "-provider-per-host" if args.provider_per_host else ""
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
