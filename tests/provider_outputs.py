"""What a provider hands back for a new resource, so mocked inputs built from it are real.

A resource's inputs often come from another resource's outputs: a SageMaker model's
``executionRoleArn`` is the role's ``arn``, an Azure deployment's ``environmentId`` is
the environment version's ARM ID, its ``endpointName`` the endpoint's ``name``. A mock
that echoes the inputs leaves those missing or shaped like nothing a provider returns,
and the schema check (:mod:`tests.provider_schemas`) would only see the mock. These are
the computed outputs in the shape the providers document them.
"""

from collections.abc import Mapping
from typing import Any

from modelfleet.images.reference import ImageRef, resolve

REGISTRY_COPY = "pulumi-python:dynamic/images:RegistryCopy"
ACCOUNT = "123456789012"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
ML_WORKSPACE = "providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}"
AZURE_PATHS = {
    "azure-native:machinelearningservices:EnvironmentContainer": f"{ML_WORKSPACE}/environments/{{name}}",
    "azure-native:machinelearningservices:EnvironmentVersion": f"{ML_WORKSPACE}/environments/{{name}}/versions/{{version}}",
    "azure-native:machinelearningservices:OnlineEndpoint": f"{ML_WORKSPACE}/onlineEndpoints/{{endpointName}}",
    "azure-native:machinelearningservices:OnlineDeployment": f"{ML_WORKSPACE}/onlineEndpoints/{{endpointName}}/deployments/{{deploymentName}}",
    "azure-native:resources:Deployment": "providers/Microsoft.Resources/deployments/{deploymentName}",
}
"""ARM ID of each Azure type modelfleet makes, below its resource group."""
AZURE_NAMES = ("deploymentName", "endpointName", "name")
"""The inputs that name an Azure resource, first match wins (a deployment's endpointName
names its parent)."""


def provider_result(token: str, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The ID and state a provider returns for ``inputs``: the inputs plus computed outputs."""
    state = dict(inputs)
    if token.startswith("aws:"):
        physical = inputs.get("name") or name
        state.setdefault("name", physical)
        state.setdefault("arn", _arn(token, physical, inputs))
        return f"{name}-id", state
    if token == REGISTRY_COPY:  # the copy's image: the source under its registry, same digest
        state["image"] = resolve(inputs["source"], inputs["registry"])
        state["digest"] = ImageRef.parse(inputs["source"]).digest or ""
        state["copied"] = True
        return f"{name}-id", state
    if token in AZURE_PATHS:
        own = next((key for key in AZURE_NAMES if key in inputs), None)
        state.setdefault("name", inputs[own] if own else name)
        group = f"{SUBSCRIPTION}/resourceGroups/{inputs.get('resourceGroupName')}"
        return f"{group}/{AZURE_PATHS[token].format_map(_Fields(inputs))}", state
    return f"{name}-id", state


def _arn(token: str, physical: str, inputs: Mapping[str, Any]) -> str:
    service = token.split(":")[1].split("/")[0]
    kind = token.rsplit(":", 1)[1].lower()
    region = "" if service == "iam" else inputs.get("region") or "eu-central-1"
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{kind}/{physical}"


class _Fields(dict[str, Any]):
    """Inputs for ``str.format_map``; a missing one reads as ``unknown``."""

    def __init__(self, inputs: Mapping[str, Any]) -> None:
        super().__init__(inputs)

    def __missing__(self, key: str) -> str:
        return "unknown"
