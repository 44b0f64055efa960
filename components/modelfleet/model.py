"""The model's args: one model version and its container contract, as every target takes it.

``TypedDict``s, as Pulumi's multi-language component packages require; field
docstrings become the package schema (and the stack config's descriptions). Fields
typed with a plain type (not ``pulumi.Input``) decide which resources exist — a name, a
replica floor — so they must be known when the program runs, even at preview.
"""

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi


class ResourcesArgs(TypedDict):
    """Compute one replica or container gets."""

    cpu: pulumi.Input[float]
    """CPU cores."""
    memory_mb: pulumi.Input[int]
    """Memory in MiB."""
    gpus: pulumi.Input[int]
    """GPUs."""


class ScalingArgs(TypedDict):
    """Replica bounds."""

    min: int
    """Replicas always running (plain: a floor of 2 adds a disruption budget)."""
    max: pulumi.Input[int]
    """Upper bound for autoscaling."""


class DataArgs(TypedDict):
    """What the model's data is and where it may be processed."""

    classification: str
    """public, internal, confidential or restricted (plain: it changes the resources)."""
    residency: Sequence[str]
    """Countries or groups (EU, EEA) the data may be processed in."""


class ModelArgs(TypedDict):
    """One model version to serve, with its container contract."""

    name: str
    """Model name, a DNS label; names the resources."""
    version: str
    """Model version (plain: it is in every label and names versioned resources)."""
    image: pulumi.Input[str]
    """Serving image reference; pinned by digest outside dev."""
    artifact: NotRequired[pulumi.Input[str]]
    """Model artifact URI, if the image does not bake the model in."""
    port: pulumi.Input[int]
    """Port the container listens on."""
    host_port: pulumi.Input[int]
    """Port published on edge hosts."""
    health_path: pulumi.Input[str]
    """GET path answering 200 once the model is loaded."""
    invoke_path: pulumi.Input[str]
    """POST path for predictions."""
    env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Plain environment variables (plain keys: each is a container setting)."""
    secret_env: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Environment variables whose values are secrets (plain keys, secret values)."""
    resources: ResourcesArgs
    """Compute per replica."""
    scaling: ScalingArgs
    """Replica bounds."""
    data: DataArgs
    """Data classification and residency."""
