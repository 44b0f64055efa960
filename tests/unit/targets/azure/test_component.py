"""AzureMLEndpoint through ModelEndpoint: one endpoint per location, a deployment per version.

The recording mocks echo inputs as outputs. Azure computes some outputs itself — ARM
IDs, the endpoint's name and scoring URI — and the component builds on them (compute
IDs, the url output), so ``AzureMocks`` below stands in for Azure there, from inputs
only, and says so. Assertions about those values therefore prove the wiring, not
Azure's behaviour; everything else asserted is exactly what the engine would send.
"""

import copy
from typing import Any

import pulumi
import pytest

from modelfleet import AzureMLConfigError
from modelfleet.endpoint import ModelEndpoint
from modelfleet.jurisdictions import AZURE_REGIONS
from modelfleet.stackfile import ConfigError, parse
from modelfleet.targets.azure import plan as azure
from tests.unit.conftest import RecordingMocks, RecordingMonitor, install_mocks

ML = "azure-native:machinelearningservices:"
ENDPOINT = f"{ML}OnlineEndpoint"
DEPLOYMENT = f"{ML}OnlineDeployment"
TRAFFIC = "azure-native:resources:Deployment"
PROVIDER = "pulumi:providers:azure-native"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"

MODEL: dict[str, Any] = {
    "name": "fraud-scorer",
    "version": "1.4.0",
    "image": "mlregistry.azurecr.io/ml/fraud-scorer:1.4.0",
    "port": 8080,
    "host_port": 8080,
    "health_path": "/ping",
    "invoke_path": "/invocations",
    "env": {"LOG_LEVEL": "info"},
    "resources": {"cpu": 2.0, "memory_mb": 4096, "gpus": 0},
    "scaling": {"min": 2, "max": 4},
    "data": {"classification": "restricted", "residency": ["EU"]},
}
WESTEUROPE = {
    "kind": "azure",
    "location": "westeurope",
    "resource_group": "ml-prod",
    "workspace": "ml-prod-weu",
    "instance_type": "Standard_DS3_v2",
}
ROLLOUT_DEFAULTS = {"canary_percent": 10, "mirror_percent": 0}


def azure_at(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """An azure location's args; the jurisdiction derived, or declared for an Arc compute."""
    azure = {key: value for key, value in settings.items() if key != "kind"}
    azure.setdefault("jurisdiction", AZURE_REGIONS[azure["location"]])
    if "rollout" in azure:
        azure["rollout"] = {**ROLLOUT_DEFAULTS, **azure["rollout"]}
    azure = {"name": name, **azure}
    return {"name": name, "kind": "azure", "jurisdiction": azure["jurisdiction"], "azure": azure}


def stack(location: dict[str, Any] | None = None, **more: dict[str, Any]) -> Any:
    """The model's args, placed at azure-westeurope (changed by ``location``) and ``more``."""
    locations = {"azure-westeurope": {**WESTEUROPE, **(location or {})}, **more}
    return {
        "model": copy.deepcopy(MODEL),
        "locations": [azure_at(name, settings) for name, settings in locations.items()],
    }


def stack_file(location: dict[str, Any]) -> dict[str, Any]:
    """The same placement as the ``modelfleet`` maps of a stack file."""
    config_model = {k: v for k, v in MODEL.items() if k not in {"name", "host_port"}}
    return {
        "models": {"fraud-scorer": config_model},
        "locations": {"azure-westeurope": {**WESTEUROPE, **location}},
        "placements": {"fraud-scorer": ["azure-westeurope"]},
    }


class AzureMocks(RecordingMocks):
    """RecordingMocks plus what Azure itself would return: ARM IDs, names, the scoring URI."""

    def __init__(self) -> None:
        super().__init__()
        self.options: dict[str, dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        _, outputs = super().new_resource(args)
        inputs = args.inputs
        if not args.typ.startswith(ML):
            return f"{args.name}-id", outputs
        workspace = (
            f"{SUBSCRIPTION}/resourceGroups/{inputs['resourceGroupName']}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{inputs['workspaceName']}"
        )
        if args.typ == f"{ML}EnvironmentContainer":
            return f"{workspace}/environments/{inputs['name']}", outputs
        if args.typ == f"{ML}EnvironmentVersion":
            return (
                f"{workspace}/environments/{inputs['name']}/versions/{inputs['version']}",
                outputs,
            )
        if args.typ == ENDPOINT:
            name = inputs["endpointName"]
            uri = f"https://{name}.{inputs['location']}.inference.ml.azure.com/score"
            outputs.update(name=name, properties={**inputs["properties"], "scoringUri": uri})
            return f"{workspace}/onlineEndpoints/{name}", outputs
        return f"{workspace}/{args.name}", outputs


class OptionsMonitor(RecordingMonitor):
    """Also keeps each registration's ignore_changes and depends_on, by resource name."""

    mocks: AzureMocks

    def RegisterResource(self, request: Any) -> Any:
        self.mocks.options[request.name] = {"ignore_changes": list(request.ignoreChanges)}
        return super().RegisterResource(request)


@pytest.fixture
def mocks() -> AzureMocks:
    recorder = AzureMocks()
    install_mocks(recorder, OptionsMonitor(recorder))
    return recorder


def deploy(mocks: AzureMocks, args: Any) -> dict[str, Any]:
    endpoint = ModelEndpoint("fraud-scorer", args)
    return mocks.run(lambda: pulumi.Output.all(urls=endpoint.urls, names=endpoint.endpoint_names))


def template_resource(mocks: AzureMocks, location: str) -> dict[str, Any]:
    traffic = mocks.named(f"fraud-scorer-{location}-traffic")
    (resource,) = traffic.inputs["properties"]["template"]["resources"]
    return resource


# --- (1) a restricted model in westeurope ------------------------------------------


def test_restricted_model_gets_a_private_endpoint_and_a_managed_deployment(mocks):
    # GIVEN a restricted model placed on one Azure ML workspace WHEN the program runs
    out = deploy(mocks, stack())
    # THEN the component holds environment, endpoint, one deployment and the traffic step
    component = mocks.named("fraud-scorer-azure-westeurope")
    assert component.type == "modelfleet:azure:AzureMLEndpoint"
    assert "modelfleet:index:ModelEndpoint$modelfleet:azure:AzureMLEndpoint" in component.urn
    children = sorted(r.type for r in mocks.resources if r.parent == component.urn)
    assert children == sorted(
        [f"{ML}EnvironmentContainer", f"{ML}EnvironmentVersion", ENDPOINT, DEPLOYMENT, TRAFFIC]
    ), component.urn

    endpoint = mocks.named("fraud-scorer-azure-westeurope-endpoint")
    assert endpoint.inputs["location"] == "westeurope", endpoint.urn
    assert endpoint.inputs["identity"] == {"type": "SystemAssigned"}, endpoint.urn
    assert endpoint.inputs["properties"] == {"authMode": "Key", "publicNetworkAccess": "Disabled"}
    assert endpoint.inputs["endpointName"] == azure.endpoint_name(
        "fraud-scorer", "azure-westeurope", "ml-prod", "ml-prod-weu"
    )
    # The endpoint is only created here; the split is the traffic template's (see below).
    assert "traffic" not in endpoint.inputs["properties"], endpoint.urn
    assert mocks.options[endpoint.name]["ignore_changes"] == [
        "tags", "properties.traffic", "properties.mirrorTraffic"
    ]  # fmt: skip

    deployment = mocks.named("fraud-scorer-azure-westeurope-v1-4-0")
    assert deployment.inputs["deploymentName"] == "v1-4-0", deployment.urn
    assert deployment.inputs["endpointName"] == endpoint.inputs["endpointName"], deployment.urn
    assert deployment.inputs["sku"] == {"name": "Default", "capacity": 2}, deployment.urn
    assert endpoint.urn in deployment.dependencies, deployment.urn
    props = deployment.inputs["properties"]
    assert props["endpointComputeType"] == "Managed", deployment.urn
    assert props["instanceType"] == "Standard_DS3_v2", deployment.urn
    assert props["environmentId"].endswith(
        "/environments/fraud-scorer-azure-westeurope/versions/1.4.0"
    )
    assert props["environmentVariables"] == {
        "MODEL_NAME": "fraud-scorer",
        "MODEL_VERSION": "1.4.0",
        "LOG_LEVEL": "info",
    }
    assert props["requestSettings"] == {
        "requestTimeout": "PT60S",
        "maxConcurrentRequestsPerInstance": 1,
    }
    assert props["scaleSettings"] == {"scaleType": "Default"}, deployment.urn
    for probe in ("livenessProbe", "readinessProbe"):
        assert set(props[probe]) == {
            "initialDelay",
            "period",
            "timeout",
            "failureThreshold",
            "successThreshold",
        }

    environment = mocks.named("fraud-scorer-azure-westeurope-environment-v1-4-0").inputs
    assert environment["version"] == "1.4.0"
    assert environment["properties"]["image"] == MODEL["image"]
    assert environment["properties"]["inferenceConfig"] == {
        "livenessRoute": {"path": "/ping", "port": 8080},
        "readinessRoute": {"path": "/ping", "port": 8080},
        "scoringRoute": {"path": "/invocations", "port": 8080},
    }

    # The url is the endpoint's scoring URI (simulated by AzureMocks from the name).
    name = endpoint.inputs["endpointName"]
    assert out["urls"] == {
        "azure-westeurope": f"https://{name}.westeurope.inference.ml.azure.com/score"
    }
    assert out["names"] == {"azure-westeurope": name}


def test_every_taggable_resource_carries_the_labels_with_dots(mocks):
    deploy(mocks, stack())
    expected = {
        "modelfleet.model": "fraud-scorer",
        "modelfleet.version": "1.4.0",
        "modelfleet.location": "azure-westeurope",
        "modelfleet.classification": "restricted",
        "modelfleet.jurisdiction": "NL",
        "managed-by": "modelfleet",
    }
    tagged = [
        (r.urn, r.inputs["tags"])
        for r in mocks.resources
        if r.type in (ENDPOINT, DEPLOYMENT, TRAFFIC)
    ]
    tagged += [
        (r.urn, r.inputs["properties"]["tags"])
        for r in mocks.resources
        if r.type.startswith(f"{ML}Env")
    ]
    tagged.append(("traffic template", template_resource(mocks, "azure-westeurope")["tags"]))
    assert len(tagged) == 6
    for urn, tags in tagged:
        assert expected.items() <= tags.items(), urn
        assert not any("/" in key for key in tags), urn  # Azure forbids '/' in tag names


def test_the_traffic_template_puts_the_same_endpoint_last_with_all_traffic_on_the_new_version(
    mocks,
):
    deploy(mocks, stack())
    endpoint = mocks.named("fraud-scorer-azure-westeurope-endpoint")
    traffic = mocks.named("fraud-scorer-azure-westeurope-traffic")
    deployment = mocks.named("fraud-scorer-azure-westeurope-v1-4-0")
    # It runs after the endpoint and every deployment exist: Azure refuses traffic before.
    assert {endpoint.urn, deployment.urn} <= set(traffic.dependencies), traffic.urn
    assert traffic.inputs["resourceGroupName"] == "ml-prod"
    assert traffic.inputs["properties"]["mode"] == "Incremental"
    resource = template_resource(mocks, "azure-westeurope")
    name = endpoint.inputs["endpointName"]
    assert resource["type"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert resource["apiVersion"] == azure.ENDPOINT_API_VERSION
    assert resource["name"] == f"ml-prod-weu/{name}"
    assert resource["location"] == "westeurope"
    assert resource["identity"] == endpoint.inputs["identity"]
    # The same body the endpoint was created with, plus the split.
    assert resource["properties"] == {**endpoint.inputs["properties"], "traffic": {"v1-4-0": 100}}


def test_public_data_keeps_public_network_access(mocks):
    args = stack()
    args["model"]["data"] = {"classification": "public", "residency": []}
    deploy(mocks, args)
    endpoint = mocks.named("fraud-scorer-azure-westeurope-endpoint")
    assert endpoint.inputs["properties"]["publicNetworkAccess"] == "Enabled", endpoint.urn
    assert (
        template_resource(mocks, "azure-westeurope")["properties"]["publicNetworkAccess"]
        == "Enabled"
    )


# --- (2) safe rollout ------------------------------------------------------------------


def test_canary_keeps_both_deployments_and_splits_live_traffic(mocks):
    # GIVEN 1.4.0 rolling out beside 1.3.0 with a 10 % canary
    deploy(mocks, stack({"rollout": {"previous_version": "1.3.0", "canary_percent": 10}}))
    # THEN both versions have their deployment, named after the version
    deployments = {r.inputs["deploymentName"]: r for r in mocks.of_type(DEPLOYMENT)}
    assert set(deployments) == {"v1-4-0", "v1-3-0"}
    old = deployments["v1-3-0"]
    assert old.name == "fraud-scorer-azure-westeurope-v1-3-0", old.urn
    assert old.inputs["properties"]["environmentId"].endswith("/versions/1.3.0"), old.urn
    assert old.inputs["properties"]["environmentVariables"]["MODEL_VERSION"] == "1.3.0", old.urn
    assert old.inputs["tags"]["modelfleet.version"] == "1.3.0", old.urn
    # The previous environment is kept as Azure has it: config no longer names its image.
    assert mocks.options["fraud-scorer-azure-westeurope-environment-v1-3-0"]["ignore_changes"] == [
        "properties"
    ]
    assert mocks.options["fraud-scorer-azure-westeurope-environment-v1-4-0"]["ignore_changes"] == []
    # AND the new version gets 10 % of live traffic, the previous one the rest
    properties = template_resource(mocks, "azure-westeurope")["properties"]
    assert properties["traffic"] == {"v1-3-0": 90, "v1-4-0": 10}
    assert "mirrorTraffic" not in properties
    traffic = mocks.named("fraud-scorer-azure-westeurope-traffic")
    assert {d.urn for d in deployments.values()} <= set(traffic.dependencies), traffic.urn


def test_shadow_step_mirrors_a_share_to_the_new_version_without_live_traffic(mocks):
    deploy(
        mocks,
        stack(
            {"rollout": {"previous_version": "1.3.0", "canary_percent": 0, "mirror_percent": 20}}
        ),
    )
    properties = template_resource(mocks, "azure-westeurope")["properties"]
    assert properties["traffic"] == {"v1-3-0": 100, "v1-4-0": 0}
    assert properties["mirrorTraffic"] == {"v1-4-0": 20}
    assert len(mocks.of_type(DEPLOYMENT)) == 2


def test_promotion_leaves_only_the_new_deployment_with_all_traffic(mocks):
    # Step two of the rollout: previous_version removed from config.
    deploy(mocks, stack({"rollout": {"canary_percent": 10}}))
    assert [r.inputs["deploymentName"] for r in mocks.of_type(DEPLOYMENT)] == ["v1-4-0"]
    assert template_resource(mocks, "azure-westeurope")["properties"]["traffic"] == {"v1-4-0": 100}


# --- (3) an Arc-enabled Kubernetes compute -----------------------------------------------


def test_arc_compute_gets_a_kubernetes_deployment_on_that_compute(mocks):
    # GIVEN the workspace's Arc compute in Munich, jurisdiction declared
    deploy(mocks, stack({"compute": "munich-arc", "jurisdiction": "DE"}))
    endpoint = mocks.named("fraud-scorer-azure-westeurope-endpoint")
    # THEN the endpoint names the compute by ARM ID (built from the environment's ID,
    # which AzureMocks shapes like Azure's) and has no public access switch
    compute = (
        f"{SUBSCRIPTION}/resourceGroups/ml-prod/providers/"
        "Microsoft.MachineLearningServices/workspaces/ml-prod-weu/computes/munich-arc"
    )
    assert endpoint.inputs["properties"] == {"authMode": "Key", "compute": compute}, endpoint.urn
    assert template_resource(mocks, "azure-westeurope")["properties"]["compute"] == compute
    deployment = mocks.named("fraud-scorer-azure-westeurope-v1-4-0")
    props = deployment.inputs["properties"]
    assert props["endpointComputeType"] == "Kubernetes", deployment.urn
    # Not the location's VM size (the SDK's default would be one): the cluster's own type.
    assert props["instanceType"] == "defaultinstancetype", deployment.urn
    assert props["containerResourceRequirements"] == {
        "containerResourceRequests": {"cpu": "2000m", "memory": "4096Mi"},
        "containerResourceLimits": {"cpu": "2000m", "memory": "4096Mi"},
    }
    # AND the jurisdiction label is the declared one, not the workspace region's (NL)
    for resource in mocks.resources:
        if resource.type in (ENDPOINT, DEPLOYMENT, TRAFFIC):
            assert resource.inputs["tags"]["modelfleet.jurisdiction"] == "DE", resource.urn


# --- (4) two Azure locations, one provider each ----------------------------------------


def test_two_locations_each_use_their_own_provider(mocks):
    args = stack(
        **{
            "azure-swedencentral": {
                **WESTEUROPE,
                "location": "swedencentral",
                "workspace": "ml-prod-sec",
            }
        }
    )
    out = deploy(mocks, args)
    providers = {r.name: r for r in mocks.of_type(PROVIDER)}
    assert set(providers) == {
        "fraud-scorer-azure-westeurope-provider",
        "fraud-scorer-azure-swedencentral-provider",
    }
    for location, region in (
        ("azure-westeurope", "westeurope"),
        ("azure-swedencentral", "swedencentral"),
    ):
        provider = providers[f"fraud-scorer-{location}-provider"]
        assert provider.inputs["location"] == region, provider.urn
        owned = [r for r in mocks.resources if r.name.startswith(f"fraud-scorer-{location}-")]
        azure_resources = [r for r in owned if r.type.startswith("azure-native:")]
        assert len(azure_resources) == 5, [r.urn for r in owned]
        for resource in azure_resources:
            assert resource.provider.startswith(provider.urn + "::"), resource.urn
            if "location" in resource.inputs:
                assert resource.inputs["location"] == region, resource.urn
    assert out["names"]["azure-westeurope"] != out["names"]["azure-swedencentral"]


# --- config: refused with exact key paths ----------------------------------------------


@pytest.mark.parametrize(
    ("rollout", "path"),
    [
        ({"previous_version": "1.3.0", "mirror_percent": 60}, "rollout.mirror_percent"),
        ({"previous_version": "1.3.0", "canary_percent": 120}, "rollout.canary_percent"),
    ],
)
def test_out_of_range_rollout_is_refused_with_its_key_path(rollout, path):
    with pytest.raises(ConfigError) as error:
        parse(stack_file({"rollout": rollout}))
    assert error.value.issues[0].path == f"modelfleet:locations.azure-westeurope.{path}"


def test_secret_env_is_refused_on_azure(mocks):
    # GIVEN args built without the stack config layer (which refuses this itself)
    args = stack()
    args["model"]["secret_env"] = {"API_TOKEN": pulumi.Output.secret("s3cr3t")}
    # WHEN the component is built THEN it refuses, naming the location
    with pytest.raises(
        AzureMLConfigError,
        match=r"models\.fraud-scorer\.secret_env: placed at Azure ML location 'azure-westeurope'",
    ):
        mocks.run(lambda: ModelEndpoint("fraud-scorer", args).urls)
