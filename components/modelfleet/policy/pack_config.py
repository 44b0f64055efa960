"""Policy config files (``--policy-pack-config``): their schema, what they set for each
policy (as the engine works it out), and what ``modelfleet plan`` reads from them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from modelfleet import rulebook
from modelfleet.policy.images import registries_config
from modelfleet.policy.pack import BY_NAME, LEVELS, PACK_NAME, POLICIES
from modelfleet.policy.residency import residency_config
from modelfleet.rules import PolicyConfig


def pack_config_schema() -> dict[str, Any]:
    """JSON Schema of a policy config file (``--policy-pack-config``) for this pack."""
    level = {"type": "string", "enum": list(LEVELS)}

    def entry(properties: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "oneOf": [
                level,
                {
                    "type": "object",
                    "properties": {"enforcementLevel": level, **properties},
                    "additionalProperties": False,
                },
            ]
        }

    entries = {"all": entry({})}
    for policy in POLICIES:
        entries[policy.name] = entry(_schema_properties(policy))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{PACK_NAME} policy pack config",
        "type": "object",
        "properties": entries,
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class PolicySettings:
    """What a policy config gives one policy: its enforcement level and its properties."""

    enforcement: str
    properties: dict[str, Any]


def reconcile(document: Mapping[str, Any]) -> dict[str, PolicySettings]:
    """Each policy's settings under a policy config file, as the engine works them out.

    The policy's own level and its schema's defaults first, then ``all``'s level, then
    the policy's own entry (Pulumi's ``ReconcilePolicyPackConfig``). Stricter than the
    engine: an unknown policy or property is an error, not ignored.
    """
    errors: list[str] = []
    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for key, value in document.items():
        if key != "all" and key not in BY_NAME:
            errors.append(f"{key}: no policy of that name (policies: {', '.join(BY_NAME)})")
            continue
        level: str | None
        if isinstance(value, str):
            level, properties = value, {}
        elif isinstance(value, Mapping):
            level = value.get("enforcementLevel")
            properties = {k: v for k, v in value.items() if k != "enforcementLevel"}
        else:
            errors.append(f"{key}: expected an enforcement level or an object")
            continue
        if level is not None and level not in LEVELS:
            errors.append(f"{key}: {level!r} is not an enforcement level ({', '.join(LEVELS)})")
        known = _schema_properties(BY_NAME[key]) if key in BY_NAME else {}
        errors += [f"{key}.{name}: unknown property" for name in properties if name not in known]
        parsed[key] = (level, properties)
    if errors:
        raise ValueError("invalid policy config: " + "; ".join(errors))

    settings: dict[str, PolicySettings] = {}
    all_level = parsed.get("all", (None, {}))[0]
    for policy in POLICIES:
        schema = _schema_properties(policy)
        defaults = {k: v["default"] for k, v in schema.items() if "default" in v}
        own_level, own_properties = parsed.get(policy.name, (None, {}))
        default_level = policy.enforcement_level or EnforcementLevel.ADVISORY
        level = own_level or all_level or default_level.value
        settings[policy.name] = PolicySettings(level, {**defaults, **own_properties})
    residency_config(
        settings[rulebook.RESIDENCY.id].properties
    )  # pydantic checks both, key paths and all
    registries_config(settings[rulebook.IMAGE_REGISTRY.id].properties)
    return settings


def _schema_properties(policy: Policy) -> dict[str, dict[str, Any]]:
    return policy.config_schema.properties if policy.config_schema is not None else {}


def policy_config(document: Mapping[str, Any]) -> PolicyConfig:
    """A policy config file as :class:`modelfleet.rules.PolicyConfig`, for ``modelfleet plan``.

    No policy here remediates, so ``remediate`` acts as ``mandatory`` (as the engine
    treats a violation it could not remediate).
    """
    settings = reconcile(document)
    return PolicyConfig.model_validate(
        {
            **residency_config(settings[rulebook.RESIDENCY.id].properties).model_dump(
                include={"allowed_jurisdictions"}
            ),
            "registries": registries_config(
                settings[rulebook.IMAGE_REGISTRY.id].properties
            ).registries,
            "enforcement": {
                name: "mandatory" if s.enforcement == "remediate" else s.enforcement
                for name, s in settings.items()
            },
        }
    )
