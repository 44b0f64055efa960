"""Rules on the images placements run: pure functions over plain values.

``modelfleet validate`` feeds them the stack config; the policy pack feeds them the real
properties of resources. Each problem is an :class:`ImageIssue` carrying the key path
(or URN) it is about, so the caller prints ``error: <path>: <message>`` as it does for
every other config error.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from modelfleet.images.reference import ImageRef, resolve

ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$"
)
"""An Amazon ECR private registry: ``<account>.dkr.ecr.<region>.amazonaws.com`` (or ``ecr-fips``)."""
PROD_LIKE = re.compile(r"^(prod|production|staging)([-_.].*)?$")
"""Stacks that serve real traffic: their images must be pinned by digest."""
AUTH_KINDS = ("kubernetes", "edge")
"""Kinds that pull with credentials from the stack; SageMaker and Azure ML pull with
their own identity (execution role, workspace identity), so a password there is unused."""


@dataclass(frozen=True)
class ImageIssue:
    """One problem, with the key path (or resource URN) it is about."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def model_path(model: str) -> str:
    return f"modelfleet:models.{model}.image"


def registry_path(location: str) -> str:
    return f"modelfleet:locations.{location}.registry"


def is_prod_like(stack: str) -> bool:
    """``prod``, ``prod-eu``, ``production``, ``staging``...: stacks that pin by digest."""
    return PROD_LIKE.match(stack) is not None


def ecr_region(host: str) -> str | None:
    """The region of an ECR private registry host; None for any other registry."""
    match = ECR_HOST.match(host)
    return match["region"] if match else None


def digest_issues(model: str, image: str, stack: str) -> list[ImageIssue]:
    """A prod-like stack refuses an image pinned by tag only: a tag can move, a digest cannot."""
    if not is_prod_like(stack) or ImageRef.parse(image).pinned:
        return []
    return [
        ImageIssue(
            model_path(model),
            f"stack {stack!r} serves real traffic: pin the image by digest "
            "(@sha256:<64 hex>), so every registry and every placement runs the same bytes",
        )
    ]


def aws_issues(
    model: str, image: str, location: str, region: str, registry: str | None, in_vpc: bool
) -> list[ImageIssue]:
    """A SageMaker endpoint pulls from Amazon ECR in its own region (docs/images.md).

    Or, in a VPC, from a private registry reachable there (``RepositoryAccessMode: Vpc``).
    Without a ``registry`` an ECR image of another region is pulled from its replica in
    this one (:func:`aws_image`), as the SageMaker target always did; a ``registry``
    naming ECR of another region is refused, since it says where the image must be.
    The issue names the location's ``registry`` when it set one, else the model's image.
    """
    resolved = ImageRef.parse(aws_image(image, region, registry))
    found = ecr_region(resolved.host)
    if found == region or (found is None and in_vpc):
        return []
    where = f"ECR in {found}" if found else "not an Amazon ECR private registry"
    path = model_path(model) if registry is None else registry_path(location)
    hint = "" if registry is not None else f" (or set modelfleet:locations.{location}.registry)"
    vpc = "" if in_vpc else ", or a private registry once the endpoint runs in a VPC"
    return [
        ImageIssue(
            path,
            f"location {location!r} is SageMaker in {region}, which pulls images only from "
            f"Amazon ECR in its own region{vpc}; {resolved.host} is {where}: use "
            f"<account>.dkr.ecr.{region}.amazonaws.com[/prefix]{hint}",
        )
    ]


def aws_image(image: str, region: str, registry: str | None) -> str:
    """The image a SageMaker endpoint in ``region`` pulls.

    Under the location's ``registry`` when it names one; else an ECR image of another
    region becomes its cross-region replica in ``region`` (same account, repository
    and digest: ECR replication keeps them); anything else is left as written.
    """
    if registry is not None:
        return resolve(image, registry)
    ref = ImageRef.parse(image)
    found = ECR_HOST.match(ref.host)
    if found is None or found["region"] == region:
        return image
    host = ref.host.replace(f".{found['region']}.", f".{region}.", 1)
    return str(replace(ref, host=host))


def placement_image(image: str, kind: str, registry: str | None, region: str | None) -> str:
    """The image one placement runs: what ``modelfleet plan`` shows and the target gets."""
    if kind == "aws" and region is not None:
        return aws_image(image, region, registry)
    return resolve(image, registry)


def auth_issues(location: str, kind: str, has_auth: bool) -> list[ImageIssue]:
    """Pull credentials only where the stack's credentials are what pulls."""
    if not has_auth or kind in AUTH_KINDS:
        return []
    return [
        ImageIssue(
            f"modelfleet:locations.{location}.registry_auth",
            f"a {kind} location pulls with its cloud identity, not a password: remove "
            f"registry_auth (allowed on {', '.join(AUTH_KINDS)} locations)",
        )
    ]


@dataclass(frozen=True)
class PlacedImage:
    """The image one placement (or one resource) runs, for :func:`same_digest_issues`."""

    model: str
    version: str
    where: str
    """Key path or URN the issue names."""
    image: str


def same_digest_issues(placed: Iterable[PlacedImage]) -> list[ImageIssue]:
    """One model version runs one digest everywhere, whichever registry it comes from.

    Per (model, version), the digest most placements run is taken as the one meant
    (the first seen on a tie); every placement running another gets an issue. Images
    without a digest are left to ``image-pinned-by-digest``.
    """
    groups: dict[tuple[str, str], list[tuple[PlacedImage, str]]] = {}
    for item in placed:
        digest = ImageRef.parse(item.image).digest
        if digest is not None:
            groups.setdefault((item.model, item.version), []).append((item, digest))
    issues = []
    for (model, version), members in groups.items():
        expected = _most_common([digest for _, digest in members])
        issues += [
            ImageIssue(
                item.where,
                f"model {model} {version} runs {digest} here but {expected} at "
                f"{_places(members, expected)}: one version must be one digest everywhere",
            )
            for item, digest in members
            if digest != expected
        ]
    return issues


def _most_common(digests: Sequence[str]) -> str:
    counts = Counter(digests)
    best = max(counts.values())
    return next(digest for digest in digests if counts[digest] == best)


def _places(members: Sequence[tuple[PlacedImage, str]], digest: str) -> str:
    return ", ".join(item.where for item, seen in members if seen == digest)
