"""Azure ML names and the safe-rollout traffic split: pure rules, no Azure SDK.

Kept apart from :mod:`modelfleet.azure` so ``modelfleet validate`` can apply the same
rollout rules to a stack file without importing pulumi-azure-native.
"""

import hashlib
import re
from dataclasses import dataclass

from modelfleet.args import RolloutArgs

NAME_LIMIT = 32
"""Endpoint and deployment names: 3 to 32 of a-z, 0-9 and '-', a letter first."""
DIGEST_CHARS = 8

_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")


class AzureMLConfigError(ValueError):
    """A model or location Azure ML cannot serve as given; the message says what to change."""


# --- names ---------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:DIGEST_CHARS]


def _slug(text: str) -> str:
    return _NOT_NAME_CHARS.sub("-", text.lower()).strip("-")


def _fit(name: str, *digest_of: str) -> str:
    return f"{name[: NAME_LIMIT - DIGEST_CHARS - 1].rstrip('-')}-{_digest(*digest_of)}"


def endpoint_name(model: str, location: str, resource_group: str, workspace: str) -> str:
    """The endpoint's Azure name: model and location to read, then a digest of where it lives.

    The name is the host of the scoring URI (``<name>.<region>.inference.ml.azure.com``),
    so Azure wants it unique in the region across all tenants, not just in a workspace.
    ``model-location`` alone collides between stacks that share location names (staging
    and prod-eu both have ``azure-westeurope``), so a digest of resource group,
    workspace, model and location always follows; the readable part yields the room.
    """
    base = _slug(f"{model}-{location}")
    if not base[:1].isalpha():
        base = f"m-{base}"
    return _fit(base, resource_group.lower(), workspace.lower(), model, location)


def deployment_name(version: str) -> str:
    """The deployment serving one model version: ``1.4.0`` is served by ``v1-4-0``."""
    name = f"v{_slug(version)}"
    if 3 <= len(name) <= NAME_LIMIT:
        return name
    return _fit(name, version)  # "v1" is too short, a long pre-release tag too long


def environment_name(model: str, location: str) -> str:
    """The Azure ML environment of one model at one location.

    Per location, because two locations may share a workspace (managed instances and
    an Arc compute attached to the same one) and each owns its environment.
    """
    return f"{model}-{location}"


# --- the traffic split ---------------------------------------------------------------


@dataclass(frozen=True)
class RolloutPlan:
    """Which versions keep a deployment, and how live and mirrored traffic split over them."""

    versions: tuple[str, ...]
    """The new version first, then the previous one while it still serves."""
    traffic: dict[str, int]
    """Live share per deployment name; sums to 100."""
    mirror: dict[str, int]
    """Copied share per deployment name (its answers are discarded); at most one entry."""


def _percent(location: str, key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        raise AzureMLConfigError(
            f"location {location!r}: rollout.{key} must be a plain integer from 0 to 100 "
            f"(it decides the traffic split when the program runs), got {value!r}"
        )
    return value


def rollout_plan(
    location: str, version: str, rollout: RolloutArgs | None, *, kubernetes: bool
) -> RolloutPlan:
    """The deployments a location keeps, and its traffic split.

    Without ``previous_version`` the new version takes all traffic (``canary_percent``
    only means something beside a previous version). With it, both deployments exist:
    the new one gets ``canary_percent`` of live traffic and the previous one the rest;
    or, with ``canary_percent: 0``, a ``mirror_percent`` copy of the traffic — Azure
    sends one deployment live or mirrored traffic, never both, and mirrors nothing on
    Kubernetes (Arc) online endpoints.
    """
    new = deployment_name(version)
    previous = rollout.get("previous_version") if rollout else None
    mirror = _percent(location, "mirror_percent", rollout["mirror_percent"]) if rollout else 0
    if rollout is None or previous is None:
        if mirror:
            raise AzureMLConfigError(
                f"location {location!r}: rollout.mirror_percent needs rollout.previous_version, "
                "the deployment that keeps answering while the new one gets the copy"
            )
        return RolloutPlan(versions=(version,), traffic={new: 100}, mirror={})
    old = deployment_name(previous)
    if old == new:
        raise AzureMLConfigError(
            f"location {location!r}: rollout.previous_version {previous!r} names the same "
            f"deployment ({new}) as version {version!r}: set it to the version serving now"
        )
    canary = _percent(location, "canary_percent", rollout["canary_percent"])
    if mirror and kubernetes:
        raise AzureMLConfigError(
            f"location {location!r}: rollout.mirror_percent is not supported on Kubernetes "
            "(Arc) online endpoints: set it to 0"
        )
    if mirror and canary:
        raise AzureMLConfigError(
            f"location {location!r}: a deployment takes live or mirrored traffic, not both: "
            "set rollout.canary_percent to 0 while rollout.mirror_percent is above 0"
        )
    return RolloutPlan(
        versions=(version, previous),
        traffic={old: 100 - canary, new: canary},
        mirror={new: mirror} if mirror else {},
    )
