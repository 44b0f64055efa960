"""Run a modelfleet stack through Pulumi's Automation API, with the program in-process.

For projects that drive modelfleet from their own code: an Automation API *inline*
program runs :func:`modelfleet.program.run` on the same project and stack files as
``pulumi up -s NAME``, without the Python language host. ``make up`` uses this module
only where no language host exists (``scripts/install-pulumi`` says so).

Usage: ``python -m modelfleet.automation {up,preview,refresh,destroy,outputs} --stack NAME``
"""

import argparse
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pulumi import automation as auto

from modelfleet.program import collect_less_often, run
from modelfleet.rollout_width import rollout_width
from modelfleet.stackfile import ConfigError, find_stack_file, load_stack_file

PROJECT = "modelfleet"
LOCAL_PASSPHRASE = "modelfleet-local"  # noqa: S105 - guards no real secret
"""The `local` stack's passphrase: it guards no real secret, and its salt is committed."""
NO_PULUMI = (
    "error: no `pulumi` on PATH: run `make engine`, then "
    '`export PATH="$(scripts/install-pulumi | tail -1):$PATH"`'
)


def engine_env(state_dir: Path, passphrase: str) -> dict[str, str]:
    """Environment for the engine: a file backend, no network, this venv's Python first.

    Dynamic providers (the edge containers) are started by the engine as
    ``python3 -m pulumi.dynamic``, so this interpreter's directory leads PATH.
    """
    return {
        "PULUMI_BACKEND_URL": state_dir.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }


def select_stack(
    stack: str,
    project_dir: Path,
    state_dir: Path,
    passphrase: str = LOCAL_PASSPHRASE,
    extra_env: Mapping[str, str] | None = None,
) -> auto.Stack:
    """The stack ``stack`` of the project in ``project_dir``, created on first use."""
    state_dir.mkdir(parents=True, exist_ok=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        env_vars={**engine_env(state_dir, passphrase), **(extra_env or {})},
    )
    return auto.create_or_select_stack(
        stack_name=stack, project_name=PROJECT, program=run, opts=options
    )


def engine_parallel(stack: str, project_dir: Path) -> int | None:
    """``--parallel`` wide enough for the stack's edge sites to swap as many hosts at once as
    their ``rollout.max_parallel`` allows; None (the engine's default) when the stack file
    is invalid, which the program then reports key by key."""
    try:
        return rollout_width(load_stack_file(find_stack_file(stack, project_dir))).parallel
    except ConfigError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelfleet.automation", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=("up", "preview", "refresh", "destroy", "outputs"))
    parser.add_argument("--stack", default="local")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--state-dir", type=Path, default=Path.cwd() / ".pulumi-state")
    parser.add_argument("--policy-pack", action="append", default=[], help="policy pack directory")
    args = parser.parse_args(argv)
    if shutil.which("pulumi") is None:
        print(NO_PULUMI, file=sys.stderr)
        return 2
    collect_less_often()
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE", LOCAL_PASSPHRASE)
    stack = select_stack(args.stack, args.project_dir, args.state_dir, passphrase)
    packs = [str(Path(p).resolve()) for p in args.policy_pack]
    parallel = engine_parallel(args.stack, args.project_dir)
    try:
        if args.command == "up":
            stack.up(policy_packs=packs, parallel=parallel, on_output=print)
        elif args.command == "preview":
            stack.preview(policy_packs=packs, parallel=parallel, diff=True, on_output=print)
        elif args.command == "refresh":
            stack.refresh(parallel=parallel, on_output=print)
        elif args.command == "destroy":
            stack.destroy(parallel=parallel, on_output=print)
    except auto.ConcurrentUpdateError as error:
        # The engine prints this refusal on its stderr, which on_output does not carry.
        print(f"stack {args.stack} is locked by another update: {error}", file=sys.stderr)
        return 1
    except auto.CommandError:
        return 1  # the engine already printed why
    for key, value in stack.outputs().items():
        print(f"{key}: {value.value!r}" if not value.secret else f"{key}: [secret]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
