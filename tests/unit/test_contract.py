"""One container contract: every target gives the same model the same container.

The serving image answers its V2 routes under ``MODEL_NAME``; a target that forgot it
served ``/v2/models/model``. Each target is built from the same args, and what its
container gets is read back from the resources it registered.
"""

from typing import Any

import pytest
from pulumi.runtime import rpc

from modelfleet import contract
from modelfleet.targets.edge.spec import Spec
from tests.unit.conftest import RecordingMocks
from tests.unit.targets.args import LOCATIONS, build, model, target_mocks

KINDS = ["aws", "azure", "kubernetes", "edge"]
EDGE_CONTAINER = "pulumi-python:dynamic/edge:EdgeContainer"


def one(mocks: RecordingMocks, typ: str) -> Any:
    found = mocks.of_type(typ)
    assert found, f"no {typ} registered"
    return found[0]


def aws_contract(mocks: RecordingMocks) -> dict[str, Any]:
    container = one(mocks, "aws:sagemaker/model:Model").inputs["primaryContainer"]
    # SageMaker calls port 8080 at /ping and /invocations, and refuses anything else.
    return {
        "env": container["environment"],
        "port": 8080,
        "health": "/ping",
        "invoke": "/invocations",
    }


def azure_contract(mocks: RecordingMocks) -> dict[str, Any]:
    deployment = one(mocks, "azure-native:machinelearningservices:OnlineDeployment")
    routes = one(mocks, "azure-native:machinelearningservices:EnvironmentVersion").inputs[
        "properties"
    ]["inferenceConfig"]
    return {
        "env": deployment.inputs["properties"]["environmentVariables"],
        "port": routes["livenessRoute"]["port"],
        "health": routes["livenessRoute"]["path"],
        "invoke": routes["scoringRoute"]["path"],
    }


def kubernetes_contract(mocks: RecordingMocks) -> dict[str, Any]:
    pod = one(mocks, "kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    service = one(mocks, "kubernetes:core/v1:Service").inputs["spec"]
    assert service["ports"][0]["port"] == container["ports"][0]["containerPort"]
    return {
        "env": {e["name"]: e["value"] for e in container["env"]},
        "port": container["ports"][0]["containerPort"],
        "health": container["readinessProbe"]["httpGet"]["path"],
        "invoke": None,  # the Service routes every path; the URL output carries it
        "resources": container["resources"]["limits"],
    }


def unwrapped(value: Any) -> Any:
    """Inputs as the provider receives them: secrets as their values."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return unwrapped(value["value"])
    if isinstance(value, dict):
        return {key: unwrapped(item) for key, item in value.items()}
    return value


def edge_contract(mocks: RecordingMocks) -> dict[str, Any]:
    spec = Spec.of(unwrapped(one(mocks, EDGE_CONTAINER).inputs))
    return {
        "env": spec.environment,
        "port": spec.container_port,
        "health": spec.health_path,
        "invoke": spec.invoke_path,
        "resources": {"nano_cpus": contract.nano_cpus(spec.cpu), "memory": spec.memory_mb},
    }


READ = {
    "aws": aws_contract,
    "azure": azure_contract,
    "kubernetes": kubernetes_contract,
    "edge": edge_contract,
}


def built(kind: str, **location: Any) -> dict[str, Any]:
    mocks = target_mocks()
    build(mocks, kind, model(), LOCATIONS[kind](**location))
    return READ[kind](mocks)


@pytest.mark.parametrize("kind", KINDS)
def test_every_target_names_the_model_and_its_version_in_the_container(kind):
    # GIVEN the same model WHEN each target builds it THEN MODEL_NAME is the model's name
    assert built(kind)["env"] == {
        "MODEL_NAME": "iris",
        "MODEL_VERSION": "1.0.0",
        "LOG_LEVEL": "info",
    }


def test_every_target_gets_the_same_port_and_paths():
    contracts = {kind: built(kind) for kind in KINDS}
    for kind, got in contracts.items():
        assert (got["port"], got["health"]) == (8080, "/ping"), kind
        assert got["invoke"] in (None, "/invocations"), kind


def test_compute_is_the_same_amount_in_each_targets_units():
    # GIVEN 0.5 cores and 256 MiB WHEN Kubernetes, Arc and edge build it THEN each says so
    assert built("kubernetes")["resources"] == {"cpu": "500m", "memory": "256Mi"}
    assert built("edge")["resources"] == {"nano_cpus": 500_000_000, "memory": 256}
    mocks = target_mocks()
    build(mocks, "azure", model(), LOCATIONS["azure"](compute="arc-k8s", jurisdiction="DE"))
    deployment = one(mocks, "azure-native:machinelearningservices:OnlineDeployment")
    requirements = deployment.inputs["properties"]["containerResourceRequirements"]
    assert requirements["containerResourceLimits"] == {"cpu": "500m", "memory": "256Mi"}


def test_the_contracts_keys_win_over_user_env_of_the_same_name():
    env = contract.environment(model(env={"MODEL_NAME": "other", "X": "1"}))
    assert env == {"X": "1", "MODEL_NAME": "iris", "MODEL_VERSION": "1.0.0"}


def test_the_artifact_is_an_env_var_except_where_the_target_has_its_own_setting():
    with_artifact = model(artifact="s3://bucket/iris/model.tar.gz")
    assert contract.environment(with_artifact)["MODEL_ARTIFACT"] == "s3://bucket/iris/model.tar.gz"
    assert "MODEL_ARTIFACT" not in contract.environment(with_artifact, artifact=False)
    mocks = target_mocks()
    build(mocks, "aws", with_artifact, LOCATIONS["aws"]())
    container = one(mocks, "aws:sagemaker/model:Model").inputs["primaryContainer"]
    assert container["modelDataUrl"] == "s3://bucket/iris/model.tar.gz"
    assert "MODEL_ARTIFACT" not in container["environment"]
