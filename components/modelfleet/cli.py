"""The ``modelfleet`` command: check stack config in a pull request, without the engine.

Exit codes: 0 valid (and, for ``plan``, every placement allowed); 1 some placement
refused; 2 invalid config, one ``error: <key path>: <reason>`` line per problem.
``validate`` also prints a ``note: <key path>: ...`` line for each key a target does
not use (SageMaker sizes by instance type, not ``resources.cpu``), and still exits 0.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from modelfleet.config import StackConfig
from modelfleet.policy.pack_config import policy_config
from modelfleet.rules import PolicyConfig, Verdict, plan
from modelfleet.stackfile import ConfigError, ConfigIssue, find_stack_file, load_stack_file, notes

EXIT_OK, EXIT_REFUSED, EXIT_INVALID = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelfleet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a stack config")
    validate.add_argument("--stack", required=True, help="stack name or path to a stack file")
    plan_cmd = commands.add_parser("plan", help="print the placement table and verdicts")
    plan_cmd.add_argument("--stack", required=True, help="stack name or path to a stack file")
    plan_cmd.add_argument("--policy-config", type=Path, help="YAML/JSON policy config")
    plan_cmd.add_argument("--format", choices=("table", "markdown"), default="table")
    commands.add_parser("schema", help="print the JSON Schema of the modelfleet config")
    graph = commands.add_parser("graph", help="draw models, locations and verdicts")
    graph.add_argument("--stack", required=True, help="stack name or path to a stack file")
    graph.add_argument("--policy-config", type=Path, help="YAML/JSON policy config")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid")
    status = commands.add_parser("status", help="desired vs running version per endpoint")
    status.add_argument("--stack", required=True, help="stack name")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument("--watch", action="store_true", help="refresh in place until Ctrl-C")
    status.add_argument("--interval", type=float, default=5.0, help="seconds between refreshes")
    return parser


def load_policy_config(path: Path | None) -> PolicyConfig:
    """Read the policy pack's config file (the one ``pulumi preview`` is given).

    Its problems are reported like stack config problems: one line each, no traceback.
    """
    if path is None:
        return PolicyConfig()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), f"cannot read: {exc.strerror}")]) from None
    except yaml.YAMLError:
        raise ConfigError([ConfigIssue(str(path), "YAML/JSON syntax error")]) from None
    if not isinstance(document, dict):
        raise ConfigError([ConfigIssue(str(path), "expected a mapping of policy names")])
    try:
        return policy_config(document)
    except ValueError as exc:
        reasons = str(exc).removeprefix("invalid policy config: ").split("; ")
        raise ConfigError([ConfigIssue(str(path), reason) for reason in reasons]) from None


def render_table(verdicts: Sequence[Verdict], markdown: bool) -> str:
    """The placement table: model, location, kind, jurisdiction, image, verdict."""
    header = ("model", "location", "kind", "jurisdiction", "image", "verdict")
    rows = [
        (
            v.model,
            v.location,
            v.kind,
            v.jurisdiction,
            v.image,
            "allowed" if v.allowed else f"REFUSED: {v.reason}",
        )
        for v in verdicts
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += [
            "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows
        ]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def stack_file_schema() -> dict[str, object]:
    """JSON Schema of a ``Pulumi.<stack>.yaml``: the ``modelfleet:*`` keys under ``config``."""
    inner = StackConfig.model_json_schema()
    sections = {f"modelfleet:{key}": value for key, value in inner["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "modelfleet stack file",
        "type": "object",
        "properties": {"config": {"type": "object", "properties": sections}},
        "$defs": inner.get("$defs", {}),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        print(json.dumps(stack_file_schema(), indent=2))
        return EXIT_OK
    try:
        config = load_stack_file(find_stack_file(args.stack, Path.cwd()))
        if args.command == "validate":
            for note in notes(config):
                print(f"note: {note}", file=sys.stderr)
            print(f"ok: {len(config.models)} models, {len(config.locations)} locations")
            return EXIT_OK
        if args.command == "status":
            from modelfleet import fleet_status  # rich and the probes load only when used

            return fleet_status.main(args.stack, config, args.format, args.watch, args.interval)
        verdicts = plan(config, load_policy_config(args.policy_config))
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"error: {issue}", file=sys.stderr)
        return EXIT_INVALID
    if args.command == "graph":
        from modelfleet import fleet_graph  # graphviz loads only when drawing

        return fleet_graph.write(config, verdicts, args.format, args.stack, sys.stdout.buffer)
    print(render_table(verdicts, markdown=args.format == "markdown"))
    return EXIT_OK if all(v.allowed for v in verdicts) else EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
