"""The container contract: what every target tells the serving image, written once.

The same image runs on SageMaker, Azure ML, Kubernetes and edge Docker hosts, so each
target must hand it the same environment (``MODEL_NAME``, ``MODEL_VERSION``, the
artifact and the user's env), the same port and paths, and the same compute, each in
that target's own units. The targets call these functions; none builds its own copy.
"""

from collections.abc import Mapping
from typing import Any

import pulumi

from modelfleet.images.reference import resolve
from modelfleet.model import ModelArgs, ResourcesArgs
from modelfleet.targets.aws.plan import container_image

MODEL_NAME = "MODEL_NAME"
"""The model's name: the serving image answers its V2 routes under it."""
MODEL_VERSION = "MODEL_VERSION"
"""The model version the container serves."""
MODEL_ARTIFACT = "MODEL_ARTIFACT"
"""The artifact URI, where the target has no artifact setting of its own (SageMaker has)."""
GPU_RESOURCE = "nvidia.com/gpu"
"""The extended resource NVIDIA's device plugin advertises on Kubernetes nodes."""


def fixed_env(name: str, version: str) -> dict[str, str]:
    """The variables the contract sets; they win over user env of the same name."""
    return {MODEL_NAME: name, MODEL_VERSION: version}


def placement_image(
    image: str, kind: str, registry: str | None, region: str | None = None, in_vpc: bool = False
) -> str:
    """The image one placement runs: the model's repository path and digest, under the
    location's ``registry`` when it names one.

    ``modelfleet plan`` shows it and every target pulls it, so the two cannot disagree.
    SageMaker (``kind`` aws, with its ``region``) may also pull another region's ECR
    image from its replica, and refuses what it cannot pull (aws-image-source).
    """
    if kind == "aws" and region is not None:
        return container_image(image, region, in_vpc, registry).uri
    return resolve(image, registry)


def image(model: ModelArgs, kind: str, registry: str | None) -> pulumi.Input[str]:
    """The image input of a Kubernetes, Azure ML or edge container (SageMaker resolves its own).

    Left exactly as given without a ``registry``, so a stack that names none sees no diff.
    """
    if registry is None:
        return model["image"]
    return pulumi.Output.from_input(model["image"]).apply(
        lambda given: placement_image(given, kind, registry)
    )


def environment(model: ModelArgs, *, artifact: bool = True) -> dict[str, pulumi.Input[str]]:
    """The plain environment of a model's container: user env, then the contract's keys.

    ``artifact=False`` for a target that passes the artifact its own way (SageMaker's
    ``model_data_url``). Secret env is not here: each target keeps it secret its own way.
    """
    env: dict[str, pulumi.Input[str]] = dict(model.get("env", {}))
    if artifact and "artifact" in model:
        env[MODEL_ARTIFACT] = model["artifact"]
    return {**env, **fixed_env(model["name"], model["version"])}


def container_env(
    name: str, version: str, env: Mapping[str, str], secret_env: Mapping[str, str]
) -> dict[str, str]:
    """The whole environment of a container started by hand (the edge provider)."""
    return {**env, **secret_env, **fixed_env(name, version)}


def millicores(cpu: pulumi.Input[float]) -> pulumi.Output[str]:
    """CPU cores as a Kubernetes quantity: ``0.5`` is ``500m``."""
    return pulumi.Output.from_input(cpu).apply(lambda c: f"{int(c * 1000)}m")


def mebibytes(memory_mb: pulumi.Input[int]) -> pulumi.Output[str]:
    """Memory in MiB as a Kubernetes quantity: ``256`` is ``256Mi``."""
    return pulumi.Output.from_input(memory_mb).apply(lambda m: f"{m}Mi")


def wants_gpus(gpus: pulumi.Input[int]) -> bool:
    """Whether a container asks for GPUs (an unknown count is asked for, to be safe)."""
    return not isinstance(gpus, int) or gpus > 0


def quantities(resources: ResourcesArgs, gpu_key: str) -> dict[str, Any]:
    """cpu, memory (and GPUs under ``gpu_key``) as Kubernetes-style quantities.

    Kubernetes and Azure ML's Arc deployments both take requests and limits in these
    units; only the GPU key differs.
    """
    settings: dict[str, Any] = {
        "cpu": millicores(resources["cpu"]),
        "memory": mebibytes(resources["memory_mb"]),
    }
    if wants_gpus(resources["gpus"]):
        settings[gpu_key] = resources["gpus"]
    return settings


def nano_cpus(cpu: float) -> int:
    """CPU cores in Docker's unit (1e-9 cores)."""
    return int(cpu * 10**9)


def docker_memory(memory_mb: int) -> str:
    """Memory limit in Docker's notation."""
    return f"{memory_mb}m"
