"""Rules on the images placements run: pure functions over plain values.

``modelfleet validate`` feeds them the stack config; the policy pack feeds them the real
properties of resources. Each problem is a :class:`ConfigIssue` carrying the key path (or
URN) it is about. Where SageMaker may pull from is the aws target's rule
(``targets/aws/plan.container_image``); the image a placement runs is
``contract.placement_image``.
"""

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelfleet import rulebook
from modelfleet.errors import ConfigIssue
from modelfleet.images.reference import ImageRef
from modelfleet.keypaths import model_key

PROD_LIKE = re.compile(r"^(prod|production|staging)([-_.].*)?$")
"""Stacks that serve real traffic: their images must be pinned by digest."""


def is_prod_like(stack: str) -> bool:
    """``prod``, ``prod-eu``, ``production``, ``staging``...: stacks that pin by digest."""
    return PROD_LIKE.match(stack) is not None


def digest_issues(model: str, image: str, stack: str) -> list[ConfigIssue]:
    """A prod-like stack refuses an image pinned by tag only: a tag can move, a digest cannot."""
    if not is_prod_like(stack) or ImageRef.parse(image).pinned:
        return []
    return [ConfigIssue(model_key(model, "image"), rulebook.IMAGE_DIGEST_IN_PROD.text(stack=stack))]


@dataclass(frozen=True)
class PlacedImage:
    """The image one placement (or one resource) runs, for :func:`same_digest_issues`."""

    model: str
    version: str
    where: str
    """Key path or URN the issue names."""
    image: str


def same_digest_issues(placed: Iterable[PlacedImage]) -> list[ConfigIssue]:
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
            ConfigIssue(
                item.where,
                rulebook.IMAGE_DIGEST_DIFFERS.text(
                    model=model,
                    version=version,
                    digest=digest,
                    expected=expected,
                    places=_places(members, expected),
                ),
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
