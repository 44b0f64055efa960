"""image-same-digest: one model version runs one image digest at every placement.

Each location may pull from its own registry (ECR per region, ACR, a cluster's mirror, an
edge site's cache); the digest is what runs, so it must be the same everywhere a version
is placed. Resources are grouped by their ``modelfleet/model`` and ``/version`` labels;
images without a digest are left to ``image-pinned-by-digest``.
"""

from pulumi_policy import StackValidationArgs

from modelfleet import rulebook
from modelfleet.images.checks import PlacedImage, same_digest_issues
from modelfleet.policy.declare import MANDATORY, stack_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.images import images
from modelfleet.policy.read.labels import MODEL, VERSION, read_labels
from modelfleet.policy.read.props import Unknown


def placed_images(args: StackValidationArgs, findings: Findings) -> list[PlacedImage]:
    """The image every labelled resource runs, by its model and version; unknowns noted."""
    placed: list[PlacedImage] = []
    for resource in args.resources:
        labels = read_labels(resource.resource_type, resource.props)
        if isinstance(labels, Unknown):
            findings.unknown(labels, resource.name)
            continue
        if not isinstance(labels, dict):
            continue
        model, version = labels.get(MODEL), labels.get(VERSION)
        if not isinstance(model, str) or not isinstance(version, str):
            continue
        for _, image in images(resource.resource_type, resource.props):
            if isinstance(image, Unknown):
                findings.unknown(image, resource.name)
            elif isinstance(image, str) and image:
                placed.append(PlacedImage(model, version, resource.urn, image))
    return placed


def check_same_digest(args: StackValidationArgs, findings: Findings) -> None:
    for issue in same_digest_issues(placed_images(args, findings)):
        findings.violation(issue.reason, issue.path)


SAME_DIGEST = stack_policy(
    rulebook.IMAGE_SAME_DIGEST,
    level=MANDATORY,
    check=check_same_digest,
)
