"""The provider schema check catches what a provider would refuse, and names where.

Inputs are written as the engine sends them (wire names, camelCase), so each case
shows the exact path a user would see in the error.
"""

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import rpc

from tests.provider_schemas import (
    KNOWN_FINDINGS,
    SCHEMA_DIR,
    KnownFinding,
    Schemas,
    Violation,
    schemas,
)
from tests.schema_extract import SDK_RESOURCES, sdk_schema
from tests.unit.conftest import RecordingMocks

CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
MODEL = "aws:sagemaker/model:Model"
DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ENV_ID = (
    "/subscriptions/0/resourceGroups/ml/providers/Microsoft.MachineLearningServices/"
    "workspaces/ws/environments/env/versions/1"
)


def serverless_config(**serverless: Any) -> dict[str, Any]:
    variant = {"variantName": "primary", "modelName": "m", "serverlessConfig": serverless}
    return {"name": "cfg", "productionVariants": [variant]}


def online_deployment(**properties: Any) -> dict[str, Any]:
    return {
        "endpointName": "ep",
        "deploymentName": "v1",
        "resourceGroupName": "ml",
        "workspaceName": "ws",
        "properties": {
            "endpointComputeType": "Managed",
            "environmentId": ENV_ID,
            "instanceType": "Standard_DS3_v2",
            **properties,
        },
    }


def k8s_deployment(container: dict[str, Any], replicas: Any = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "scorer", "labels": {"app": "scorer"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "scorer"}},
            "template": {
                "metadata": {"labels": {"app": "scorer"}},
                "spec": {"containers": [container]},
            },
        },
    }


def found(token: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.path, v.rule) for v in schemas().check(token, "r", inputs)]


def test_valid_inputs_of_every_kind_pass():
    # GIVEN inputs each provider accepts
    cases = {
        CONFIG: serverless_config(memorySizeInMb=2048, maxConcurrency=5),
        DEPLOYMENT: online_deployment(scaleSettings={"scaleType": "Default"}),
        K8S_DEPLOYMENT: k8s_deployment(
            {"name": "model", "image": "scorer:1", "ports": [{"containerPort": 8080}]}
        ),
    }
    # WHEN each is checked THEN nothing is found
    results = {token: found(token, inputs) for token, inputs in cases.items()}
    assert results == {token: [] for token in cases}


def test_a_misspelled_nested_key_is_named_with_its_path_and_the_right_spelling():
    # GIVEN a serverless config whose memory size is spelled memorySizeMb
    inputs = serverless_config(memorySizeMb=2048, maxConcurrency=5)
    # WHEN it is checked
    violations = schemas().check(CONFIG, "fraud-config", inputs)
    # THEN the unknown key and the required one it was meant to be are both named
    path = "productionVariants[0].serverlessConfig"
    assert [str(v) for v in violations] == [
        f"{CONFIG} fraud-config: {path}.memorySizeMb: unknown property: "
        "'memorySizeMb' is not a property; did you mean 'memorySizeInMb'?",
        f"{CONFIG} fraud-config: {path}.memorySizeInMb: missing required: "
        "'memorySizeInMb' is required",
    ]


def test_a_compute_type_outside_the_discriminator_values_is_refused():
    # GIVEN an Azure deployment whose compute type is spelled in lower case
    inputs = online_deployment(endpointComputeType="kubernetes")
    # WHEN it is checked THEN the allowed values are listed
    [violation] = schemas().check(DEPLOYMENT, "v1", inputs)
    assert (violation.path, violation.rule) == ("properties.endpointComputeType", "not in enum")
    assert "'kubernetes' is not one of ['Kubernetes', 'Managed']" in violation.detail


def test_an_enum_value_outside_the_sdk_enum_is_refused():
    # GIVEN an endpoint whose auth mode is not one of AMLToken, Key, AADToken
    inputs = {
        "endpointName": "ep",
        "resourceGroupName": "ml",
        "workspaceName": "ws",
        "properties": {"authMode": "key"},
    }
    assert found(ENDPOINT, inputs) == [("properties.authMode", "not in enum")]


def test_a_union_member_is_checked_as_the_type_its_discriminator_names():
    # GIVEN default scale settings carrying a key of no scale settings type
    inputs = online_deployment(scaleSettings={"scaleType": "Default", "minInstance": 1})
    assert found(DEPLOYMENT, inputs) == [
        ("properties.scaleSettings.minInstance", "unknown property")
    ]


@pytest.mark.parametrize(
    ("token", "inputs", "expected"),
    [
        pytest.param(MODEL, {"name": "m"}, [("executionRoleArn", "missing required")], id="top"),
        pytest.param(
            CONFIG,
            serverless_config(memorySizeInMb=2048),
            [("productionVariants[0].serverlessConfig.maxConcurrency", "missing required")],
            id="nested",
        ),
        pytest.param(
            K8S_DEPLOYMENT,
            k8s_deployment({"image": "scorer:1"}),
            [("spec.template.spec.containers[0].name", "missing required")],
            id="kubernetes",
        ),
    ],
)
def test_a_missing_required_property_is_named(token, inputs, expected):
    assert found(token, inputs) == expected


@pytest.mark.parametrize(
    ("token", "inputs", "path"),
    [
        (
            CONFIG,
            serverless_config(memorySizeInMb="2GB", maxConcurrency=5),
            "productionVariants[0].serverlessConfig.memorySizeInMb",
        ),
        (CONFIG, {"productionVariants": {"variantName": "v"}}, "productionVariants"),
        (
            DEPLOYMENT,
            online_deployment(appInsightsEnabled="false"),
            "properties.appInsightsEnabled",
        ),
        (K8S_DEPLOYMENT, k8s_deployment({"name": "m"}, replicas=True), "spec.replicas"),
        (
            K8S_DEPLOYMENT,
            k8s_deployment({"name": "m", "ports": [{"containerPort": "8080"}]}),
            "spec.template.spec.containers[0].ports[0].containerPort",
        ),
    ],
    ids=[
        "string-for-integer",
        "object-for-array",
        "string-for-boolean",
        "bool-for-integer",
        "k8s-port",
    ],
)
def test_a_wrong_type_is_named(token, inputs, path):
    assert found(token, inputs) == [(path, "wrong type")]


def test_arns_and_arm_ids_must_look_like_them():
    # GIVEN a role given by name and an environment given by its short name
    model = {"executionRoleArn": "sagemaker-role"}
    deployment = online_deployment(environmentId="fraud-env")
    # THEN both are refused by their pattern
    assert found(MODEL, model) == [("executionRoleArn", "pattern")]
    assert found(DEPLOYMENT, deployment) == [("properties.environmentId", "pattern")]


def test_kubernetes_names_its_constants_and_takes_int_or_string_ports():
    inputs = k8s_deployment({"name": "m", "readinessProbe": {"httpGet": {"port": "http"}}})
    inputs["apiVersion"] = "apps/v1beta1"
    assert found(K8S_DEPLOYMENT, inputs) == [("apiVersion", "const")]


def test_secrets_are_checked_inside_and_unknowns_pass():
    # GIVEN a wrong-typed value hidden in a secret, and a value not known yet
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "many"}
    inputs = serverless_config(memorySizeInMb=secret, maxConcurrency=rpc.UNKNOWN)
    # THEN the secret's value is still checked, the unknown is not
    assert found(CONFIG, inputs) == [
        ("productionVariants[0].serverlessConfig.memorySizeInMb", "wrong type")
    ]


def test_the_endpoint_an_arm_template_puts_is_checked_as_an_online_endpoint():
    # GIVEN a traffic template whose endpoint body misspells mirrorTraffic
    endpoint = {
        "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
        "apiVersion": "2025-12-01",
        "name": "ws/ep",
        "properties": {"authMode": "Key", "traffic": {"v1": 100}, "mirrorTraffik": {}},
    }
    inputs = {
        "resourceGroupName": "ml",
        "properties": {"mode": "Incremental", "template": {"resources": [endpoint]}},
    }
    path = "properties.template.resources[0].properties.mirrorTraffik"
    assert found("azure-native:resources:Deployment", inputs) == [(path, "unknown property")]


def test_a_resource_type_without_schema_fails_and_says_how_to_add_it():
    [violation] = schemas().check("aws:s3/bucket:Bucket", "b", {})
    assert violation.rule == "no schema"
    assert "scripts/extract-provider-schemas" in violation.detail


def test_the_mock_refuses_a_registration_the_provider_would_refuse(mocks: RecordingMocks):
    # GIVEN an endpoint configuration with a serverless memory size of the wrong type
    def program() -> pulumi.Output[Any]:
        variant = {
            "variant_name": "primary",
            "model_name": "m",
            "serverless_config": {"memory_size_in_mb": "big", "max_concurrency": 1},
        }
        return aws.sagemaker.EndpointConfiguration("cfg", production_variants=[variant]).name

    # WHEN the program registers it THEN the test fails, naming resource, path and rule
    with pytest.raises(
        AssertionError,
        match=r"cfg: productionVariants\[0\]\.serverlessConfig\.memorySizeInMb: wrong type",
    ):
        mocks.run(program)


def test_each_known_finding_has_a_reason_and_names_a_checked_type():
    entries = json.loads(KNOWN_FINDINGS.read_text())["findings"]
    rules = {
        "unknown property",
        "missing required",
        "wrong type",
        "not in enum",
        "const",
        "pattern",
        "api version",
    }
    for entry in entries:
        assert entry["reason"].strip(), entry
        assert entry["type"] in schemas().resources, entry
        assert entry["rule"] in rules, entry


@pytest.mark.parametrize("package", sorted(SDK_RESOURCES))
def test_the_sdk_schema_files_are_what_the_script_writes(package):
    # GIVEN the schema file of a provider package and a fresh extraction from its SDK
    fresh = sdk_schema(package, SDK_RESOURCES[package])
    stored = json.loads((SCHEMA_DIR / f"{fresh['name']}-{fresh['version']}.json").read_text())
    # THEN they match but for the day they were made
    for doc in (fresh, stored):
        doc["provenance"].pop("generated")
    assert stored == fresh, "run scripts/extract-provider-schemas"


def test_every_schema_file_carries_its_provenance():
    loaded = Schemas.load()
    assert set(loaded.versions) == {"aws", "azure-native", "kubernetes"}
    for path in sorted(SCHEMA_DIR.glob("*-[0-9]*.json")):
        provenance = json.loads(path.read_text())["provenance"]
        assert {"source", "generated", "generator", "rules"} <= set(provenance), path


def test_violations_read_as_resource_path_rule_detail():
    violation = Violation("aws:iam/role:Role r", "tags", "wrong type", "expected object")
    assert str(violation) == "aws:iam/role:Role r: tags: wrong type: expected object"


def test_a_policy_given_as_json_text_is_checked_as_a_policy_document():
    # GIVEN a trust policy whose statement misspells Principal and whose version is made up
    policy = {
        "Version": "2012-10-18",
        "Statement": [{"Effect": "Allow", "Principals": {"Service": "sagemaker.amazonaws.com"}}],
    }
    inputs = {"assumeRolePolicy": json.dumps(policy)}
    # WHEN the role is checked THEN both are found inside the JSON document
    assert found("aws:iam/role:Role", inputs) == [
        ("assumeRolePolicy(json).Version", "not in enum"),
        ("assumeRolePolicy(json).Statement[0].Principals", "unknown property"),
    ]
    # AND a policy that is not JSON is still a string the schema allows
    assert found("aws:iam/role:Role", {"assumeRolePolicy": "not json"}) == []


def test_a_known_finding_covers_its_type_path_pattern_and_rule_only():
    # GIVEN an allowed finding on any production variant's serverless memory size
    known = KnownFinding(
        CONFIG, "productionVariants[*].serverlessConfig.memorySizeInMb", "wrong type", "fix in #19"
    )
    path = "productionVariants[1].serverlessConfig.memorySizeInMb"
    # THEN it covers that violation, and not another rule, path or resource type
    assert known.covers(Violation(f"{CONFIG} cfg", path, "wrong type", ""))
    assert not known.covers(Violation(f"{CONFIG} cfg", path, "missing required", ""))
    assert not known.covers(Violation(f"{CONFIG} cfg", "name", "wrong type", ""))
    assert not known.covers(Violation(f"{MODEL} m", path, "wrong type", ""))
