"""modelfleet: describe a model endpoint once, deploy it to SageMaker, Azure ML, Kubernetes and edge.

The public names: the components, their args and the errors, e.g.
``from modelfleet import KubernetesEndpoint, ModelArgs, ModelfleetError``. Components
load on first use, so importing one target never imports another target's provider
SDK (pulumi-azure-native alone takes 2 s).
"""

import importlib
from typing import TYPE_CHECKING, Any

from modelfleet.args import (
    AwsLocationArgs,
    AzureLocationArgs,
    AzureMLEndpointArgs,
    DataArgs,
    EdgeEndpointArgs,
    EdgeHostArgs,
    EdgeLocationArgs,
    EdgeRolloutArgs,
    KubernetesEndpointArgs,
    KubernetesLocationArgs,
    LocationArgs,
    ModelArgs,
    ModelEndpointArgs,
    RegistryAuthArgs,
    ResourcesArgs,
    RolloutArgs,
    SageMakerEndpointArgs,
    ScalingArgs,
    ServerlessArgs,
    TlsArgs,
)
from modelfleet.errors import (
    AzureMLConfigError,
    ConfigError,
    ConfigIssue,
    EdgeConfigError,
    EdgeContainerError,
    EdgeHostError,
    KubernetesConfigError,
    ModelfleetError,
    SageMakerConfigError,
    UnsupportedLocationKindError,
)

if TYPE_CHECKING:
    from modelfleet.endpoint import ModelEndpoint
    from modelfleet.targets.aws.component import SageMakerEndpoint
    from modelfleet.targets.azure.component import AzureMLEndpoint
    from modelfleet.targets.edge.component import EdgeEndpoint
    from modelfleet.targets.edge.resource import EdgeContainer
    from modelfleet.targets.kubernetes.component import KubernetesEndpoint

_COMPONENTS = {
    "ModelEndpoint": "modelfleet.endpoint",
    "SageMakerEndpoint": "modelfleet.targets.aws.component",
    "AzureMLEndpoint": "modelfleet.targets.azure.component",
    "KubernetesEndpoint": "modelfleet.targets.kubernetes.component",
    "EdgeEndpoint": "modelfleet.targets.edge.component",
    "EdgeContainer": "modelfleet.targets.edge.resource",
}

__all__ = [
    "AwsLocationArgs",
    "AzureLocationArgs",
    "AzureMLConfigError",
    "AzureMLEndpoint",
    "AzureMLEndpointArgs",
    "ConfigError",
    "ConfigIssue",
    "DataArgs",
    "EdgeConfigError",
    "EdgeContainer",
    "EdgeContainerError",
    "EdgeEndpoint",
    "EdgeEndpointArgs",
    "EdgeHostArgs",
    "EdgeHostError",
    "EdgeLocationArgs",
    "EdgeRolloutArgs",
    "KubernetesConfigError",
    "KubernetesEndpoint",
    "KubernetesEndpointArgs",
    "KubernetesLocationArgs",
    "LocationArgs",
    "ModelArgs",
    "ModelEndpoint",
    "ModelEndpointArgs",
    "ModelfleetError",
    "RegistryAuthArgs",
    "ResourcesArgs",
    "RolloutArgs",
    "SageMakerConfigError",
    "SageMakerEndpoint",
    "SageMakerEndpointArgs",
    "ScalingArgs",
    "ServerlessArgs",
    "TlsArgs",
    "UnsupportedLocationKindError",
]


def __getattr__(name: str) -> Any:
    """Load a component's module on first use of its name."""
    if name in _COMPONENTS:
        return getattr(importlib.import_module(_COMPONENTS[name]), name)
    raise AttributeError(f"module 'modelfleet' has no attribute {name!r}")
