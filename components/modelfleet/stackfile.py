"""Turn raw stack config into a :class:`StackConfig`, or into errors with key paths.

The same function serves the Pulumi program (config read through the engine) and
the ``modelfleet`` command (config read from ``stacks/Pulumi.<stack>.yaml``), so a
stack that validates in a pull request validates in ``pulumi up``.
"""

import importlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from modelfleet import rulebook
from modelfleet.config import (
    LOCATION_KINDS,
    NAME_PATTERN,
    SENSITIVE,
    Secret,
    StackConfig,
)
from modelfleet.errors import ConfigError, ConfigIssue
from modelfleet.federation.config import parse_federations, validation_errors
from modelfleet.images import checks as images
from modelfleet.keypaths import NAMESPACE
from modelfleet.keypaths import segment as _segment
from modelfleet.stack_args import location_args, model_args

SECTIONS = ("models", "locations", "placements")
OPTIONAL_SECTIONS = ("federations",)
"""Sections outside :class:`StackConfig`: ``federations`` (modelfleet.federation) is
checked against it, so it is parsed after it."""
PLAINTEXT_OPT_IN = "test_only_plaintext_secrets"
"""The one key that lets a stack file hold secrets in plain text: ``true`` in a stack that
exists only for tests. Named so that no one sets it by accident and a reviewer sees it."""

__all__ = [
    "NAMESPACE",
    "OPTIONAL_SECTIONS",
    "PLAINTEXT_OPT_IN",
    "SECTIONS",
    "ConfigError",
    "ConfigIssue",
    "cross_checks",
    "find_stack_file",
    "load_stack_file",
    "load_stack_sections",
    "notes",
    "parse",
    "plaintext_secrets",
    "sections_from_stack_file",
]


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
    "extra_forbidden": rulebook.UNKNOWN_KEY.text(),
    "missing": rulebook.MISSING_KEY.text(),
    "union_tag_not_found": rulebook.LOCATION_KIND_MISSING.text(kinds=", ".join(LOCATION_KINDS)),
}


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] in _MESSAGES:
        return _MESSAGES[error["type"]]
    if error["type"] == "string_pattern_mismatch" and error["ctx"]["pattern"] == NAME_PATTERN:
        return rulebook.NAME.text(name=error["input"])
    if error["type"] == "union_tag_invalid":
        kind = error["input"].get("kind")
        return rulebook.LOCATION_KIND_UNKNOWN.text(kind=kind, kinds=", ".join(LOCATION_KINDS))
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def parse(
    sections: Mapping[str, Any],
    *,
    decrypted: bool = True,
    secret_sections: Collection[str] | None = None,
    stack: str | None = None,
) -> StackConfig:
    """Validate the three ``modelfleet`` maps; raise :class:`ConfigError` with every issue.

    ``decrypted``: the values come from the engine, which decrypts secrets before the
    program sees them; ``secret_sections`` then names the sections the engine holds a
    secret in, and a secret-typed key in any other section was set in clear. ``False``
    for a stack file read as it is on disk, where every secret-typed key in plain text
    is refused. A stack for tests opts out with :data:`PLAINTEXT_OPT_IN`. ``stack``, the
    stack's name, decides the rules that depend on it (a prod-like stack pins by digest).
    """
    sections = dict(sections)
    opted_in = sections.pop(PLAINTEXT_OPT_IN, False) is True
    federations = sections.pop("federations", None)
    try:
        config = StackConfig.model_validate(sections)
    except ValidationError as exc:
        raise ConfigError(
            [ConfigIssue(key_path(e["loc"]), _reason(e)) for e in exc.errors()]
        ) from None
    issues = cross_checks(config) + _federation_issues(federations, config, decrypted)
    if not opted_in:
        issues = _in_clear(config, federations, decrypted, secret_sections) + issues
    if stack is not None:
        issues += [
            issue
            for name, model in config.models.items()
            for issue in images.digest_issues(name, model.image, stack)
        ]
    if issues:
        raise ConfigError(issues)
    return config


def _federation_issues(raw: object, config: StackConfig, decrypted: bool) -> list[ConfigIssue]:
    """Shape and references of ``modelfleet:federations``; the program also needs its TLS."""
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return [ConfigIssue(f"{NAMESPACE}:federations", "expected a mapping of federation names")]
    from modelfleet.federation import validate  # it builds on this module: imported here

    return validate.check(raw, config, deploying=decrypted)


def _in_clear(
    config: StackConfig,
    federations: object,
    decrypted: bool,
    secret_sections: Collection[str] | None,
) -> list[ConfigIssue]:
    found = plaintext_secrets(config) + _federation_secrets(federations)
    if not decrypted:
        return found
    if secret_sections is None:
        return []
    held = {f"{NAMESPACE}:{section}" for section in secret_sections}
    return [issue for issue in found if issue.path.split(".")[0] not in held]


def _federation_secrets(raw: object) -> list[ConfigIssue]:
    """Plain-text secrets (the SuperLink's TLS key) in a federations map that parses."""
    if not isinstance(raw, Mapping) or validation_errors(raw):
        return []
    return [
        ConfigIssue(path, rulebook.SECRET_IN_PLAINTEXT.text(path=path))
        for path, secret in _secrets(parse_federations(raw), f"{NAMESPACE}:federations")
        if secret.ciphertext is None
    ]


def _secrets(value: object, path: str) -> Iterator[tuple[str, Secret]]:
    """Every secret-typed value under ``value``, with its key path."""
    if isinstance(value, Secret):
        yield path, value
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            yield from _secrets(getattr(value, field), f"{path}.{_segment(field)}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secrets(item, f"{path}.{_segment(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secrets(item, f"{path}[{index}]")


def plaintext_secrets(config: StackConfig) -> list[ConfigIssue]:
    """Secret-typed keys (TLS keys, secret_env, passwords, kubeconfigs) not encrypted."""
    return [
        ConfigIssue(path, rulebook.SECRET_IN_PLAINTEXT.text(path=path))
        for section in SECTIONS
        for path, secret in _secrets(getattr(config, section), f"{NAMESPACE}:{section}")
        if secret.ciphertext is None
    ]


def cross_checks(config: StackConfig) -> list[ConfigIssue]:
    """Checks that span more than one key: references, duplicates, residency, targets."""
    issues: list[ConfigIssue] = []
    for model_name, locations in config.placements.items():
        if model_name not in config.models:
            path = f"{NAMESPACE}:placements.{model_name}"
            issues.append(ConfigIssue(path, rulebook.PLACEMENT_MODEL.text()))
        seen: set[str] = set()
        for index, location_name in enumerate(locations):
            path = f"{NAMESPACE}:placements.{model_name}[{index}]"
            if location_name not in config.locations:
                reason = rulebook.PLACEMENT_LOCATION.text(location=location_name)
                issues.append(ConfigIssue(path, reason))
            if location_name in seen:
                reason = rulebook.PLACEMENT_TWICE.text(location=location_name)
                issues.append(ConfigIssue(path, reason))
            seen.add(location_name)
    for model_name, model in config.models.items():
        if model.data.classification in SENSITIVE and not model.data.residency:
            classification = model.data.classification.value
            issues.append(
                ConfigIssue(
                    f"{NAMESPACE}:models.{model_name}.data.residency",
                    rulebook.RESIDENCY_REQUIRED.text(classification=classification),
                )
            )
    return issues + target_checks(config)


def _not_secret(_: Secret) -> str:
    return "(secret)"


def target_checks(config: StackConfig) -> list[ConfigIssue]:
    """The rules each target checks when it is built, run here on the args it would get.

    One function per rule, in ``modelfleet.targets.<kind>.checks``, called from both
    places: a stack that validates is a stack every target builds.
    """
    issues: list[ConfigIssue] = []
    locations = {n: location_args(n, loc, _not_secret) for n, loc in config.locations.items()}
    for location in locations.values():
        issues += _checks(location["kind"]).location_issues(location[location["kind"]])  # type: ignore[literal-required]
    for model_name, location_names in config.placements.items():
        if model_name not in config.models:
            continue
        model = model_args(model_name, config.models[model_name], _not_secret)
        for location in (locations[n] for n in dict.fromkeys(location_names) if n in locations):
            kind = location["kind"]
            found = _checks(kind).issues(model, location[kind])  # type: ignore[literal-required]
            issues += [issue for issue in found if issue not in issues]
    return issues + _placement_checks(config, locations)


def _placement_checks(config: StackConfig, locations: dict[str, Any]) -> list[ConfigIssue]:
    """The rules about all models placed at one location, for targets that have any."""
    placed: dict[str, list[str]] = {name: [] for name in locations}
    for model_name, location_names in config.placements.items():
        for name in dict.fromkeys(location_names):
            if name in placed and model_name in config.models:
                placed[name].append(model_name)
    issues: list[ConfigIssue] = []
    for name, location in locations.items():
        check = getattr(_checks(location["kind"]), "placement_issues", None)
        if check is not None:
            issues += check(location[location["kind"]], placed[name])
    return issues


def notes(config: StackConfig) -> list[ConfigIssue]:
    """Keys set for a model that a target it is placed at does not use (see ``unused``)."""
    said: list[ConfigIssue] = []
    for model_name, location_names in config.placements.items():
        model = model_args(model_name, config.models[model_name], _not_secret)
        for location_name in dict.fromkeys(location_names):
            location = location_args(location_name, config.locations[location_name], _not_secret)
            kind = location["kind"]
            found = _checks(kind).notes(model, location[kind])  # type: ignore[literal-required]
            said += [note for note in found if note not in said]
    return said


def _checks(kind: str) -> Any:
    return importlib.import_module(f"modelfleet.targets.{kind}.checks")


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
        if name not in (*SECTIONS, *OPTIONAL_SECTIONS, PLAINTEXT_OPT_IN):
            known = ", ".join((*SECTIONS, *OPTIONAL_SECTIONS))
            issues.append(
                ConfigIssue(
                    f"{NAMESPACE}:{_segment(name)}", rulebook.UNKNOWN_SECTION.text(sections=known)
                )
            )
        else:
            sections[name] = value
    if issues:
        raise ConfigError(issues)
    return sections


def load_stack_file(path: Path) -> StackConfig:
    """Read and validate a stack file without the Pulumi engine (secrets still encrypted)."""
    return parse(load_stack_sections(path), decrypted=False, stack=stack_name(path))


def load_stack_sections(path: Path) -> dict[str, Any]:
    """The raw ``modelfleet:*`` sections of a stack file, for :func:`parse` (and, since
    ``federations`` is not part of :class:`StackConfig`, for whoever reads that too)."""
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
    return sections_from_stack_file(document)


def stack_name(path: Path) -> str | None:
    """The stack a ``Pulumi.<stack>.yaml`` configures; None for a file named otherwise."""
    name = path.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix):
            return name.removeprefix("Pulumi.").removesuffix(suffix) or None
    return None


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
