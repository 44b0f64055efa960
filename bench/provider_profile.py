"""One edge container update, profiled in-process: where a swap's seconds go.

The EdgeContainer provider's ``create`` and then ``update`` (a new model version) run
directly in this process, without the engine, on props built by the component's own
``container_args`` for the bench stack's model; the update is profiled with
pyinstrument, and any health probe it runs inside the container (``exec``; only
for engines whose bridges do not route here) is counted and timed. The floor is one swap with the docker SDK (bench/edge_rollout.py).

Usage: ``python -m bench.provider_profile`` (writes bench/results/profile-edge-update.txt)
"""

import json
import time
from typing import Any

import yaml
from docker.models.containers import Container
from pyinstrument import Profiler

from bench import edge_rollout
from bench.edge_stack import remove_containers, stack_config
from bench.machine import RESULTS, describe, load
from modelfleet.edge.container import EdgeContainerProvider
from modelfleet.edge.endpoint import container_args
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import parse as parse_stack
from modelfleet.stackfile import sections_from_stack_file

PORT = 19300


def props(version: str) -> dict[str, Any]:
    """What the engine hands the provider for the bench stack's one host, at ``version``."""
    document = yaml.safe_load(yaml.safe_dump(stack_config(1, version)))
    args = next(iter(endpoint_args(parse_stack(sections_from_stack_file(document))).values()))
    location = args["locations"][0]["edge"]
    values = dict(container_args(args["model"], location, location["hosts"][0]))
    values["host_port"] = PORT  # an Output in the component (model port + host offset)
    return values


def counted_execs() -> list[float]:
    """Seconds of every Container.exec_run from now on."""
    seconds: list[float] = []
    exec_run = Container.exec_run

    def timed(self: Container, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return exec_run(self, *args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - start)

    Container.exec_run = timed
    return seconds


def main() -> None:
    load_before = load()
    provider = EdgeContainerProvider()
    old, new = props("1.0.0"), props("1.1.0")
    remove_containers()
    try:
        start = time.perf_counter()
        created = provider.create(dict(old))
        create_s = time.perf_counter() - start
        execs = counted_execs()
        profiler = Profiler(interval=0.001)
        profiler.start()
        start = time.perf_counter()
        updated = provider.update(created.id, {**old, **(created.outs or {})}, dict(new))
        update_s = time.perf_counter() - start
        profiler.stop()
        provider.delete(created.id, {**new, **(updated.outs or {})})
    finally:
        remove_containers()
    floor = edge_rollout.floor(1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=True, color=False)
    (RESULTS / "profile-edge-update.txt").write_text(text)
    result = {
        "machine": describe(),
        "load_1m": [load_before, load()],
        "create_s": create_s,
        "update_s": update_s,
        "health_execs": len(execs),
        "health_exec_s": sum(execs),
        "floor_swap_s": floor["sequential_s"],
        "profile": "profile-edge-update.txt",
    }
    (RESULTS / "provider_profile.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"provider_profile: create {create_s:.2f} s, update {update_s:.2f} s "
        f"({len(execs)} health execs, {sum(execs):.2f} s), floor swap {floor['sequential_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
