"""``validate`` for ``modelfleet:federations``: every problem with its key path.

Shape errors come from pydantic (:mod:`.config`); cross checks need the rest of the
stack: the model and locations a federation names, which kinds can run it, and the
placement rules of :mod:`modelfleet.rules` for the aggregator and every site.
"""

from collections.abc import Mapping
from typing import Any

from modelfleet import rulebook
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
    """Every problem of ``raw`` (the ``modelfleet:federations`` map) within ``stack``.

    What the program checks before it makes any resource: :func:`check` for a deploy,
    then, once every reference holds, :func:`placement_issues`.
    """
    issues = check(raw, stack, deploying=True)
    return issues or placement_issues(raw, stack, policy or PolicyConfig())


def check(
    raw: Mapping[str, Any] | None, stack: StackConfig, *, deploying: bool
) -> list[ConfigIssue]:
    """Shape and references: the federations' part of ``parse``, without the placement rules.

    ``deploying``: the program, which needs the SuperLink's TLS; a stack file on disk may
    leave it to ``pulumi config set`` (:func:`notes` says so).
    """
    errors = validation_errors(raw)
    if errors:
        return [ConfigIssue(key_path((SECTION, *e["loc"])), _reason(e)) for e in errors]
    issues: list[ConfigIssue] = []
    for name, spec in parse_federations(raw).items():
        issues += _references(name, spec, stack)
    return issues + (notes(raw) if deploying else [])


def notes(raw: Mapping[str, Any] | None) -> list[ConfigIssue]:
    """Federations whose TLS is not set yet (a stack file before ``pulumi config set``)."""
    return [
        ConfigIssue(path, rulebook.FEDERATION_TLS.text(path=path))
        for name, spec in parse_federations(raw).items()
        if spec.tls is None
        for path in [_path(name, "tls")]
    ]


def placement_issues(
    raw: Mapping[str, Any] | None, stack: StackConfig, policy: PolicyConfig
) -> list[ConfigIssue]:
    """The aggregator and every site judged like a placement, refusals at their key paths."""
    return [
        ConfigIssue(_path(name, *verdict.keys), verdict.reason)
        for name, spec in parse_federations(raw).items()
        for verdict in plan_federation(name, spec, stack, policy)
        if not verdict.allowed
    ]


def _path(federation: str, *keys: str) -> str:
    return key_path((SECTION, federation, *keys))


def _reason(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return rulebook.UNKNOWN_KEY.text()
    if error["type"] == "missing":
        return rulebook.MISSING_KEY.text()
    return str(error["msg"]).removeprefix("Value error, ")


def _references(name: str, spec: FederationSpec, stack: StackConfig) -> list[ConfigIssue]:
    issues = []
    if spec.model not in stack.models:
        known = ", ".join(sorted(stack.models)) or "none"
        reason = rulebook.FEDERATION_MODEL.text(model=spec.model, known=known)
        issues.append(ConfigIssue(_path(name, "model"), reason))
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
                rulebook.FEDERATION_MIN_CLIENTS.text(
                    required=spec.required_clients, sites=len(spec.sites)
                ),
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
        return [
            ConfigIssue(
                path, rulebook.FEDERATION_LOCATION.text(location=location_name, known=known)
            )
        ]
    kinds = AGGREGATOR_KINDS if keys == ("aggregator",) else SITE_KINDS
    if location.kind not in kinds:
        role = "an aggregator" if keys == ("aggregator",) else "a site"
        reason = rulebook.FEDERATION_KIND.text(
            location=location_name, kind=location.kind, role=role, kinds=" or ".join(kinds)
        )
        return [ConfigIssue(path, reason)]
    if not isinstance(location, EdgeLocation):
        return []
    hosts = [h.name for h in location.hosts]
    if host is not None and host not in hosts:
        host_keys = ("aggregator_host",) if keys == ("aggregator",) else (*keys, "host")
        reason = rulebook.FEDERATION_HOST.text(
            host=host, location=location_name, hosts=", ".join(hosts)
        )
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
        *(
            ConfigIssue(f"{path}.{key}", rulebook.FEDERATION_SITE_DATA.text(kind=kind))
            for key in missing
        ),
        *(
            ConfigIssue(f"{path}.{key}", rulebook.FEDERATION_SITE_KEY_UNUSED.text(kind=kind))
            for key in wrong
        ),
    ]
