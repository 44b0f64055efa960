"""Azure ML exposure: online endpoints for sensitive data refuse public network access."""

from pulumi_policy import ResourceValidationArgs

from modelfleet import rulebook
from modelfleet.config import SENSITIVE
from modelfleet.policy.declare import MANDATORY, resource_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.labels import declared_classification
from modelfleet.policy.read.props import Unknown, lookup
from modelfleet.policy.read.types import AZURE_ONLINE_ENDPOINT
from modelfleet.policy.read.whereabouts import is_arc


def check_no_public_access(args: ResourceValidationArgs, findings: Findings) -> None:
    if args.resource_type != AZURE_ONLINE_ENDPOINT or is_arc(args.resource_type, args.props):
        return  # an Arc endpoint has no such switch: it is as reachable as its cluster
    classification = declared_classification(
        args.resource_type, args.props, args.name, findings, "it must refuse public traffic"
    )
    if classification not in SENSITIVE:
        return
    access = lookup(args.props, "properties", "publicNetworkAccess")
    if isinstance(access, Unknown):
        findings.unknown(access, args.name)
    elif not isinstance(access, str):
        findings.violation(
            f"{classification} data needs publicNetworkAccess Disabled; "
            "it is not set, and Azure's default is Enabled"
        )
    elif access.lower() != "disabled":
        findings.violation(
            f"{classification} data needs publicNetworkAccess Disabled, not {access!r}"
        )


NO_PUBLIC_ACCESS = resource_policy(
    rulebook.AZURE_NO_PUBLIC_ACCESS,
    level=MANDATORY,
    check=check_no_public_access,
)
