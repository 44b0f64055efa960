"""``AzureMLEndpoint``: a model served by an Azure ML online endpoint, managed or on Arc.

Every model version is its own deployment under one endpoint, so a safe rollout is a
change of the traffic split, never a change of the deployment that is serving.

Azure decides the order of things here. It accepts traffic only for deployments that
already exist and a deployment only under an endpoint that already exists, while
azure-native manages one endpoint with exactly one resource (it refuses to create one
that exists). So the ``OnlineEndpoint`` is created without traffic, the deployments
follow it, and the split is written last by an ARM template deployment that puts the
same endpoint body again, now with ``traffic`` — the order Microsoft's own SDK uses.
The decisions (names, the split, resource IDs, the template) are pure functions below,
tested without mocks; the component only wires resources.
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pulumi_azure_native.resources as arm

from modelfleet.args import AzureMLEndpointArgs, ModelArgs
from modelfleet.azure_rollout import (
    AzureMLConfigError,
    RolloutPlan,
    deployment_name,
    endpoint_name,
    environment_name,
    rollout_plan,
)
from modelfleet.labels import azure_tags

RESOURCE_TYPE = "modelfleet:azure:AzureMLEndpoint"

ENDPOINT_API_VERSION = "2025-12-01"
"""The API version azure-native 3.29 puts ``OnlineEndpoint`` with; the traffic template
puts the same body, so it speaks the same version."""
TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SENSITIVE = frozenset({"confidential", "restricted"})
REQUEST_TIMEOUT = "PT60S"
"""SageMaker's fixed 60 s invocation timeout: one contract for every cloud target."""
ARC_INSTANCE_TYPE = "defaultinstancetype"
"""The instance type the Azure ML cluster extension creates. The SDK would otherwise send
its managed default (a VM size), which no Arc cluster knows."""

_WORKSPACE_PATH = "/providers/microsoft.machinelearningservices/workspaces/"


# --- Azure resource IDs and bodies ---------------------------------------------------


def workspace_id(resource_id: str) -> str:
    """The workspace's ARM ID, cut from the ID of anything inside it."""
    start = resource_id.lower().find(_WORKSPACE_PATH)
    if start < 0:
        raise AzureMLConfigError(
            f"not the ID of anything in an Azure ML workspace: {resource_id!r}"
        )
    end = start + len(_WORKSPACE_PATH)
    return resource_id[:end] + resource_id[end:].split("/", 1)[0]


def compute_id(resource_id: str, compute: str) -> str:
    """ARM ID of a compute of the workspace that ``resource_id`` lives in."""
    return f"{workspace_id(resource_id)}/computes/{compute}"


def public_network_access(classification: str) -> str:
    """``Disabled`` (scoring only through the workspace's private endpoint) for sensitive data."""
    return "Disabled" if classification in SENSITIVE else "Enabled"


def endpoint_body(classification: str, compute: str | None) -> dict[str, Any]:
    """The endpoint's properties as the REST API spells them (the template puts them raw)."""
    if compute is not None:
        # Only managed endpoints have the public access switch; an Arc endpoint is as
        # reachable as its cluster's inference router.
        return {"authMode": "Key", "compute": compute}
    return {"authMode": "Key", "publicNetworkAccess": public_network_access(classification)}


def traffic_template(
    *,
    workspace: str,
    endpoint: str,
    region: str,
    tags: Mapping[str, str],
    body: Mapping[str, Any],
    plan: RolloutPlan,
) -> dict[str, Any]:
    """An ARM template that puts the endpoint again, now with its traffic split.

    A PUT replaces what it omits, so the template carries the whole body — the same one
    the ``OnlineEndpoint`` resource was created with — plus the split and current tags.
    """
    properties: dict[str, Any] = {**body, "traffic": dict(plan.traffic)}
    if plan.mirror:
        properties["mirrorTraffic"] = dict(plan.mirror)
    return {
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
                "apiVersion": ENDPOINT_API_VERSION,
                "name": f"{workspace}/{endpoint}",
                "location": region,
                "identity": {"type": "SystemAssigned"},
                "tags": dict(tags),
                "properties": properties,
            }
        ],
    }


def _probe(initial_delay: str, period: str) -> ml.ProbeSettingsArgsDict:
    return {
        "initial_delay": initial_delay,
        "period": period,
        "timeout": "PT2S",
        "failure_threshold": 3,
        "success_threshold": 1,
    }


def _environment_variables(model: ModelArgs, version: str) -> dict[str, pulumi.Input[str]]:
    env: dict[str, pulumi.Input[str]] = {"MODEL_VERSION": version, **dict(model.get("env", {}))}
    if "artifact" in model:
        env["MODEL_ARTIFACT"] = model["artifact"]
    return env


def _container_resources(model: ModelArgs) -> ml.ContainerResourceRequirementsArgsDict:
    compute = model["resources"]
    settings: ml.ContainerResourceSettingsArgsDict = {
        "cpu": pulumi.Output.from_input(compute["cpu"]).apply(lambda c: f"{int(c * 1000)}m"),
        "memory": pulumi.Output.from_input(compute["memory_mb"]).apply(lambda m: f"{m}Mi"),
    }
    gpus = compute["gpus"]
    if not isinstance(gpus, int) or gpus > 0:
        settings["gpu"] = pulumi.Output.from_input(gpus).apply(str)
    return {"container_resource_requests": settings, "container_resource_limits": settings}


# --- the component -------------------------------------------------------------------


class AzureMLEndpoint(pulumi.ComponentResource):
    """A model behind an Azure ML online endpoint, on managed instances or an Arc cluster.

    Example
    -------
    >>> AzureMLEndpoint("fraud-scorer-weu", {"model": model, "location": westeurope},
    ...                 pulumi.ResourceOptions(provider=westeurope_provider))
    """

    url: pulumi.Output[str]
    """Scoring URI of the endpoint (callers send one of its keys; they are not exported)."""
    endpoint_name: pulumi.Output[str]
    """Azure name of the online endpoint."""
    traffic: pulumi.Output[dict[str, int]]
    """Live traffic share per deployment (one deployment per model version)."""

    def __init__(
        self, name: str, args: AzureMLEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(RESOURCE_TYPE, name, {}, opts)
        model, location = args["model"], args["location"]
        if model.get("secret_env"):
            raise AzureMLConfigError(
                f"model {model['name']!r}: secret_env cannot go to location "
                f"{location['name']!r}: Azure ML deployment environment variables are "
                "readable by anyone who can read the workspace; let the image read them "
                "from Key Vault with the endpoint's managed identity"
            )
        arc = location.get("compute")
        plan = rollout_plan(
            location["name"], model["version"], location.get("rollout"), kubernetes=arc is not None
        )
        region = location["location"]
        rg, ws = location["resource_group"], location["workspace"]
        child = pulumi.ResourceOptions(parent=self)

        def tags(version: str) -> dict[str, str]:
            versioned: ModelArgs = {**model, "version": version}
            return azure_tags(versioned, location["name"], location["jurisdiction"])

        container = ml.EnvironmentContainer(
            f"{name}-environment",
            name=environment_name(model["name"], location["name"]),
            resource_group_name=rg,
            workspace_name=ws,
            properties={
                "description": f"Serving image of {model['name']}, managed by modelfleet",
                "tags": tags(model["version"]),
            },
            opts=child,
        )
        environments: dict[str, ml.EnvironmentVersion] = {}
        for index, version in enumerate(plan.versions):
            environments[version] = ml.EnvironmentVersion(
                f"{name}-environment-{deployment_name(version)}",
                name=container.name,
                version=version,
                resource_group_name=rg,
                workspace_name=ws,
                properties={
                    "image": model["image"],
                    "os_type": "Linux",
                    "inference_config": {
                        "liveness_route": {"path": model["health_path"], "port": model["port"]},
                        "readiness_route": {"path": model["health_path"], "port": model["port"]},
                        "scoring_route": {"path": model["invoke_path"], "port": model["port"]},
                    },
                    "tags": tags(version),
                },
                # The previous version's environment was made when it was the new one,
                # from an image config no longer names: keep it as it is (Azure
                # environment versions are immutable anyway).
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["properties"])
                if index
                else child,
            )

        # An Arc endpoint names its compute by ARM ID; the environment container's ID
        # carries subscription and workspace, so no invoke is needed to build it.
        compute = container.id.apply(lambda i: compute_id(i, arc)) if arc is not None else None
        body = pulumi.Output.from_input(compute).apply(
            lambda c: endpoint_body(model["data"]["classification"], c)
        )
        azure_name = pulumi.Output.all(rg, ws).apply(
            lambda a: endpoint_name(model["name"], location["name"], a[0], a[1])
        )
        endpoint_properties: ml.OnlineEndpointPropertiesArgsDict = {"auth_mode": "Key"}
        if compute is not None:
            endpoint_properties["compute"] = compute
        else:
            endpoint_properties["public_network_access"] = public_network_access(
                model["data"]["classification"]
            )
        endpoint = ml.OnlineEndpoint(
            f"{name}-endpoint",
            endpoint_name=azure_name,
            resource_group_name=rg,
            workspace_name=ws,
            location=region,
            identity={"type": "SystemAssigned"},
            properties=endpoint_properties,
            tags=tags(model["version"]),
            # The traffic template below owns the split and keeps the tags current
            # (they carry the version): this resource creates the endpoint and keeps
            # its settings, so a new version never puts it without its traffic.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["tags", "properties.traffic", "properties.mirrorTraffic"],
            ),
        )

        deployments: list[ml.OnlineDeployment] = []
        for version in plan.versions:
            properties: ml.ManagedOnlineDeploymentArgs | ml.KubernetesOnlineDeploymentArgs
            settings: dict[str, Any] = {
                "environment_id": environments[version].id,
                "environment_variables": _environment_variables(model, version),
                "liveness_probe": _probe(initial_delay="PT15S", period="PT10S"),
                "readiness_probe": _probe(initial_delay="PT2S", period="PT5S"),
                "request_settings": {
                    "request_timeout": REQUEST_TIMEOUT,
                    "max_concurrent_requests_per_instance": 1,
                },
                # A union type in the SDK: only the Args class gets its keys translated.
                "scale_settings": ml.DefaultScaleSettingsArgs(scale_type="Default"),
                "app_insights_enabled": False,
            }
            if arc is not None:
                properties = ml.KubernetesOnlineDeploymentArgs(
                    endpoint_compute_type="Kubernetes",
                    instance_type=ARC_INSTANCE_TYPE,
                    container_resource_requirements=_container_resources(model),
                    **settings,
                )
            else:
                properties = ml.ManagedOnlineDeploymentArgs(
                    endpoint_compute_type="Managed",
                    instance_type=location["instance_type"],
                    **settings,
                )
            deployments.append(
                ml.OnlineDeployment(
                    f"{name}-{deployment_name(version)}",
                    deployment_name=deployment_name(version),
                    endpoint_name=endpoint.name,
                    resource_group_name=rg,
                    workspace_name=ws,
                    location=region,
                    properties=properties,
                    sku={"name": "Default", "capacity": model["scaling"]["min"]},
                    tags=tags(version),
                    opts=child,
                )
            )

        template = pulumi.Output.all(ws, azure_name, body).apply(
            lambda a: traffic_template(
                workspace=a[0],
                endpoint=a[1],
                region=region,
                tags=tags(model["version"]),
                body=a[2],
                plan=plan,
            )
        )
        arm.Deployment(
            f"{name}-traffic",
            deployment_name=azure_name.apply(lambda n: f"modelfleet-{n}-traffic"),
            resource_group_name=rg,
            properties={"mode": "Incremental", "template": template},
            tags=tags(model["version"]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[endpoint, *deployments]),
        )

        self.endpoint_name = endpoint.name
        self.url = endpoint.properties.apply(lambda p: p.scoring_uri)
        self.traffic = pulumi.Output.from_input(dict(plan.traffic))
        self.register_outputs(
            {"url": self.url, "endpoint_name": self.endpoint_name, "traffic": self.traffic}
        )
