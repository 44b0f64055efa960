"""The inputs of a ``kubernetes`` location: the only definition of them (config and component)."""

from typing import NotRequired, TypedDict

from modelfleet.model import ModelArgs
from modelfleet.targets.edge.args import RegistryAuthArgs


class KubernetesLocationArgs(TypedDict):
    """A namespace on a Kubernetes cluster."""

    name: str
    """Location name."""
    jurisdiction: str
    """Country the cluster is in (ISO 3166-1 alpha-2)."""
    namespace: str
    """Namespace the model runs in."""
    create_namespace: NotRequired[bool]
    """Create the namespace rather than use an existing one."""
    registry: NotRequired[str]
    """Registry this location pulls the model image from, host[:port][/prefix] (its mirror);
    the image keeps its repository path and digest."""
    registry_auth: NotRequired[RegistryAuthArgs]
    """Credentials the cluster pulls the image with (an image pull Secret)."""


class KubernetesEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.KubernetesEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: KubernetesLocationArgs
    """Where to serve it. The cluster comes from ``opts.provider``."""
