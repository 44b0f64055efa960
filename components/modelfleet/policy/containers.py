"""The checks of the policies on what containers run and how: images pinned and from allowed
registries, edge containers reached over a secure transport and hardened.
"""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from modelfleet.config import image_digest
from modelfleet.policy.resources import (
    MISSING,
    MODEL,
    Findings,
    Unknown,
    images,
    is_dynamic,
    is_set,
    lookup,
    read_labels,
    registry_allowed,
    registry_of,
)
from modelfleet.rules import PolicyConfig

# --- images ---------------------------------------------------------------------------


def image_pinned(args: ResourceValidationArgs, findings: Findings) -> None:
    for which, image in images(args.resource_type, args.props):
        if isinstance(image, Unknown):
            findings.unknown(image, args.name)
        elif not isinstance(image, str) or not image:
            findings.violation(f"{which} names no image")
        elif image_digest(image) is None:
            findings.violation(
                f"{which}: image {image!r} is not pinned by digest (@sha256:<64 hex>)"
            )


def registries_config(config: Mapping[str, Any]) -> PolicyConfig:
    """The registry allow-list of ``image-registry-allowed``'s config (empty: any)."""
    return PolicyConfig.model_validate({"registries": list(config.get("registries", []))})


def image_registry(args: ResourceValidationArgs, findings: Findings) -> None:
    allowed = registries_config(args.get_config()).registries
    for which, image in images(args.resource_type, args.props):
        if isinstance(image, Unknown):
            findings.unknown(image, args.name)
        elif not isinstance(image, str) or not image:
            findings.violation(f"{which} names no image")
        elif not registry_allowed(registry := registry_of(image), allowed):
            findings.violation(
                f"{which}: image {image!r} comes from {registry}, "
                f"which is not an allowed registry ({', '.join(allowed)})"
            )


# --- edge -----------------------------------------------------------------------------


def _edge_labels(args: ResourceValidationArgs) -> bool:
    """True for an edge container: a dynamic resource with modelfleet labels or inputs."""
    if not is_dynamic(args.resource_type):
        return False
    return lookup(args.props, "docker_host") is not MISSING or (
        isinstance(labels := read_labels(args.resource_type, args.props), dict) and MODEL in labels
    )


def docker_host_secure(args: ResourceValidationArgs, findings: Findings) -> None:
    if not _edge_labels(args):
        return
    host = lookup(args.props, "docker_host")
    if isinstance(host, Unknown):
        findings.unknown(host, args.name)
        return
    if not isinstance(host, str) or not host:
        findings.violation("no docker_host: cannot tell how its Docker engine is reached")
        return
    scheme, sep, _ = host.partition("://")
    if not sep or scheme not in {"unix", "ssh", "tcp"}:
        findings.violation(
            f"Docker host {host!r}: expected unix://, ssh:// or tcp:// with mutual TLS"
        )
        return
    if scheme != "tcp":
        return
    tls = lookup(args.props, "tls")
    if isinstance(tls, Unknown):
        findings.unknown(tls, args.name)
    elif not isinstance(tls, Mapping) or not all(
        is_set(lookup(tls, k)) for k in ("ca", "cert", "key")
    ):
        findings.violation(
            f"Docker host {host!r} is plain tcp:// without mutual TLS: anyone who reaches "
            "the port controls the engine (set tls: ca, cert, key; or use ssh://)"
        )


def edge_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
    if not _edge_labels(args):
        return
    privileged = lookup(args.props, "privileged")
    network = lookup(args.props, "network_mode")
    read_only = lookup(args.props, "read_only")
    for value in (privileged, network, read_only):
        if isinstance(value, Unknown):
            findings.unknown(value, args.name)
    if privileged is True:
        findings.violation("the container runs privileged")
    if network == "host":
        findings.violation("the container uses the host network (network_mode: host)")
    if not isinstance(read_only, Unknown) and read_only is not True:
        findings.violation("the container's root filesystem is writable (read_only is not true)")
