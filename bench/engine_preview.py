"""The real engine on a local-style edge stack: what preview and a no-change up cost per host.

For 1, 5 and 20 hosts (one wave, one shared Docker engine): a first ``up`` that
creates the containers, then ``preview`` and ``up`` with nothing to change, then
``destroy``. Each is timed twice: around the Automation API call (what a caller of
``python -m modelfleet.automation`` waits, including the ``stack output`` and ``stack
history`` commands the API runs after an up or destroy) and up to the engine's summary
event (engine start, inline program, dynamic provider start, steps). A line through
the times gives seconds per host.

Usage: ``python -m bench.engine_preview [--quick] [--hosts 1 5 20]``
"""

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.edge_stack import edge_stack
from bench.machine import RESULTS, describe, load

HOSTS = (1, 5, 20)
QUICK_HOSTS = (1, 5)
STEPS = ("create_up", "preview", "nochange_up", "destroy")


def timed(call: Callable[..., Any], **kwargs: Any) -> tuple[float, float, Any]:
    """Seconds for the whole call, seconds until the engine's summary event, the result."""
    summary: list[float] = []

    def on_event(event: Any) -> None:
        if event.summary_event is not None:
            summary.append(time.perf_counter())

    start = time.perf_counter()
    result = call(on_event=on_event, **kwargs)
    end = time.perf_counter()
    return end - start, (summary[0] if summary else end) - start, result


def measure(hosts: int) -> dict[str, Any]:
    """One stack of ``hosts`` hosts through create, preview, no-change up and destroy."""
    row: dict[str, Any] = {"hosts": hosts, "load_1m": [load()]}
    with edge_stack(hosts) as stack:
        row["create_up"], row["create_up_engine"], created = timed(stack.up)
        row["preview"], row["preview_engine"], previewed = timed(stack.preview)
        row["nochange_up"], row["nochange_up_engine"], again = timed(stack.up)
        row["destroy"], row["destroy_engine"], _ = timed(stack.destroy)
    row["changes"] = {
        "create_up": created.summary.resource_changes,
        "preview": previewed.change_summary,
        "nochange_up": again.summary.resource_changes,
    }
    assert set(again.summary.resource_changes or {}) == {"same"}, row["changes"]
    row["load_1m"].append(load())
    return row


def per_host(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per step: the fitted seconds per host and the fixed cost at zero hosts."""
    hosts = np.array([r["hosts"] for r in rows], dtype=float)
    fits = {}
    for step in STEPS + tuple(f"{step}_engine" for step in STEPS):
        slope, intercept = np.polyfit(hosts, [r[step] for r in rows], 1)
        fits[step] = {"s_per_host": float(slope), "fixed_s": float(intercept)}
    return fits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"hosts {QUICK_HOSTS}")
    parser.add_argument("--hosts", type=int, nargs="+")
    args = parser.parse_args(argv)
    rows = []
    for hosts in args.hosts or (QUICK_HOSTS if args.quick else HOSTS):
        rows.append(measure(hosts))
        print(
            "engine_preview: "
            + f"{hosts:>2} hosts  "
            + "  ".join(
                f"{step} {rows[-1][step]:5.1f} s (engine {rows[-1][step + '_engine']:4.1f})"
                for step in STEPS
            )
            + f"  load {rows[-1]['load_1m'][0]:.1f}",
            flush=True,
        )
    result = {"machine": describe(), "rows": rows, "fit": per_host(rows)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "engine_preview.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
