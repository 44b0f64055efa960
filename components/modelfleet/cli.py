"""The ``modelfleet`` command: check stack config in a pull request, without the engine.

Exit codes: 0 valid (and, for ``plan``, every placement and federation allowed); 1 some
placement or federation refused; 2 invalid config, one ``error: <key path>: <reason>``
line per problem. ``validate`` also prints a ``note: <key path>: ...`` line for each key
a target does not use (SageMaker sizes by instance type, not ``resources.cpu``), and
still exits 0. ``validate`` refuses a federation outside its model's residency (exit 2);
``plan`` shows it REFUSED in the federation table with its key path (exit 1).
``federate`` runs a deployed federation (``modelfleet.federation.runner``).
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import TypeAdapter

from modelfleet.config import StackConfig
from modelfleet.federation import placement as federation_placement
from modelfleet.federation import validate as federation_validate
from modelfleet.federation.config import Federations, parse_federations
from modelfleet.federation.placement import FederationVerdict
from modelfleet.policy.pack_config import policy_config
from modelfleet.rollout_width import rollout_width
from modelfleet.rules import PolicyConfig, Verdict, plan
from modelfleet.stackfile import (
    ConfigError,
    ConfigIssue,
    find_stack_file,
    key_path,
    load_stack_sections,
    notes,
    parse,
    stack_name,
)

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
    commands.add_parser(
        "federate",
        add_help=False,
        help="run a deployed federation, then build the next serving image "
        "(--stack NAME --federation F --version V)",
    )
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
        (v.model, v.location, v.kind, v.jurisdiction, v.image, _verdict(v.allowed, v.reason))
        for v in verdicts
    ]
    return _grid(header, rows, markdown)


def render_federation_table(verdicts: Sequence[FederationVerdict], markdown: bool) -> str:
    """The federation table: each federation's aggregator, then its sites, and verdicts."""
    if not markdown:
        return federation_placement.federation_table(list(verdicts))
    return _grid(federation_placement.HEADER, federation_placement.rows(verdicts), markdown)


def render_rollout(config: StackConfig) -> str | None:
    """How many edge containers swap at once, and the ``--parallel`` that lets them; None
    for a stack without edge placements."""
    width = rollout_width(config)
    if not width.swaps:
        return None
    return (
        f"edge rollout: up to {width.swaps} containers swap at once; "
        f"with the pulumi CLI run pulumi up --parallel {width.parallel}"
    )


def _verdict(allowed: bool, reason: str) -> str:
    return "allowed" if allowed else f"REFUSED: {reason}"


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
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
    defs = dict(inner.get("$defs", {}))
    federations = TypeAdapter(Federations).json_schema(ref_template="#/$defs/{model}")
    defs.update(federations.pop("$defs", {}))
    sections["modelfleet:federations"] = {
        "title": "Federations",
        "description": "Federated training: each trains a model at its sites and "
        "aggregates at one location (docs/federation.md).",
        **federations,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "modelfleet stack file",
        "type": "object",
        "properties": {"config": {"type": "object", "properties": sections}},
        "$defs": defs,
    }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["federate"]:
        from modelfleet.federation import runner  # the engine and Docker load only here

        return runner.main(arguments[1:])
    args = _parser().parse_args(arguments)
    if args.command == "schema":
        print(json.dumps(stack_file_schema(), indent=2))
        return EXIT_OK
    try:
        path = find_stack_file(args.stack, Path.cwd())
        sections = load_stack_sections(path)
        config = parse(sections, decrypted=False, stack=stack_name(path))
        federations = parse_federations(sections.get("federations"))
        if args.command == "validate":
            return _validate(config, sections.get("federations"))
        if args.command == "status":
            from modelfleet import fleet_status  # rich and the probes load only when used

            return fleet_status.main(args.stack, config, args.format, args.watch, args.interval)
        policy = load_policy_config(args.policy_config)
        verdicts = plan(config, policy)
    except ConfigError as exc:
        return _invalid(exc.issues)
    if args.command == "graph":
        from modelfleet import fleet_graph  # graphviz loads only when drawing

        return fleet_graph.write(config, verdicts, args.format, args.stack, sys.stdout.buffer)
    return _plan(config, federations, verdicts, policy, markdown=args.format == "markdown")


def _invalid(issues: Sequence[ConfigIssue]) -> int:
    for issue in issues:
        print(f"error: {issue}", file=sys.stderr)
    return EXIT_INVALID


def _validate(config: StackConfig, raw_federations: object) -> int:
    """``validate``: notes, then the federations' placement rules (refusals exit 2)."""
    raw = raw_federations if isinstance(raw_federations, dict) else {}
    refused = federation_validate.placement_issues(raw, config, PolicyConfig())
    if refused:
        return _invalid(refused)
    for note in [*notes(config), *federation_validate.notes(raw)]:
        print(f"note: {note}", file=sys.stderr)
    federations = f", {len(raw)} federations" if raw else ""
    print(f"ok: {len(config.models)} models, {len(config.locations)} locations{federations}")
    return EXIT_OK


def _plan(
    config: StackConfig,
    federations: Federations,
    verdicts: Sequence[Verdict],
    policy: PolicyConfig,
    markdown: bool,
) -> int:
    """The placement table, the federation table beside it; exit 1 on any refusal."""
    federated = [
        verdict
        for name, spec in federations.items()
        for verdict in federation_placement.plan_federation(name, spec, config, policy)
    ]
    print(render_table(verdicts, markdown))
    if federated:
        print()
        print(render_federation_table(federated, markdown))
    rollout = render_rollout(config)
    if rollout:
        print()
        print(rollout)
    for verdict in federated:
        if not verdict.allowed:
            path = key_path(("federations", verdict.federation, *verdict.keys))
            print(f"refused: {path}: {verdict.reason}", file=sys.stderr)
    allowed = all(v.allowed for v in verdicts) and all(v.allowed for v in federated)
    return EXIT_OK if allowed else EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
