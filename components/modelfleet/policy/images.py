"""What containers run: every image pinned by digest and from a registry the config allows."""

import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    ResourceValidationArgs,
)

from modelfleet import rulebook
from modelfleet.config import image_digest
from modelfleet.policy.declare import MANDATORY, resource_policy
from modelfleet.policy.findings import Findings
from modelfleet.policy.read.props import MISSING, Unknown, items, lookup
from modelfleet.policy.read.types import (
    AZURE_ENVIRONMENT_VERSION,
    K8S_POD,
    K8S_POD_TEMPLATES,
    SAGEMAKER_MODEL,
    is_dynamic,
)
from modelfleet.rules import PolicyConfig


def images(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every container image a resource runs, as ``(which container, image)``."""
    if resource_type in K8S_POD_TEMPLATES or resource_type == K8S_POD:
        pod = ("spec",) if resource_type == K8S_POD else ("spec", "template", "spec")
        for group in ("initContainers", "containers"):
            listed = lookup(props, *pod, group)
            if isinstance(listed, Unknown):
                yield group, listed
            for index in range(len(items(listed))):
                name = lookup(props, *pod, group, index, "name")
                which = f"container {name!r}" if isinstance(name, str) else f"{group}[{index}]"
                yield which, lookup(props, *pod, group, index, "image")
    elif resource_type == SAGEMAKER_MODEL:
        if lookup(props, "primaryContainer") is not MISSING:
            yield "primary container", lookup(props, "primaryContainer", "image")
        listed = lookup(props, "containers")
        if isinstance(listed, Unknown):
            yield "containers", listed
        for index in range(len(items(listed))):
            yield f"container {index}", lookup(props, "containers", index, "image")
    elif resource_type == AZURE_ENVIRONMENT_VERSION:
        yield "environment", lookup(props, "properties", "image")
    elif is_dynamic(resource_type) and lookup(props, "image") is not MISSING:
        yield "container", lookup(props, "image")


def registry_of(image: str) -> str:
    """The registry host of an image reference, as Docker reads it (none: ``docker.io``)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def registry_allowed(registry: str, allowed: Sequence[str]) -> bool:
    """True when ``allowed`` is empty or one of its glob patterns matches ``registry``."""
    return not allowed or any(fnmatch.fnmatchcase(registry, pattern) for pattern in allowed)


# --- image-pinned-by-digest ------------------------------------------------------------


def named_images(args: ResourceValidationArgs, findings: Findings) -> Iterator[tuple[str, str]]:
    """The images a resource names; an unknown one is noted, a missing one is a violation."""
    for which, image in images(args.resource_type, args.props):
        if isinstance(image, Unknown):
            findings.unknown(image, args.name)
        elif not isinstance(image, str) or not image:
            findings.violation(f"{which} names no image")
        else:
            yield which, image


def check_pinned(args: ResourceValidationArgs, findings: Findings) -> None:
    for which, image in named_images(args, findings):
        if image_digest(image) is None:
            findings.violation(
                f"{which}: image {image!r} is not pinned by digest (@sha256:<64 hex>)"
            )


PINNED = resource_policy(
    rulebook.IMAGE_PINNED,
    level=MANDATORY,
    check=check_pinned,
)

# --- image-registry-allowed ------------------------------------------------------------

REGISTRIES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": (
        "Registry hosts images may come from, as glob patterns "
        "(e.g. 111122223333.dkr.ecr.*.amazonaws.com); empty: any registry."
    ),
    "items": {"type": "string", "minLength": 1},
    "default": [],
}


def registries_config(config: Mapping[str, Any]) -> PolicyConfig:
    """The registry allow-list of ``image-registry-allowed``'s config (empty: any)."""
    return PolicyConfig.model_validate({"registries": list(config.get("registries", []))})


def check_registry(args: ResourceValidationArgs, findings: Findings) -> None:
    allowed = registries_config(args.get_config()).registries
    for which, image in named_images(args, findings):
        if not registry_allowed(registry := registry_of(image), allowed):
            findings.violation(
                f"{which}: image {image!r} comes from {registry}, "
                f"which is not an allowed registry ({', '.join(allowed)})"
            )


REGISTRY = resource_policy(
    rulebook.IMAGE_REGISTRY,
    level=MANDATORY,
    check=check_registry,
    config={"registries": REGISTRIES_SCHEMA},
)
