"""``modelfleet status``: is what runs what the stack deployed?

The stack's outputs (``placements``, ``urls``, ``host_urls``, ``endpoint_names``) come
through the Pulumi CLI (Automation API), never from backend files read by hand: they
say what should run where. Each endpoint is then asked what it runs
(:mod:`modelfleet.fleet_probe`). One row per placement and host.

Exit codes: 0 every asked endpoint healthy at the desired version; 1 some drifted,
unhealthy or unreachable; 2 the stack could not be read.
"""

import contextlib
import functools
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from modelfleet import fleet_view
from modelfleet.automation import LOCAL_PASSPHRASE, engine_env
from modelfleet.config import StackConfig
from modelfleet.fleet_cloud import probe_cloud
from modelfleet.fleet_probe import Probe, Target, health_url, probe_all, probe_http

EXIT_OK, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2
WATCH_INTERVAL_S, MIN_INTERVAL_S = 5.0, 1.0
"""Between --watch rounds: each re-reads the outputs through the Pulumi CLI (about 1 s of CPU)."""
HTTP_KINDS = ("edge", "kubernetes")
"""Kinds whose endpoints answer HTTP where this command runs (or resolve nowhere)."""


class StatusError(Exception):
    """The stack's outputs could not be read: a user-facing reason, no traceback."""


@dataclass(frozen=True)
class Deployed:
    """What the stack says: targets to ask, and when it last changed."""

    stack: str
    targets: list[Target]
    updated: str | None


def project_dir(start: Path) -> Path:
    """The directory holding ``Pulumi.yaml``, at or above ``start``."""
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    raise StatusError(f"no Pulumi.yaml in {start} or above: run status inside the project")


def workspace_env(project: Path) -> dict[str, str]:
    """The backend to read: the user's ``PULUMI_BACKEND_URL``, else ``make up``'s file
    backend when it exists, else whatever ``pulumi login`` chose."""
    state = project / ".pulumi-state"
    if os.environ.get("PULUMI_BACKEND_URL") or not state.is_dir():
        return {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    return engine_env(state, os.environ.get("PULUMI_CONFIG_PASSPHRASE", LOCAL_PASSPHRASE))


def open_stack(name: str, project: Path) -> auto.Stack:
    """Select (never create) the stack ``name`` of the project."""
    options = auto.LocalWorkspaceOptions(env_vars=workspace_env(project))
    try:
        return auto.select_stack(stack_name=name, work_dir=str(project), opts=options)
    except auto.StackNotFoundError:
        raise StatusError(f"stack {name!r} does not exist: deploy it first") from None
    except FileNotFoundError:
        raise StatusError("the pulumi CLI is not on PATH (scripts/install-pulumi)") from None
    except auto.CommandError as exc:
        raise StatusError(f"pulumi: {_last_line(exc)}") from None


def _last_line(exc: auto.CommandError) -> str:
    """The CLI's own last word (its error line), not the whole stdout/stderr dump."""
    stderr = str(exc).partition("\n stderr: ")[2]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def _target(row: Mapping[str, str], host: str, url: str | None, config: StackConfig) -> Target:
    """A target for one placement row, asked at its health path when its kind speaks HTTP."""
    spec = config.models.get(row["model"])
    paths = (spec.invoke_path, spec.health_path) if spec else ("/invocations", "/ping")
    ping = health_url(url, *paths) if url and row["kind"] in HTTP_KINDS else None
    return Target(row["model"], row["location"], row["kind"], host, row["version"], ping)


def targets(outputs: Mapping[str, Any], config: StackConfig) -> list[Target]:
    """One target per edge host, and one per other placement, in the stack's order."""
    urls, host_urls = outputs.get("urls", {}), outputs.get("host_urls", {})
    names = outputs.get("endpoint_names", {})
    found = []
    for row in outputs.get("placements", []):
        model, location = row["model"], row["location"]
        hosts = host_urls.get(model, {}).get(location)
        if hosts:
            found += [_target(row, host, url, config) for host, url in sorted(hosts.items())]
        else:
            endpoint = names.get(model, {}).get(location, "")
            found.append(_target(row, endpoint, urls.get(model, {}).get(location), config))
    return found


def read_deployed(stack: auto.Stack, config: StackConfig) -> Deployed:
    """The stack's outputs and last update, through the Pulumi CLI."""
    try:
        outputs = {key: value.value for key, value in stack.outputs().items()}
        last = stack.info(show_secrets=False)
    except auto.CommandError as exc:
        raise StatusError(f"pulumi: {_last_line(exc)}") from None
    if "placements" not in outputs:
        raise StatusError(f"stack {stack.name!r} has no placements output: run `up` first")
    updated = None
    if last is not None and last.end_time is not None:
        updated = f"{last.end_time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({last.result})"
    return Deployed(stack.name, targets(outputs, config), updated)


def ask(target: Target, config: StackConfig) -> Probe:
    """Ask one target the way its kind allows."""
    if target.url is not None:
        return probe_http(target)
    return probe_cloud(target, config.locations.get(target.location))


def exit_code(probes: Sequence[Probe]) -> int:
    """0 when every asked endpoint is as desired, 1 otherwise (rows not asked do not count)."""
    return EXIT_DRIFT if any(p.as_desired is False for p in probes) else EXIT_OK


def watch(stack: auto.Stack, config: StackConfig, interval_s: float = WATCH_INTERVAL_S) -> int:
    """Re-read the outputs and ask again every ``interval_s`` until Ctrl-C; the last exit code.

    Outputs are re-read each round, so a ``pulumi up`` elsewhere shows as new desired
    versions; an error in one round is shown under the last table, and the next round tries again.
    """
    code, grid = EXIT_ERROR, None
    with contextlib.suppress(KeyboardInterrupt), fleet_view.live_view() as update:
        while True:
            error = None
            try:
                deployed = read_deployed(stack, config)
                probes = probe_all(deployed.targets, functools.partial(ask, config=config))
                grid = fleet_view.table(deployed.stack, deployed.updated, probes)
                code = exit_code(probes)
            except StatusError as exc:
                error, code = str(exc), EXIT_ERROR
            update(fleet_view.refreshed(grid, error, interval_s))
            time.sleep(interval_s)
    return code


def main(
    stack: str, config: StackConfig, fmt: str, watch_: bool, interval_s: float = WATCH_INTERVAL_S
) -> int:
    """Run ``modelfleet status``: once, or refreshed in place until Ctrl-C."""
    if watch_ and fmt == "json":
        print("error: --watch redraws a table; run status without it for JSON", file=sys.stderr)
        return EXIT_ERROR
    try:
        opened = open_stack(stack, project_dir(Path.cwd()))
        if watch_:
            return watch(opened, config, max(interval_s, MIN_INTERVAL_S))
        deployed = read_deployed(opened, config)
        probes = fleet_view.probe_with_progress(
            deployed.targets, functools.partial(ask, config=config)
        )
    except StatusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    fleet_view.show(deployed.stack, deployed.updated, probes, fmt)
    return exit_code(probes)
