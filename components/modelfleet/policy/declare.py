"""How a policy is declared: its name and description are its rule's (:mod:`modelfleet.rulebook`),
so the pack, the docs and the violations say the same thing.
"""

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from modelfleet.policy.findings import Findings, checked
from modelfleet.rulebook import Rule

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY


def _schema(config: Mapping[str, Any] | None) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(dict(config)) if config is not None else None


def resource_policy(
    rule: Rule,
    *,
    level: EnforcementLevel,
    check: Callable[[ResourceValidationArgs, Findings], None],
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationPolicy:
    """A policy on each resource; what it cannot read yet is named after the resource.

    ``config`` maps each config property to its JSON Schema (with its default).
    """
    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.message,
        enforcement_level=level,
        validate=checked(check, lambda args: args.name),
        config_schema=_schema(config),
    )


def stack_policy(
    rule: Rule,
    *,
    level: EnforcementLevel,
    check: Callable[[StackValidationArgs, Findings], None],
    config: Mapping[str, Any] | None = None,
) -> StackValidationPolicy:
    """A policy on the whole stack; an unknown no check attributed goes to "the stack"."""
    return StackValidationPolicy(
        name=rule.id,
        description=rule.message,
        enforcement_level=level,
        validate=checked(check, lambda _: "the stack"),
        config_schema=_schema(config),
    )
