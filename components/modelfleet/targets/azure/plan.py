"""Azure ML decisions as pure functions: names, the traffic split, resource IDs, the template.

No Azure SDK here, so ``modelfleet validate`` applies the same rollout rules to a stack
file without importing pulumi-azure-native (2.2 s).

Every model version is its own deployment under one endpoint, so a safe rollout is a
change of the traffic split, never a change of the deployment that is serving. Azure
accepts traffic only for deployments that already exist, and azure-native manages one
endpoint with exactly one resource; so the endpoint is created without traffic, the
deployments follow, and the split is written last by an ARM template deployment that
puts the same endpoint body again, now with ``traffic`` (the order Microsoft's SDK uses).
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet import rulebook
from modelfleet.errors import AzureMLConfigError
from modelfleet.targets.azure.args import RolloutArgs

NAME_LIMIT = 32
"""Endpoint and deployment names: 3 to 32 of a-z, 0-9 and '-', a letter first."""
DIGEST_CHARS = 8
ENDPOINT_API_VERSION = "2025-12-01"
"""The API version azure-native 3.29 puts ``OnlineEndpoint`` with; the traffic template
puts the same body, so it speaks the same version."""
TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SENSITIVE = frozenset({"confidential", "restricted"})

_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")
_WORKSPACE_PATH = "/providers/microsoft.machinelearningservices/workspaces/"


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


def _percent(key: str, value: object) -> tuple[int, list[tuple[str, str]]]:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        return 0, [(f"rollout.{key}", rulebook.AZURE_ROLLOUT_PERCENT.text(key=key, value=value))]
    return value, []


def rollout_problems(
    version: str, rollout: RolloutArgs | None, *, kubernetes: bool
) -> list[tuple[str, str]]:
    """What is wrong with a rollout, as ``(key under the location, reason)`` pairs."""
    if rollout is None:
        return []
    mirror, problems = _percent("mirror_percent", rollout["mirror_percent"])
    previous = rollout.get("previous_version")
    if previous is None:
        if mirror:
            problems.append(("rollout.mirror_percent", rulebook.AZURE_MIRROR_NEEDS_PREVIOUS.text()))
        return problems
    new = deployment_name(version)
    if deployment_name(previous) == new:
        reason = rulebook.AZURE_PREVIOUS_DIFFERS.text(
            previous=previous, deployment=new, version=version
        )
        return [*problems, ("rollout.previous_version", reason)]
    canary, more = _percent("canary_percent", rollout["canary_percent"])
    problems += more
    if mirror and kubernetes:
        problems.append(("rollout.mirror_percent", rulebook.AZURE_MIRROR_ON_ARC.text()))
    elif mirror and canary:
        problems.append(("rollout.canary_percent", rulebook.AZURE_LIVE_OR_MIRROR.text()))
    return problems


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
    problems = rollout_problems(version, rollout, kubernetes=kubernetes)
    if problems:
        raise AzureMLConfigError(
            "; ".join(f"location {location!r}: {reason}" for _, reason in problems)
        )
    new = deployment_name(version)
    previous = rollout.get("previous_version") if rollout else None
    if rollout is None or previous is None:
        return RolloutPlan(versions=(version,), traffic={new: 100}, mirror={})
    # Checked above: both are plain integers from 0 to 100.
    canary, _ = _percent("canary_percent", rollout["canary_percent"])
    mirror, _ = _percent("mirror_percent", rollout["mirror_percent"])
    return RolloutPlan(
        versions=(version, previous),
        traffic={deployment_name(previous): 100 - canary, new: canary},
        mirror={new: mirror} if mirror else {},
    )


# --- Azure resource IDs and bodies ---------------------------------------------------


def workspace_id(resource_id: str) -> str:
    """The workspace's ARM ID, cut from the ID of anything inside it."""
    start = resource_id.lower().find(_WORKSPACE_PATH)
    if start < 0:
        raise AzureMLConfigError(
            f"not the ID of anything in an Azure ML workspace: {resource_id!r}"
        )
    end = start + len(_WORKSPACE_PATH)
    return resource_id[:end] + resource_id[end:].split("/", 1)[0]


def compute_id(resource_id: str, compute: str) -> str:
    """ARM ID of a compute of the workspace that ``resource_id`` lives in."""
    return f"{workspace_id(resource_id)}/computes/{compute}"


def public_network_access(classification: str) -> str:
    """``Disabled`` (scoring only through the workspace's private endpoint) for sensitive data."""
    return "Disabled" if classification in SENSITIVE else "Enabled"


def endpoint_body(classification: str, compute: str | None) -> dict[str, Any]:
    """The endpoint's properties as the REST API spells them (the template puts them raw)."""
    if compute is not None:
        # Only managed endpoints have the public access switch; an Arc endpoint is as
        # reachable as its cluster's inference router.
        return {"authMode": "Key", "compute": compute}
    return {"authMode": "Key", "publicNetworkAccess": public_network_access(classification)}


def traffic_template(
    *,
    workspace: str,
    endpoint: str,
    region: str,
    tags: Mapping[str, str],
    body: Mapping[str, Any],
    plan: RolloutPlan,
) -> dict[str, Any]:
    """An ARM template that puts the endpoint again, now with its traffic split.

    A PUT replaces what it omits, so the template carries the whole body — the same one
    the ``OnlineEndpoint`` resource was created with — plus the split and current tags.
    """
    properties: dict[str, Any] = {**body, "traffic": dict(plan.traffic)}
    if plan.mirror:
        properties["mirrorTraffic"] = dict(plan.mirror)
    return {
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
                "apiVersion": ENDPOINT_API_VERSION,
                "name": f"{workspace}/{endpoint}",
                "location": region,
                "identity": {"type": "SystemAssigned"},
                "tags": dict(tags),
                "properties": properties,
            }
        ],
    }
