"""The inputs of an ``azure`` location: the only definition of them (config and component)."""

from typing import NotRequired, TypedDict

import pulumi

from modelfleet.model import ModelArgs


class RolloutArgs(TypedDict):
    """Safe rollout: the new version takes a share while the previous one serves."""

    previous_version: NotRequired[str]
    """Version still serving beside the new one (plain: it names a deployment)."""
    canary_percent: pulumi.Input[int]
    """Live traffic share of the new version."""
    mirror_percent: pulumi.Input[int]
    """Share of traffic copied to the new version, at most 50."""


class AzureLocationArgs(TypedDict):
    """An Azure ML workspace."""

    name: str
    """Location name."""
    location: str
    """Azure region."""
    resource_group: pulumi.Input[str]
    """Resource group of the workspace."""
    workspace: pulumi.Input[str]
    """Azure ML workspace name."""
    instance_type: pulumi.Input[str]
    """VM size of the managed deployment."""
    jurisdiction: str
    """Country the deployment runs in (derived, or declared for an Arc compute)."""
    rollout: NotRequired[RolloutArgs]
    """Safe rollout settings."""
    compute: NotRequired[str]
    """Azure ML Kubernetes compute (Arc) to deploy on instead of managed instances."""
    registry: NotRequired[str]
    """Registry the workspace pulls the model image from, host[:port][/prefix] (an ACR it
    can reach); the image keeps its repository path and digest."""


class AzureMLEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.AzureMLEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: AzureLocationArgs
    """The workspace and its settings; the Azure provider comes from ``opts.provider``."""
