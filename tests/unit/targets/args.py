"""Target args built directly, as a project using a component on its own writes them.

Target tests start here, not from the stack config parser: a change to the config
layer must not break a target's tests.
"""

from typing import Any

import pulumi

from modelfleet import (
    AwsLocationArgs,
    AzureLocationArgs,
    EdgeLocationArgs,
    KubernetesLocationArgs,
    ModelArgs,
)
from tests.unit.conftest import RecordingMocks, RecordingMonitor, install_mocks

ECR_IMAGE = "111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/iris@sha256:" + "b" * 64


class TargetMocks(RecordingMocks):
    """RecordingMocks whose Azure ML resources get IDs that name their workspace, as in Azure."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        if not args.typ.startswith("azure-native:machinelearningservices:"):
            return resource_id, outputs
        workspace = (
            f"/subscriptions/0/resourceGroups/{args.inputs['resourceGroupName']}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{args.inputs['workspaceName']}"
        )
        return f"{workspace}/{args.name}", outputs


def target_mocks() -> TargetMocks:
    """A fresh recorder set as the program's mocks (see ``tests.unit.conftest.new_mocks``)."""
    recorder = TargetMocks()
    install_mocks(recorder, RecordingMonitor(recorder))
    return recorder


def model(**overrides: Any) -> ModelArgs:
    """One model that every target can serve (SageMaker's port and paths, an ECR image)."""
    args: dict[str, Any] = {
        "name": "iris",
        "version": "1.0.0",
        "image": ECR_IMAGE,
        "port": 8080,
        "host_port": 8080,
        "health_path": "/ping",
        "invoke_path": "/invocations",
        "env": {"LOG_LEVEL": "info"},
        "resources": {"cpu": 0.5, "memory_mb": 256, "gpus": 0},
        "scaling": {"min": 1, "max": 1},
        "data": {"classification": "internal", "residency": ["EU"]},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def aws_location(**overrides: Any) -> AwsLocationArgs:
    args: dict[str, Any] = {
        "name": "aws-fra",
        "region": "eu-central-1",
        "instance_type": "ml.m5.large",
        "subnet_ids": ["subnet-0abc"],
        "security_group_ids": ["sg-0abc"],
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def azure_location(**overrides: Any) -> AzureLocationArgs:
    args: dict[str, Any] = {
        "name": "azure-weu",
        "location": "westeurope",
        "resource_group": "ml",
        "workspace": "ml-weu",
        "instance_type": "Standard_DS3_v2",
        "jurisdiction": "NL",
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def kubernetes_location(**overrides: Any) -> KubernetesLocationArgs:
    args: dict[str, Any] = {"name": "munich", "jurisdiction": "DE", "namespace": "models"}
    args.update(overrides)
    return args  # type: ignore[return-value]


def edge_location(**overrides: Any) -> EdgeLocationArgs:
    host = {"docker_host": "unix:///var/run/docker.sock", "bind": "127.0.0.1", "port_offset": 0}
    args: dict[str, Any] = {
        "name": "lyon",
        "jurisdiction": "FR",
        "hosts": [{**host, "name": "gw-1", "wave": 0}, {**host, "name": "gw-2", "wave": 1}],
        "health_timeout_s": 30.0,
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


LOCATIONS = {
    "aws": aws_location,
    "azure": azure_location,
    "kubernetes": kubernetes_location,
    "edge": edge_location,
}
COMPONENTS = {
    "aws": "SageMakerEndpoint",
    "azure": "AzureMLEndpoint",
    "kubernetes": "KubernetesEndpoint",
    "edge": "EdgeEndpoint",
}


def build(mocks: RecordingMocks, kind: str, model_args: ModelArgs, location: Any) -> str:
    """Build one target's component from args, wait for every registration, return its URL."""
    import modelfleet

    component = getattr(modelfleet, COMPONENTS[kind])

    def program() -> pulumi.Output[Any]:
        return component("iris", {"model": model_args, "location": location}).url

    return str(mocks.run(program))
