"""Program evaluation under mocks: modelfleet topologies against the SDK's own floor.

Each measurement runs in its own subprocess (clean memory, no warm caches): the
child imports everything, then times one program from its first line until the
mocks have settled every registration, and reports wall time, peak RSS and the
peak's growth over the RSS the imports left. Both programs use the unit tests'
recording mocks (tests/unit/conftest.py).

- ``modelfleet``: :func:`modelfleet.program.run` on generated stack config: models x
  (3 kubernetes locations + 1 edge location of many hosts), about half the resources
  in each kind; small sizes use one model on one edge location.
- ``floor``: one ComponentResource with N-1 child CustomResources of a fake type,
  each with one small input: what registering N resources costs the SDK at least.
- ``same-data``: the very resources the modelfleet program registered (types, names,
  resolved inputs), replayed as plain resources under one component: what the SDK
  charges for the data those resources carry, without any component code. Its gap
  to ``floor`` is the resources' size; the gap from it to ``modelfleet`` is ours.

Usage: ``python -m bench.program_eval [--quick] [--sizes 10 100 ...]``; the profile is
made by bench/program_profile.py, through this module's child.
"""

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import REPO, RESULTS, describe, load

SIZES = (10, 100, 1000, 3000, 10000)
QUICK_SIZES = (10, 100, 1000)
GC_TUNINGS = ("default", "freeze", "threshold", "both")
"""Collector settings a child can run under. ``threshold`` is what modelfleet's entry
points set (:func:`modelfleet.program.collect_less_often`), and every program runs
under it unless told otherwise, so the gaps between them are code, not collector
settings; the floor is measured once more at Python's defaults (``FLOOR_DEFAULT_GC``),
as a plain SDK program would run."""
REPEAT_MAX = 100
"""Sizes up to this run ``--repeats`` times (best kept): small runs are the noisy ones."""
SAME_DATA_MAX = 3000
"""Above this, same-data is skipped: it runs the modelfleet program once more to record."""
K8S_LOCATIONS, EDGE_HOSTS = 3, 22
PER_MODEL = 1 + K8S_LOCATIONS * 8 + 1 + EDGE_HOSTS
"""ModelEndpoint + per cluster (provider, component, account, deployment, service, hpa,
pdb, network policy) + EdgeEndpoint + one container per host."""


@dataclass(frozen=True)
class Shape:
    models: int
    k8s: int
    hosts: int

    @classmethod
    def near(cls, resources: int) -> "Shape":
        if resources < PER_MODEL:
            return cls(models=1, k8s=0, hosts=max(1, resources - 2))
        return cls(models=round(resources / PER_MODEL), k8s=K8S_LOCATIONS, hosts=EDGE_HOSTS)


def stack_config(shape: Shape) -> dict[str, Any]:
    """The three ``modelfleet`` maps for ``shape``: every model placed everywhere."""
    locations: dict[str, Any] = {
        f"cluster-{i}": {"kind": "kubernetes", "jurisdiction": "DE", "context": f"c{i}"}
        for i in range(shape.k8s)
    }
    locations["plant"] = {
        "kind": "edge",
        "jurisdiction": "FR",
        "hosts": [
            {
                "name": f"gw-{i}",
                "docker_host": "unix:///var/run/docker.sock",
                "wave": 0 if i == 0 else 1,
                "port_offset": i,
            }
            for i in range(shape.hosts)
        ],
    }
    models = {
        f"model-{m}": {
            "version": "1.0.0",
            "image": "registry.example.com/ml/model:1.0.0",
            "env": {"LOG_LEVEL": "info"},
            "scaling": {"min": 2, "max": 4},
            "data": {"classification": "internal", "residency": ["EU"]},
        }
        for m in range(shape.models)
    }
    return {
        "models": models,
        "locations": locations,
        "placements": {model: list(locations) for model in models},
    }


def modelfleet_program(shape: Shape) -> Any:
    import pulumi

    from modelfleet.program import run

    config = stack_config(shape)
    pulumi.runtime.set_all_config({f"modelfleet:{k}": json.dumps(v) for k, v in config.items()})
    return lambda: run()


def floor_program(resources: int) -> Any:
    import pulumi

    class Plain(pulumi.CustomResource):
        # A subclass, as every provider SDK's resource is: the SDK only records a
        # registration's stack trace when it finds the concrete class's __init__.
        def __init__(self, name: str, value: int, opts: pulumi.ResourceOptions) -> None:
            super().__init__("bench:index:Plain", name, {"value": value}, opts)

    def program() -> None:
        parent = pulumi.ComponentResource("bench:index:Floor", "floor")
        child = pulumi.ResourceOptions(parent=parent)
        for i in range(resources - 1):
            Plain(f"plain-{i}", i, child)

    return program


def same_data_program(recorded: Path) -> Any:
    """Replay, flat, what a modelfleet run registered (saved by its ``--record-to``)."""
    import pulumi

    registrations = pickle.loads(recorded.read_bytes())  # noqa: S301 - written by our own child

    class Plain(pulumi.CustomResource):  # a subclass, like the floor's
        def __init__(self, typ: str, name: str, props: dict, opts: pulumi.ResourceOptions):
            super().__init__(typ, name, props, opts)

    def program() -> None:
        parent = pulumi.ComponentResource("bench:index:Floor", "floor")
        child = pulumi.ResourceOptions(parent=parent)
        for typ, name, inputs in registrations[1:]:  # one component stands in for the first
            if typ.startswith("modelfleet:"):
                pulumi.ComponentResource(typ, name, {}, opts=child)
            else:
                Plain(typ, name, dict(inputs), child)

    return program


def count_work() -> dict[str, int]:
    """Count asyncio tasks and Outputs from now on: the SDK's work, whatever the load."""
    import asyncio

    import pulumi

    counts = {"tasks": 0, "outputs": 0}
    create_task, output_init = asyncio.BaseEventLoop.create_task, pulumi.Output.__init__

    def counted_task(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["tasks"] += 1
        return create_task(self, *args, **kwargs)

    def counted_output(self: Any, *args: Any, **kwargs: Any) -> None:
        counts["outputs"] += 1
        output_init(self, *args, **kwargs)

    asyncio.BaseEventLoop.create_task = counted_task  # type: ignore[method-assign]
    pulumi.Output.__init__ = counted_output  # type: ignore[method-assign]
    return counts


def gc_seconds() -> list[float]:
    """Seconds the cyclic garbage collector runs from now on (one-item list, updated)."""
    import gc

    total, started = [0.0], [0.0]

    def callback(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            total[0] += time.perf_counter() - started[0]

    gc.callbacks.append(callback)
    return total


def rss_mb() -> float:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def child(kind: str, size: int, options: argparse.Namespace) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    profile = options.profile_to
    gc_tuning = options.gc or "threshold"
    import gc

    from modelfleet.program import collect_less_often
    from tests.unit.conftest import new_mocks

    # A small run first, off the clock: it pays the imports the program triggers
    # (pulumi_kubernetes loads its modules lazily, modelfleet.edge loads docker).
    start = time.perf_counter()
    # The floor too: every program then runs on the same heap (imported modules included),
    # which is what the garbage collector's full passes walk.
    new_mocks("warmup").run(modelfleet_program(Shape(1, 1, 1)))
    warmup_s = time.perf_counter() - start
    shape = Shape.near(size)
    programs = {
        "modelfleet": lambda: modelfleet_program(shape),
        "same-data": lambda: same_data_program(options.replay_from),
        "floor": lambda: floor_program(size),
    }
    program = programs[kind]()
    mocks = new_mocks("bench")
    work = count_work() if profile is None else {}  # keep the profile free of the counters
    if gc_tuning in ("freeze", "both"):
        gc.freeze()  # what is alive now (imports, warm-up) is never scanned again
    if gc_tuning in ("threshold", "both"):
        collect_less_often()
    collected, gc_s = sum(s["collections"] for s in gc.get_stats()), gc_seconds()
    before = rss_mb()
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    mocks.run(program)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    if profiler is not None:
        profiler.stop()
        assert profile is not None
        profile.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        profile.with_suffix(".flat.txt").write_text(profiler.output_text(flat=True))
        profile.with_suffix(".html").write_text(profiler.output_html())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if options.record_to:
        registrations = [(r.type, r.name, r.inputs) for r in mocks.resources]
        options.record_to.write_bytes(pickle.dumps(registrations))
    return {
        "kind": kind,
        "resources": len(mocks.resources),
        "shape": None if kind == "floor" else asdict(shape),
        "seconds": seconds,
        "cpu_s": cpu_s,
        **work,
        "gc_s": gc_s[0],
        "gc_collections": sum(s["collections"] for s in gc.get_stats()) - collected,
        "gc_tuning": gc_tuning,
        "warmup_s": warmup_s,
        "peak_rss_mb": peak,
        "program_mb": peak - before,
    }


def measure(kind: str, size: int, *options: str) -> dict[str, Any]:
    """Run one measurement in a subprocess; its result with the load average around it.

    ``options``: ``--profile-to PATH``, ``--gc TUNING``, ``--record-to PATH`` (modelfleet),
    ``--replay-from PATH`` (same-data).
    """
    command = [sys.executable, "-m", "bench.program_eval", "--child", kind, str(size), *options]
    load_before = load()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {size} failed:\n{done.stderr[-3000:]}")
    return {**json.loads(done.stdout.splitlines()[-1]), "load_1m": [load_before, load()]}


def fit(points: list[dict[str, Any]]) -> dict[str, float]:
    """Least-squares line seconds = a + b * resources; b in s per 1000 resources, and R²."""
    x = np.array([p["resources"] for p in points], dtype=float)
    y = np.array([p["seconds"] for p in points], dtype=float)
    if len(set(x)) < 2:  # one size: no line to fit
        return {"s_per_1000": float(y[0] / x[0]) * 1000, "intercept_s": 0.0, "r2": float("nan")}
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    r2 = 1 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    return {"s_per_1000": float(slope) * 1000, "intercept_s": float(intercept), "r2": r2}


KINDS = ("modelfleet", "same-data", "floor")
FLOOR_DEFAULT_GC = "floor-default-gc"
ALL_KINDS = (*KINDS, FLOOR_DEFAULT_GC)


def run(sizes: tuple[int, ...], repeats: int) -> dict[str, Any]:
    """Measure every program at every size, interleaved so all see the same load."""
    rows = []
    for size in sizes:
        for _ in range(repeats if size <= REPEAT_MAX else 1):
            with tempfile.TemporaryDirectory() as tmp:
                recorded = str(Path(tmp) / "registrations.pickle")
                ours = measure("modelfleet", size, "--record-to", recorded)
                row = {
                    "modelfleet": ours,
                    "floor": measure("floor", ours["resources"]),
                    FLOOR_DEFAULT_GC: measure("floor", ours["resources"], "--gc", "default"),
                }
                if size <= SAME_DATA_MAX:
                    row["same-data"] = measure("same-data", size, "--replay-from", recorded)
            rows.append(row)
            print(
                f"program_eval: {ours['resources']:>6} resources  "
                + "  ".join(f"{k} {row[k]['seconds']:6.2f} s" for k in KINDS if k in row)
                + f"  modelfleet peak {ours['peak_rss_mb']:.0f} MB, load {ours['load_1m'][0]:.1f}",
                flush=True,
            )
    best = best_of(rows)
    return {
        "machine": describe(),
        "rows": rows,
        "best": best,
        "fit": {kind: fit([b[kind] for b in best if kind in b]) for kind in ALL_KINDS},
        "target_ratio": 1.3,
    }


def best_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size, the fastest run of each program (the machine is shared: noise only adds)."""
    by_size: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = by_size.setdefault(row["modelfleet"]["resources"], dict(row))
        for kind in ALL_KINDS:
            if kind in row and row[kind]["seconds"] < kept[kind]["seconds"]:
                kept[kind] = row[kind]
    return [by_size[size] for size in sorted(by_size)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--repeats", type=int, default=2, help=f"at sizes <= {REPEAT_MAX}")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--gc", choices=GC_TUNINGS, help=argparse.SUPPRESS)
    parser.add_argument("--record-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--replay-from", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else SIZES))
    result = run(sizes, 1 if args.quick else args.repeats)
    (RESULTS / "program_eval.json").write_text(json.dumps(result, indent=2) + "\n")
    for kind, line in result["fit"].items():
        print(
            f"program_eval: {kind} {line['s_per_1000']:.2f} s/1000 resources, R² {line['r2']:.4f}"
        )


if __name__ == "__main__":
    main()
