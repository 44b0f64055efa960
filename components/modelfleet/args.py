"""Every args type a modelfleet component takes, in one index.

Each is defined once, beside what uses it: the model's args in :mod:`modelfleet.model`,
each target's location args in ``modelfleet.targets.<kind>.args``. This module adds
the fan-out's own args (a location of any kind, :class:`ModelEndpointArgs`) and names
them all, for the package schema and for users who import them from one place.
"""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi

from modelfleet.model import DataArgs, ModelArgs, ResourcesArgs, ScalingArgs
from modelfleet.targets.aws.args import AwsLocationArgs, SageMakerEndpointArgs, ServerlessArgs
from modelfleet.targets.azure.args import AzureLocationArgs, AzureMLEndpointArgs, RolloutArgs
from modelfleet.targets.edge.args import (
    EdgeEndpointArgs,
    EdgeHostArgs,
    EdgeLocationArgs,
    EdgeRolloutArgs,
    RegistryAuthArgs,
    TlsArgs,
)
from modelfleet.targets.kubernetes.args import KubernetesEndpointArgs, KubernetesLocationArgs

__all__ = [
    "AwsLocationArgs",
    "AzureLocationArgs",
    "AzureMLEndpointArgs",
    "DataArgs",
    "EdgeEndpointArgs",
    "EdgeHostArgs",
    "EdgeLocationArgs",
    "EdgeRolloutArgs",
    "KubernetesEndpointArgs",
    "KubernetesLocationArgs",
    "LocationArgs",
    "ModelArgs",
    "ModelEndpointArgs",
    "RegistryAuthArgs",
    "ResourcesArgs",
    "RolloutArgs",
    "SageMakerEndpointArgs",
    "ScalingArgs",
    "ServerlessArgs",
    "TlsArgs",
]


class LocationArgs(TypedDict):
    """One location of a :class:`ModelEndpoint`: its kind and that kind's settings."""

    name: str
    """Location name."""
    kind: str
    """aws, azure, kubernetes or edge."""
    jurisdiction: str
    """Country the location is in."""
    aws: NotRequired[AwsLocationArgs]
    """Settings when kind is aws."""
    azure: NotRequired[AzureLocationArgs]
    """Settings when kind is azure."""
    kubernetes: NotRequired[KubernetesLocationArgs]
    """Settings when kind is kubernetes."""
    kubeconfig: NotRequired[pulumi.Input[str]]
    """Kubeconfig contents for kind kubernetes (a secret); or set context."""
    context: NotRequired[str]
    """Kubeconfig context for kind kubernetes."""
    edge: NotRequired[EdgeLocationArgs]
    """Settings when kind is edge."""
    registry_push_auth: NotRequired[RegistryAuthArgs]
    """Credentials the image is pushed into the kind's ``registry`` with, when they differ
    from its pull credentials (``registry_auth``); an ECR registry defaults to a token of
    the location's AWS account."""


class ModelEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.ModelEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    locations: Sequence[LocationArgs]
    """Every location the model is placed at."""
