"""How ``modelfleet status`` shows its answers: a table or JSON, progress, and ``--watch``.

``rich`` draws the table and, on a terminal, a progress bar while probes run and a
view refreshed in place; anywhere else (CI logs, pipes) progress is one plain line per
answer on stderr, so stdout stays the table or the JSON alone.
"""

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from modelfleet.fleet_probe import Health, Probe, Target, probe_all, summary

PIPE_WIDTH = 160
"""Table width when stdout is not a terminal: wide enough that rows do not wrap in CI logs."""
STYLES = {
    Health.HEALTHY: "green",
    Health.DRIFT: "yellow",
    Health.UNHEALTHY: "red",
    Health.UNREACHABLE: "red",
    Health.NOT_PROBED: "dim",
}


def stdout_console() -> Console:
    return Console(width=None if sys.stdout.isatty() else PIPE_WIDTH)


def row(probe: Probe) -> dict[str, Any]:
    """One row as JSON: every column, with the detail apart from the health word."""
    t = probe.target
    latency = None if probe.latency_ms is None else round(probe.latency_ms, 1)
    return {
        "model": t.model,
        "location": t.location,
        "kind": t.kind,
        "host": t.host,
        "desired_version": t.desired_version,
        "running_version": probe.running_version,
        "health": probe.health,
        "detail": probe.detail,
        "latency_ms": latency,
    }


def as_json(stack: str, updated: str | None, probes: Sequence[Probe]) -> str:
    return json.dumps(
        {"stack": stack, "updated": updated, "rows": [row(p) for p in probes]}, indent=2
    )


def table(stack: str, updated: str | None, probes: Sequence[Probe], note: str = "") -> Table:
    """The status table, titled with the stack and its last update, counts underneath."""
    title = f"stack {stack}" + (f" · last update {updated}" if updated else "")
    counts = ", ".join(f"{n} {health}" for health, n in summary(probes)) or "no placements"
    caption = counts + (f" · {note}" if note else "")
    grid = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for column in ("model", "location", "host", "desired", "running", "health"):
        grid.add_column(column)
    grid.add_column("latency", justify="right")
    for probe in probes:
        t = probe.target
        health = probe.health + (f": {probe.detail}" if probe.detail else "")
        latency = "" if probe.latency_ms is None else f"{probe.latency_ms:.0f} ms"
        running = probe.running_version or "-"
        grid.add_row(
            t.model,
            t.location,
            t.host,
            t.desired_version,
            running,
            Text(health, style=STYLES[probe.health]),
            latency,
        )
    return grid


def show(stack: str, updated: str | None, probes: Sequence[Probe], fmt: str) -> None:
    if fmt == "json":
        print(as_json(stack, updated, probes))
    else:
        stdout_console().print(table(stack, updated, probes))


def probe_with_progress(targets: Sequence[Target], ask: Callable[[Target], Probe]) -> list[Probe]:
    """Ask every target: a progress bar on a terminal, a plain line per answer otherwise."""
    err = Console(stderr=True)
    if err.is_terminal:
        columns = (TextColumn("probing"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task("probing", total=len(targets))
            return probe_all(targets, ask, lambda probe: progress.advance(task))
    done = 0

    def line(probe: Probe) -> None:
        nonlocal done
        done += 1
        t = probe.target
        where = f"{t.model} {t.location} {t.host}"
        print(f"probed {done}/{len(targets)}: {where}: {probe.health}", file=sys.stderr)

    return probe_all(targets, ask, line)


@contextmanager
def live_view() -> Iterator[Callable[[RenderableType], None]]:
    """A view refreshed in place (on a terminal): yields ``update(renderable)``."""
    with Live(Text("reading the stack…"), console=stdout_console(), auto_refresh=False) as live:
        yield lambda renderable: live.update(renderable, refresh=True)


def refreshed(grid: Table | None, error: str | None, interval_s: float) -> RenderableType:
    """The last table (if any), an error from this round (if any), and when it was drawn."""
    now = datetime.now(UTC).strftime("%H:%M:%S UTC")
    footer = Text(f"refreshed {now} · every {interval_s:g} s · Ctrl-C to stop", style="dim")
    parts: list[RenderableType] = [grid] if grid is not None else []
    if error:
        parts.append(Text(f"error: {error}", style="red"))
    return Group(*parts, footer)
