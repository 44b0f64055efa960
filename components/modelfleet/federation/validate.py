"""``validate`` for ``modelfleet:federations``: every problem with its key path.

Shape errors come from pydantic (:mod:`.config`); cross checks need the rest of the
stack: the model and locations a federation names, which kinds can run it, and the
placement rules of :mod:`modelfleet.rules` for the aggregator and every site.
"""

from collections.abc import Mapping
from typing import Any

from modelfleet.config import EdgeLocation, KubernetesLocation, StackConfig
from modelfleet.federation.config import (
    FederationSpec,
    SiteSpec,
    parse_federations,
    validation_errors,
)
from modelfleet.federation.placement import plan_federation
from modelfleet.rules import PolicyConfig
from modelfleet.stackfile import ConfigIssue, key_path

SECTION = "federations"
AGGREGATOR_KINDS = ("edge",)
"""Kinds this version runs a SuperLink on."""
SITE_KINDS = ("edge", "kubernetes")
"""Kinds this version runs a SuperNode on."""


def validate(
    raw: Mapping[str, Any] | None, stack: StackConfig, policy: PolicyConfig | None = None
) -> list[ConfigIssue]:
    """Every problem of ``raw`` (the ``modelfleet:federations`` map) within ``stack``."""
    errors = validation_errors(raw)
    if errors:
        return [ConfigIssue(key_path((SECTION, *e["loc"])), _reason(e)) for e in errors]
    issues: list[ConfigIssue] = []
    for name, spec in parse_federations(raw).items():
        issues += _references(name, spec, stack)
    if issues:
        return issues
    for name, spec in parse_federations(raw).items():
        for verdict in plan_federation(name, spec, stack, policy or PolicyConfig()):
            if not verdict.allowed:
                issues.append(ConfigIssue(_path(name, *verdict.keys), verdict.reason))
    return issues


def _path(federation: str, *keys: str) -> str:
    return key_path((SECTION, federation, *keys))


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def _references(name: str, spec: FederationSpec, stack: StackConfig) -> list[ConfigIssue]:
    issues = []
    if spec.model not in stack.models:
        known = ", ".join(sorted(stack.models)) or "none"
        issues.append(ConfigIssue(_path(name, "model"), f"unknown model {spec.model!r} ({known})"))
    roles: list[tuple[tuple[str, ...], str, str | None]] = [
        (("aggregator",), spec.aggregator, spec.aggregator_host)
    ]
    roles += [(("sites", site), site, s.host) for site, s in spec.sites.items()]
    for keys, location_name, host in roles:
        issues += _location_issues(name, keys, location_name, host, stack)
    for site, site_spec in spec.sites.items():
        location = stack.locations.get(site)
        if location is not None:
            issues += _data_issues(_path(name, "sites", site), location, site_spec)
    if spec.required_clients > len(spec.sites):
        issues.append(
            ConfigIssue(
                _path(name, "min_clients"),
                f"{spec.required_clients} exceeds the federation's {len(spec.sites)} site(s)",
            )
        )
    return issues


def _location_issues(
    name: str, keys: tuple[str, ...], location_name: str, host: str | None, stack: StackConfig
) -> list[ConfigIssue]:
    location = stack.locations.get(location_name)
    path = _path(name, *keys)
    if location is None:
        known = ", ".join(sorted(stack.locations)) or "none"
        return [ConfigIssue(path, f"unknown location {location_name!r} ({known})")]
    kinds = AGGREGATOR_KINDS if keys == ("aggregator",) else SITE_KINDS
    if location.kind not in kinds:
        role = "an aggregator" if keys == ("aggregator",) else "a site"
        return [
            ConfigIssue(
                path,
                f"location {location_name!r} is of kind {location.kind}; this version runs "
                f"{role} on {' or '.join(kinds)} locations only",
            )
        ]
    if not isinstance(location, EdgeLocation):
        return []
    hosts = [h.name for h in location.hosts]
    if host is not None and host not in hosts:
        host_keys = ("aggregator_host",) if keys == ("aggregator",) else (*keys, "host")
        reason = f"unknown host {host!r} of {location_name} ({', '.join(hosts)})"
        return [ConfigIssue(_path(name, *host_keys), reason)]
    return []


def _data_issues(path: str, location: object, site: SiteSpec) -> list[ConfigIssue]:
    """Edge sites name a file on the host; Kubernetes sites a claim: each only its own key."""
    if isinstance(location, KubernetesLocation):
        wrong = [key for key in ("data", "host") if getattr(site, key) is not None]
        missing = [] if site.claim is not None else ["claim"]
        kind = "a kubernetes"
    elif isinstance(location, EdgeLocation):
        wrong = ["claim"] if site.claim is not None else []
        missing = [] if site.data is not None else ["data"]
        kind = "an edge"
    else:
        return []
    return [
        *(ConfigIssue(f"{path}.{key}", f"required for {kind} site") for key in missing),
        *(ConfigIssue(f"{path}.{key}", f"not used by {kind} site") for key in wrong),
    ]
