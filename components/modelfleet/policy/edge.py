"""Edge containers: their Docker engine reached over a secure transport, the container hardened."""

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs

from modelfleet import rulebook
from modelfleet.policy.declare import MANDATORY, resource_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import MODEL, read_labels
from modelfleet.policy.read.props import MISSING, Unknown, is_set, lookup
from modelfleet.policy.read.types import is_dynamic


def is_edge_container(args: ResourceValidationArgs) -> bool:
    """True for an edge container: a dynamic resource with modelfleet labels or inputs."""
    if not is_dynamic(args.resource_type):
        return False
    return lookup(args.props, "docker_host") is not MISSING or (
        isinstance(labels := read_labels(args.resource_type, args.props), dict) and MODEL in labels
    )


def check_docker_host(args: ResourceValidationArgs, findings: Findings) -> None:
    if not is_edge_container(args):
        return
    host = lookup(args.props, "docker_host")
    if isinstance(host, Unknown):
        findings.unknown(host, args.name)
        return
    if not isinstance(host, str) or not host:
        findings.violation("no docker_host: cannot tell how its Docker engine is reached")
        return
    scheme, sep, rest = host.partition("://")
    if not sep or not rest or scheme not in {"unix", "ssh", "tcp"}:
        findings.violation(rulebook.EDGE_DOCKER_HOST_URL.at(f"Docker host {host!r}"))
        return
    if scheme != "tcp":
        return
    tls = lookup(args.props, "tls")
    if isinstance(tls, Unknown):
        findings.unknown(tls, args.name)
    elif not isinstance(tls, Mapping) or not all(
        is_set(lookup(tls, k)) for k in ("ca", "cert", "key")
    ):
        findings.violation(rulebook.EDGE_PLAIN_TCP.at(f"Docker host {host!r}"))


SECURE_TRANSPORT = resource_policy(
    rulebook.EDGE_SECURE_TRANSPORT,
    level=MANDATORY,
    check=check_docker_host,
)


def check_hardened(args: ResourceValidationArgs, findings: Findings) -> None:
    if not is_edge_container(args):
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


HARDENED = resource_policy(
    rulebook.EDGE_HARDENED,
    level=MANDATORY,
    check=check_hardened,
)
