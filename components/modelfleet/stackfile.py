"""Turn raw stack config into a :class:`StackConfig`, or into errors with key paths.

The same function serves the Pulumi program (config read through the engine) and
the ``modelfleet`` command (config read from ``stacks/Pulumi.<stack>.yaml``), so a
stack that validates in a pull request validates in ``pulumi up``.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from modelfleet.args import RolloutArgs
from modelfleet.azure_rollout import AzureMLConfigError, rollout_plan
from modelfleet.config import (
    LOCATION_KINDS,
    NAME_PATTERN,
    SENSITIVE,
    AzureLocation,
    EdgeLocation,
    ModelSpec,
    StackConfig,
)

NAMESPACE = "modelfleet"
SECTIONS = ("models", "locations", "placements")


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a stack config: where it is and what is wrong."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ConfigError(Exception):
    """A stack config that must not reach a provider; carries every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("invalid modelfleet config:\n" + "\n".join(f"  {i}" for i in self.issues))


def _segment(key: object) -> str:
    """A key as written in a path; quoted when it holds anything a path or a line cannot."""
    text = str(key)
    if text and text.isprintable() and not any(c in text for c in ".[] "):
        return text
    return json.dumps(text)


def key_path(loc: Sequence[int | str]) -> str:
    """Render a pydantic error location as ``modelfleet:locations.x.hosts[1].docker_host``."""
    section, *rest = loc
    if section == "locations" and len(rest) >= 2 and rest[1] in LOCATION_KINDS:
        rest = [rest[0], *rest[2:]]  # the discriminator pydantic inserts is not a key
    path = f"{NAMESPACE}:{section}"
    for part in rest:
        if part == "[key]":
            continue  # pydantic's marker for "the key itself was invalid"
        path += f"[{part}]" if isinstance(part, int) else f".{_segment(part)}"
    return path


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "union_tag_not_found": "missing `kind` (one of: " + ", ".join(LOCATION_KINDS) + ")",
}


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] in _MESSAGES:
        return _MESSAGES[error["type"]]
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] == NAME_PATTERN:
        return f"{error['input']!r} is not a name: use a DNS label (a-z, 0-9, '-', at most 40)"
    if error["type"] == "union_tag_invalid":
        return f"unknown kind {error['input'].get('kind')!r} (one of: {', '.join(LOCATION_KINDS)})"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def parse(sections: Mapping[str, Any]) -> StackConfig:
    """Validate the three ``modelfleet`` maps; raise :class:`ConfigError` with every issue."""
    try:
        config = StackConfig.model_validate(dict(sections))
    except ValidationError as exc:
        raise ConfigError(
            [ConfigIssue(key_path(e["loc"]), _reason(e)) for e in exc.errors()]
        ) from None
    issues = cross_checks(config)
    if issues:
        raise ConfigError(issues)
    return config


def cross_checks(config: StackConfig) -> list[ConfigIssue]:
    """Checks that span more than one key: references, duplicates, residency, TLS."""
    issues: list[ConfigIssue] = []
    for model_name, locations in config.placements.items():
        if model_name not in config.models:
            issues.append(
                ConfigIssue(f"{NAMESPACE}:placements.{model_name}", "no model of that name")
            )
        seen: set[str] = set()
        for index, location_name in enumerate(locations):
            path = f"{NAMESPACE}:placements.{model_name}[{index}]"
            if location_name not in config.locations:
                issues.append(ConfigIssue(path, f"no location named {location_name!r}"))
            if location_name in seen:
                issues.append(ConfigIssue(path, f"{location_name!r} is listed twice"))
            seen.add(location_name)
    for model_name, model in config.models.items():
        if model.data.classification in SENSITIVE and not model.data.residency:
            issues.append(
                ConfigIssue(
                    f"{NAMESPACE}:models.{model_name}.data.residency",
                    f"required for {model.data.classification.value} data",
                )
            )
    for location_name, location in config.locations.items():
        if isinstance(location, EdgeLocation):
            issues.extend(_edge_issues(location_name, location))
    for model_name, location_names in config.placements.items():
        for location_name in location_names:
            spec, placed_at = config.models.get(model_name), config.locations.get(location_name)
            if spec is not None and isinstance(placed_at, AzureLocation):
                issues.extend(_azure_issues(model_name, spec, location_name, placed_at))
    return issues


def _azure_issues(
    model_name: str, model: ModelSpec, location_name: str, location: AzureLocation
) -> list[ConfigIssue]:
    """What the Azure target would refuse, found before any engine runs."""
    issues: list[ConfigIssue] = []
    if model.secret_env:
        issues.append(
            ConfigIssue(
                f"{NAMESPACE}:models.{model_name}.secret_env",
                f"placed at Azure ML location {location_name!r}, where deployment environment "
                "variables are readable by anyone who can read the workspace",
            )
        )
    if location.rollout is not None:
        rollout: RolloutArgs = {
            "canary_percent": location.rollout.canary_percent,
            "mirror_percent": location.rollout.mirror_percent,
        }
        if location.rollout.previous_version is not None:
            rollout["previous_version"] = location.rollout.previous_version
        try:
            rollout_plan(
                location_name, model.version, rollout, kubernetes=location.compute is not None
            )
        except AzureMLConfigError as error:
            issues.append(ConfigIssue(f"{NAMESPACE}:locations.{location_name}.rollout", str(error)))
    return issues


def _edge_issues(location_name: str, location: EdgeLocation) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    names: set[str] = set()
    for index, host in enumerate(location.hosts):
        path = f"{NAMESPACE}:locations.{location_name}.hosts[{index}]"
        if host.name in names:
            issues.append(ConfigIssue(f"{path}.name", f"duplicate host name {host.name!r}"))
        names.add(host.name)
        is_tcp = host.docker_host.startswith("tcp://")
        if is_tcp and host.tls is None:
            issues.append(
                ConfigIssue(
                    f"{path}.docker_host",
                    "plain tcp:// is refused: add `tls` (ca, cert, key) or use ssh:// or unix://",
                )
            )
        if host.tls is not None and not is_tcp:
            issues.append(ConfigIssue(f"{path}.tls", "tls only applies to tcp:// hosts"))
    return issues


def sections_from_stack_file(document: object) -> dict[str, Any]:
    """Pick the ``modelfleet:*`` keys out of a parsed ``Pulumi.<stack>.yaml``."""
    if not isinstance(document, dict):
        raise ConfigError([ConfigIssue("(file)", "expected a mapping with a `config` key")])
    config = document.get("config", {})
    if not isinstance(config, dict):
        raise ConfigError([ConfigIssue("config", "expected a mapping")])
    sections: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for key, value in config.items():
        namespace, sep, name = str(key).partition(":")
        if namespace != NAMESPACE or not sep:
            continue  # other packages' config (aws:region, ...) is theirs to check
        if name not in SECTIONS:
            issues.append(
                ConfigIssue(
                    f"{NAMESPACE}:{_segment(name)}",
                    f"unknown key (expected one of: {', '.join(SECTIONS)})",
                )
            )
        else:
            sections[name] = value
    if issues:
        raise ConfigError(issues)
    return sections


def load_stack_file(path: Path) -> StackConfig:
    """Read and validate a stack file without the Pulumi engine."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), f"cannot read: {exc.strerror}")]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(
            [ConfigIssue(str(path), f"YAML syntax error{where}: {problem}")]
        ) from None
    return parse(sections_from_stack_file(document))


def find_stack_file(stack: str, start: Path) -> Path:
    """``stacks/Pulumi.<stack>.yaml`` of the project around ``start`` (or a path as given)."""
    candidate = Path(stack)
    if candidate.suffix in {".yaml", ".yml"}:
        return candidate
    for directory in (start, *start.parents):
        project = directory / "Pulumi.yaml"
        if project.is_file():
            config_dir = _stack_config_dir(project)
            return directory / config_dir / f"Pulumi.{stack}.yaml"
    return start / "stacks" / f"Pulumi.{stack}.yaml"


def _stack_config_dir(project_file: Path) -> str:
    try:
        document = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return "."
    value = document.get("stackConfigDir", ".") if isinstance(document, dict) else "."
    return str(value)
