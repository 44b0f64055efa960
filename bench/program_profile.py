"""Where program evaluation time goes: cost per resource type, and a pyinstrument profile.

1. Each resource type the modelfleet topology registers, replayed alone (its recorded
   inputs, as a plain CustomResource subclass, 200 of them under one component, best of
   3 by CPU time) next to the floor's one-int resource: what the SDK charges for each
   type's data, with its top-level property count and the nodes in its input tree.
   One more row tries a proposal: the EdgeContainer's inputs with everything but its
   identity nested under one ``spec`` property (the SDK makes an Output per property).
2. The garbage collector: the modelfleet program at N resources with Python's default
   collector thresholds and with those modelfleet sets (modelfleet.program.collect_less_often),
   seconds spent collecting measured with ``gc.callbacks``.
3. A pyinstrument profile of the modelfleet program at N resources, in a fresh
   subprocess: bench/results/profile-modelfleet-N.txt (+ .flat.txt; .html, not kept).

Usage: ``python -m bench.program_profile [--resources 1000]``
"""

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bench import program_eval
from bench.machine import RESULTS, describe, load

COPIES = 200
EDGE = "pulumi-python:dynamic/edge:EdgeContainer"
EDGE_IDENTITY = ("docker_host", "host", "model", "__provider")


@dataclass(frozen=True)
class Registration:
    type: str
    name: str
    inputs: dict[str, Any]


def nested(r: Any) -> Registration:
    """``r`` with every input but the identity under one ``spec`` property."""
    top = {k: v for k, v in r.inputs.items() if k in EDGE_IDENTITY}
    spec = {k: v for k, v in r.inputs.items() if k not in EDGE_IDENTITY}
    return Registration(r.type, r.name, {**top, "spec": spec})


def nodes(value: Any) -> int:
    """Values in an input tree, containers included: what the SDK walks one by one."""
    if isinstance(value, dict):
        return 1 + sum(nodes(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(nodes(v) for v in value)
    return 1


def per_type(resources: int) -> list[dict[str, Any]]:
    import pulumi

    from tests.unit.conftest import new_mocks

    class Plain(pulumi.CustomResource):
        def __init__(self, typ: str, name: str, props: dict, opts: pulumi.ResourceOptions):
            super().__init__(typ, name, props, opts)

    recorded = new_mocks("record")
    recorded.run(program_eval.modelfleet_program(program_eval.Shape.near(resources)))
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in recorded.resources:
        if not r.type.startswith("modelfleet:"):
            groups[r.type].append(r)
    groups["floor: bench:index:Plain {value: int}"] = [
        Registration("bench:index:Plain", "plain", {"value": 1})
    ]
    if EDGE in groups:
        groups[f"proposal: {EDGE}, inputs nested under `spec`"] = [nested(r) for r in groups[EDGE]]

    def cost(registrations: list[Any]) -> float:
        copies = (registrations * (COPIES // len(registrations) + 1))[:COPIES]

        def program() -> None:
            child = pulumi.ResourceOptions(parent=pulumi.ComponentResource("bench:F", "f"))
            for i, r in enumerate(copies):
                Plain(r.type, f"{r.name}-{i}", dict(r.inputs), child)

        best = float("inf")
        for _ in range(3):
            mocks, start = new_mocks("type"), time.process_time()
            mocks.run(program)
            best = min(best, time.process_time() - start)
        return best / COPIES * 1000

    rows = []
    for typ, registrations in sorted(groups.items()):
        inputs = registrations[0].inputs
        rows.append(
            {
                "type": typ,
                "count_in_topology": 0
                if typ.startswith(("floor:", "proposal:"))
                else len(registrations),
                "ms_per_resource": cost(registrations),
                "top_level_properties": len(inputs),
                "input_nodes": nodes(inputs),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    args = parser.parse_args(argv)
    load_before = load()
    rows = per_type(args.resources)
    for row in rows:
        print(
            f"program_profile: {row['type']:50} {row['ms_per_resource']:5.2f} ms/resource "
            f"({row['top_level_properties']} properties, {row['input_nodes']} nodes)"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    gc = {
        tuning: program_eval.measure("modelfleet", args.resources, "--gc", tuning)
        for tuning in ("default", "threshold")
    }
    for tuning, run in gc.items():
        print(
            f"program_profile: gc {tuning}: {run['seconds']:.2f} s, of which collecting "
            f"{run['gc_s']:.2f} s ({run['gc_collections']} collections)"
        )
    path = RESULTS / f"profile-modelfleet-{args.resources}.txt"
    profiled = program_eval.measure("modelfleet", args.resources, "--profile-to", str(path))
    result = {
        "machine": describe(),
        "load_1m": [load_before, load()],
        "resources": args.resources,
        "copies": COPIES,
        "per_type": rows,
        "gc": gc,
        "profiles": {"modelfleet": {**profiled, "profile": path.name}},
    }
    (RESULTS / "program_profile.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
