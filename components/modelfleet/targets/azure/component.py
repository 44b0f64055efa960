"""``AzureMLEndpoint``: a model served by an Azure ML online endpoint, managed or on Arc.

The constructor is a sequence of named steps (environments, endpoint, deployments,
traffic); the order Azure imposes on them is explained in
:mod:`modelfleet.targets.azure.plan`, beside the pure functions they wire.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native.machinelearningservices as ml
import pulumi_azure_native.resources as arm

from modelfleet import contract
from modelfleet.errors import AzureMLConfigError, refuse
from modelfleet.labels import azure_tags
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.azure import checks
from modelfleet.targets.azure.args import AzureLocationArgs, AzureMLEndpointArgs
from modelfleet.targets.azure.plan import (
    RolloutPlan,
    compute_id,
    deployment_name,
    endpoint_body,
    endpoint_name,
    environment_name,
    public_network_access,
    rollout_plan,
    traffic_template,
)

RESOURCE_TYPE = "modelfleet:azure:AzureMLEndpoint"

REQUEST_TIMEOUT = "PT60S"
"""SageMaker's fixed 60 s invocation timeout: one contract for every cloud target."""
ARC_INSTANCE_TYPE = "defaultinstancetype"
"""The instance type the Azure ML cluster extension creates. The SDK would otherwise send
its managed default (a VM size), which no Arc cluster knows."""


def _probe(initial_delay: str, period: str) -> ml.ProbeSettingsArgsDict:
    return {
        "initial_delay": initial_delay,
        "period": period,
        "timeout": "PT2S",
        "failure_threshold": 3,
        "success_threshold": 1,
    }


def _container_resources(model: ModelArgs) -> ml.ContainerResourceRequirementsArgsDict:
    settings: dict[str, Any] = contract.quantities(model["resources"], gpu_key="gpu")
    if "gpu" in settings:
        settings["gpu"] = pulumi.Output.from_input(settings["gpu"]).apply(str)
    requests: ml.ContainerResourceSettingsArgsDict = settings
    return {"container_resource_requests": requests, "container_resource_limits": requests}


@dataclass(frozen=True)
class _Placement:
    """What every step needs: the inputs and the plan."""

    name: str
    model: ModelArgs
    location: AzureLocationArgs
    plan: RolloutPlan

    @property
    def arc(self) -> str | None:
        return self.location.get("compute")

    def tags(self, version: str) -> dict[str, str]:
        versioned: ModelArgs = {**self.model, "version": version}
        return azure_tags(versioned, self.location["name"], self.location["jurisdiction"])

    @property
    def where(self) -> dict[str, pulumi.Input[str]]:
        return {
            "resource_group_name": self.location["resource_group"],
            "workspace_name": self.location["workspace"],
        }


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
        refuse(
            AzureMLConfigError, checks.location_issues(location) + checks.issues(model, location)
        )
        unused.log(self, checks.notes(model, location))
        plan = rollout_plan(
            location["name"],
            model["version"],
            location.get("rollout"),
            kubernetes="compute" in location,
        )
        at = _Placement(name, model, location, plan)
        container, environments = self._environments(at)
        azure_name = pulumi.Output.all(location["resource_group"], location["workspace"]).apply(
            lambda a: endpoint_name(model["name"], location["name"], a[0], a[1])
        )
        # An Arc endpoint names its compute by ARM ID; the environment container's ID
        # carries subscription and workspace, so no invoke is needed to build it.
        arc = at.arc
        compute = container.id.apply(lambda i: compute_id(i, arc)) if arc is not None else None
        endpoint = self._endpoint(at, azure_name, compute)
        deployments = [
            self._deployment(at, version, environments[version], endpoint)
            for version in plan.versions
        ]
        self._traffic(at, azure_name, compute, [endpoint, *deployments])
        self.endpoint_name = endpoint.name
        self.url = endpoint.properties.apply(lambda p: p.scoring_uri)
        self.traffic = pulumi.Output.from_input(dict(plan.traffic))
        self.register_outputs(
            {"url": self.url, "endpoint_name": self.endpoint_name, "traffic": self.traffic}
        )

    def _environments(
        self, at: _Placement
    ) -> tuple[ml.EnvironmentContainer, dict[str, ml.EnvironmentVersion]]:
        """The model's environment, and one version of it per deployed model version."""
        model = at.model
        container = ml.EnvironmentContainer(
            f"{at.name}-environment",
            name=environment_name(model["name"], at.location["name"]),
            properties={
                "description": f"Serving image of {model['name']}, managed by modelfleet",
                "tags": at.tags(model["version"]),
            },
            opts=pulumi.ResourceOptions(parent=self),
            **at.where,
        )
        routes = {
            "liveness_route": {"path": model["health_path"], "port": model["port"]},
            "readiness_route": {"path": model["health_path"], "port": model["port"]},
            "scoring_route": {"path": model["invoke_path"], "port": model["port"]},
        }
        environments: dict[str, ml.EnvironmentVersion] = {}
        for index, version in enumerate(at.plan.versions):
            environments[version] = ml.EnvironmentVersion(
                f"{at.name}-environment-{deployment_name(version)}",
                name=container.name,
                version=version,
                properties={
                    "image": contract.image(model, "azure", at.location.get("registry")),
                    "os_type": "Linux",
                    "inference_config": routes,
                    "tags": at.tags(version),
                },
                # The previous version's environment was made when it was the new one,
                # from an image config no longer names: keep it as it is (Azure
                # environment versions are immutable anyway).
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["properties"] if index else None
                ),
                **at.where,
            )
        return container, environments

    def _endpoint(
        self, at: _Placement, azure_name: pulumi.Output[str], compute: pulumi.Output[str] | None
    ) -> ml.OnlineEndpoint:
        """The endpoint, created without traffic: the traffic template owns the split."""
        properties: ml.OnlineEndpointPropertiesArgsDict = {"auth_mode": "Key"}
        if compute is not None:
            properties["compute"] = compute
        else:
            properties["public_network_access"] = public_network_access(
                at.model["data"]["classification"]
            )
        return ml.OnlineEndpoint(
            f"{at.name}-endpoint",
            endpoint_name=azure_name,
            location=at.location["location"],
            identity={"type": "SystemAssigned"},
            properties=properties,
            tags=at.tags(at.model["version"]),
            # The traffic template below owns the split and keeps the tags current
            # (they carry the version): this resource creates the endpoint and keeps
            # its settings, so a new version never puts it without its traffic.
            opts=pulumi.ResourceOptions(
                parent=self,
                ignore_changes=["tags", "properties.traffic", "properties.mirrorTraffic"],
            ),
            **at.where,
        )

    def _deployment(
        self,
        at: _Placement,
        version: str,
        environment: ml.EnvironmentVersion,
        endpoint: ml.OnlineEndpoint,
    ) -> ml.OnlineDeployment:
        """One model version's deployment: the container contract on managed or Arc compute."""
        properties: ml.ManagedOnlineDeploymentArgs | ml.KubernetesOnlineDeploymentArgs
        settings: dict[str, Any] = {
            "environment_id": environment.id,
            "environment_variables": contract.environment({**at.model, "version": version}),
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
        if at.arc is not None:
            properties = ml.KubernetesOnlineDeploymentArgs(
                endpoint_compute_type="Kubernetes",
                instance_type=ARC_INSTANCE_TYPE,
                container_resource_requirements=_container_resources(at.model),
                **settings,
            )
        else:
            properties = ml.ManagedOnlineDeploymentArgs(
                endpoint_compute_type="Managed",
                instance_type=at.location["instance_type"],
                **settings,
            )
        return ml.OnlineDeployment(
            f"{at.name}-{deployment_name(version)}",
            deployment_name=deployment_name(version),
            endpoint_name=endpoint.name,
            location=at.location["location"],
            properties=properties,
            sku={"name": "Default", "capacity": at.model["scaling"]["min"]},
            tags=at.tags(version),
            opts=pulumi.ResourceOptions(parent=self),
            **at.where,
        )

    def _traffic(
        self,
        at: _Placement,
        azure_name: pulumi.Output[str],
        compute: pulumi.Output[str] | None,
        after: list[pulumi.Resource],
    ) -> arm.Deployment:
        """The ARM template deployment that writes the split once the deployments exist."""
        body = pulumi.Output.from_input(compute).apply(
            lambda c: endpoint_body(at.model["data"]["classification"], c)
        )
        template = pulumi.Output.all(at.location["workspace"], azure_name, body).apply(
            lambda a: traffic_template(
                workspace=a[0],
                endpoint=a[1],
                region=at.location["location"],
                tags=at.tags(at.model["version"]),
                body=a[2],
                plan=at.plan,
            )
        )
        return arm.Deployment(
            f"{at.name}-traffic",
            deployment_name=azure_name.apply(lambda n: f"modelfleet-{n}-traffic"),
            resource_group_name=at.location["resource_group"],
            properties={"mode": "Incremental", "template": template},
            tags=at.tags(at.model["version"]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
