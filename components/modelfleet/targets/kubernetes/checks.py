"""What a Kubernetes cluster would refuse, checked by ``modelfleet validate`` and the component.

Kubernetes takes every key of the container contract (GPUs as ``nvidia.com/gpu``), so
the rules here are about the cluster's own limits on names and about the one namespace
every model at a location shares.
"""

import re
from collections.abc import Sequence

from modelfleet import rulebook
from modelfleet.errors import ConfigIssue
from modelfleet.keypaths import location_key, model_key
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.kubernetes.args import KubernetesLocationArgs

_PORT_NAME_SAFE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def object_name(model: ModelArgs, location: KubernetesLocationArgs) -> list[ConfigIssue]:
    """The model's name names the Deployment and Service: it must be a DNS-1035 label."""
    name = model["name"]
    if name[:1].isalpha() and _PORT_NAME_SAFE.match(name):
        return []
    return [
        ConfigIssue(
            model_key(name),
            f"placed at Kubernetes location {location['name']!r}, where the model's name "
            "names a Service, which must start with a letter (DNS-1035 label)",
        )
    ]


def notes(model: ModelArgs, location: KubernetesLocationArgs) -> list[ConfigIssue]:
    """Model keys Kubernetes does not use, each said at its key path."""
    return unused.notes(
        model,
        ("host_port",),
        ("Kubernetes", location["name"]),
        "the Service listens on the container port",
    )


def location_issues(location: KubernetesLocationArgs) -> list[ConfigIssue]:
    """The rules about the location itself: none beyond the config's own shape."""
    return []


def placement_issues(location: KubernetesLocationArgs, models: Sequence[str]) -> list[ConfigIssue]:
    """The rules about every model placed at the location together.

    Each model's endpoint is its own component, so with ``create_namespace`` each would
    declare the same Namespace; only validate sees the whole placement, so it refuses it.
    """
    if not location.get("create_namespace", False) or len(models) < 2:
        return []
    reason = rulebook.K8S_NAMESPACE_SHARED.text(
        models=", ".join(models), namespace=location["namespace"]
    )
    return [ConfigIssue(location_key(location["name"], "create_namespace"), reason)]


def issues(model: ModelArgs, location: KubernetesLocationArgs) -> list[ConfigIssue]:
    """The rules about one model at the location."""
    return object_name(model, location)
