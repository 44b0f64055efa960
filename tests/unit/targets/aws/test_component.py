"""SageMakerEndpoint through ModelEndpoint: one provider per region, a least-privilege
role, immutable models and configurations renamed on every change, blue/green rollout."""

import copy
import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from modelfleet import SageMakerConfigError, SageMakerEndpoint
from modelfleet.config import AwsLocation
from modelfleet.endpoint import ModelEndpoint
from modelfleet.jurisdictions import AWS_REGIONS
from modelfleet.labels import labels
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import ConfigError, load_stack_file, parse
from tests.unit.conftest import RecordingMocks, Registered, new_mocks, secret_value

ROOT = Path(__file__).resolve().parents[4]
AWS = "aws:"
DIGEST = "sha256:" + "9c" * 32
FRANKFURT_IMAGE = f"111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml/fraud-scorer@{DIGEST}"
KMS = "arn:aws:kms:eu-central-1:111122223333:key/6a2f0c4e-8b1d-4e7a-9c3f-5d7b9e1a3c5f"


def fraud_scorer(**changes: Any) -> dict[str, Any]:
    """Model args as a project writes them (plain secret_env: ``deploy`` makes it secret)."""
    return {
        "name": "fraud-scorer",
        "version": "1.4.0",
        "image": FRANKFURT_IMAGE,
        "port": 8080,
        "host_port": 8080,
        "health_path": "/ping",
        "invoke_path": "/invocations",
        "env": {},
        "resources": {"cpu": 1.0, "memory_mb": 1024, "gpus": 0},
        "scaling": {"min": 1, "max": 1},
        "data": {"classification": "internal", "residency": ["EU"]},
        **changes,
    }


def at(name: str, **settings: Any) -> dict[str, Any]:
    """An aws location's args, its kind's settings under ``aws``."""
    region = settings["region"]
    aws = {
        "name": name,
        "instance_type": "ml.m5.large",
        "subnet_ids": [],
        "security_group_ids": [],
        **settings,
    }
    return {"name": name, "kind": "aws", "jurisdiction": AWS_REGIONS[region], "aws": aws}


RESTRICTED_IN_VPC: dict[str, Any] = {
    "model": fraud_scorer(
        artifact="s3://ml-artifacts-prod-eu/fraud-scorer/1.4.0/model.tar.gz",
        env={"LOG_LEVEL": "info"},
        secret_env={"API_TOKEN": "s3cr3t-token"},
        scaling={"min": 2, "max": 8},
        data={"classification": "restricted", "residency": ["EU"]},
    ),
    "locations": [
        at(
            "aws-frankfurt",
            region="eu-central-1",
            instance_type="ml.m5.xlarge",
            kms_key_arn=KMS,
            subnet_ids=["subnet-0f1e2d3c4b5a69788", "subnet-0a9b8c7d6e5f41322"],
            security_group_ids=["sg-0c1d2e3f4a5b69788"],
        )
    ],
}
PUBLIC_SERVERLESS: dict[str, Any] = {
    "model": fraud_scorer(
        version="2.0.0",
        image=f"444455556666.dkr.ecr.us-east-1.amazonaws.com/ml/fraud-scorer@{DIGEST}",
        data={"classification": "public", "residency": []},
    ),
    "locations": [
        at(
            "aws-virginia",
            region="us-east-1",
            serverless={"memory_mb": 3072, "max_concurrency": 20},
        )
    ],
}
TWO_REGIONS: dict[str, Any] = {
    "model": fraud_scorer(scaling={"min": 1, "max": 3}),
    "locations": [
        at("aws-frankfurt", region="eu-central-1"),
        at("aws-dublin", region="eu-west-1", instance_type="ml.c5.large"),
    ],
}
TAGGED = {
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:sagemaker/model:Model",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws:sagemaker/endpoint:Endpoint",
    "aws:appautoscaling/target:Target",
}


def with_secrets(args: dict[str, Any]) -> Any:
    """A copy of ``args`` with its secret_env values as Pulumi secrets, as a project passes them."""
    copied = copy.deepcopy(args)
    secret_env = copied["model"].get("secret_env") or {}
    copied["model"]["secret_env"] = {k: pulumi.Output.secret(v) for k, v in secret_env.items()}
    return copied


def deploy(mocks: RecordingMocks, args: dict[str, Any]) -> dict[str, str]:
    built = with_secrets(args)
    return mocks.run(lambda: ModelEndpoint("fraud-scorer", built).urls)


def fresh_run(args: dict[str, Any]) -> RecordingMocks:
    """One program run on its own recorder."""
    run = new_mocks()
    deploy(run, args)
    return run


def plain(value: Any) -> Any:
    """A recorded input with any secret wrapper removed."""
    try:
        return secret_value(value)
    except AssertionError:
        return value


def children(mocks: RecordingMocks, component: Registered) -> dict[str, Registered]:
    return {r.type: r for r in mocks.resources if r.parent == component.urn}


def policy_of(mocks: RecordingMocks, location: str) -> dict[str, Any]:
    return json.loads(mocks.named(f"fraud-scorer-{location}-role-policy").inputs["policy"])


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert len(by_sid) == len(policy["Statement"]), "statement ids must be unique"
    for sid, statement in by_sid.items():
        assert statement["Effect"] == "Allow", sid
        assert all("*" not in action for action in statement["Action"]), sid
    return by_sid


# --- (1) restricted data in a VPC with a KMS key, eu-central-1 ----------------------------


def test_restricted_model_in_a_vpc_gets_the_full_resource_set(mocks):
    # GIVEN restricted data placed on SageMaker in Frankfurt, in a VPC, with a KMS key
    urls = deploy(mocks, RESTRICTED_IN_VPC)
    # THEN one component under the ModelEndpoint holds every resource of the endpoint
    component = mocks.named("fraud-scorer-aws-frankfurt")
    assert component.type == "modelfleet:aws:SageMakerEndpoint"
    assert "modelfleet:index:ModelEndpoint$modelfleet:aws:SageMakerEndpoint" in component.urn
    kids = children(mocks, component)
    assert set(kids) == TAGGED | {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:appautoscaling/policy:Policy",
    }, component.urn
    assert len(mocks.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) == 2
    assert urls == {
        "aws-frankfurt": "https://runtime.sagemaker.eu-central-1.amazonaws.com/endpoints/"
        "fraud-scorer-aws-frankfurt-unit/invocations"
    }
    tags = labels(RESTRICTED_IN_VPC["model"], "aws-frankfurt", "DE")
    assert (
        tags.items()
        >= {
            "modelfleet/model": "fraud-scorer",
            "modelfleet/version": "1.4.0",
            "modelfleet/location": "aws-frankfurt",
            "modelfleet/classification": "restricted",
            "modelfleet/jurisdiction": "DE",
            "managed-by": "modelfleet",
        }.items()
    )
    for resource in mocks.resources:
        if resource.type in TAGGED:
            assert resource.inputs["tags"] == tags, resource.urn


def test_restricted_model_is_isolated_in_the_vpc_and_its_storage_encrypted(mocks):
    deploy(mocks, RESTRICTED_IN_VPC)
    model = mocks.named("fraud-scorer-aws-frankfurt-model")
    assert model.inputs["enableNetworkIsolation"] is True, model.urn
    assert model.inputs["vpcConfig"] == {
        "subnets": ["subnet-0f1e2d3c4b5a69788", "subnet-0a9b8c7d6e5f41322"],
        "securityGroupIds": ["sg-0c1d2e3f4a5b69788"],
    }, model.urn
    container = secret_value(model.inputs["primaryContainer"])  # it holds a secret env value
    assert container["image"] == FRANKFURT_IMAGE, model.urn
    assert container["modelDataUrl"] == "s3://ml-artifacts-prod-eu/fraud-scorer/1.4.0/model.tar.gz"
    assert container["imageConfig"] == {"repositoryAccessMode": "Platform"}
    assert container["environment"] == {
        "MODEL_NAME": "fraud-scorer",
        "MODEL_VERSION": "1.4.0",
        "LOG_LEVEL": "info",
        "API_TOKEN": "s3cr3t-token",
    }
    assert mocks.named("fraud-scorer-aws-frankfurt-role-policy").urn in model.dependencies

    config = mocks.named("fraud-scorer-aws-frankfurt-config")
    assert config.inputs["kmsKeyArn"] == KMS, config.urn
    assert plain(config.inputs["productionVariants"]) == [
        {
            "variantName": "primary",
            "modelName": plain(model.inputs["name"]),
            "instanceType": "ml.m5.xlarge",
            "initialInstanceCount": 2,
        }
    ], config.urn


def test_secret_env_stays_a_secret_everywhere_it_goes(mocks):
    deploy(mocks, RESTRICTED_IN_VPC)
    for resource in mocks.resources:
        for key, value in resource.inputs.items():
            if "s3cr3t-token" in repr(value):
                secret_value(value)  # fails unless the whole input is a secret
                assert (resource.name, key) == (
                    "fraud-scorer-aws-frankfurt-model",
                    "primaryContainer",
                )
    # A name digested from a secret is a secret too, down to the endpoint's reference.
    model = mocks.named("fraud-scorer-aws-frankfurt-model")
    assert secret_value(model.inputs["name"]).startswith("fraud-scorer-aws-frankfurt-unit-")
    endpoint = mocks.named("fraud-scorer-aws-frankfurt-endpoint")
    assert secret_value(endpoint.inputs["endpointConfigName"]) == secret_value(
        mocks.named("fraud-scorer-aws-frankfurt-config").inputs["name"]
    )


def test_endpoint_rolls_out_blue_green_with_a_canary_and_rolls_back_on_its_alarms(mocks):
    deploy(mocks, RESTRICTED_IN_VPC)
    endpoint = mocks.named("fraud-scorer-aws-frankfurt-endpoint")
    assert endpoint.inputs["name"] == "fraud-scorer-aws-frankfurt-unit"
    assert endpoint.inputs["deploymentConfig"] == {
        "blueGreenUpdatePolicy": {
            "trafficRoutingConfiguration": {
                "type": "CANARY",
                "canarySize": {"type": "INSTANCE_COUNT", "value": 1},
                "waitIntervalInSeconds": 600,
            },
            "terminationWaitInSeconds": 600,
        },
        "autoRollbackConfiguration": {
            "alarms": [
                {"alarmName": "fraud-scorer-aws-frankfurt-unit-5xx"},
                {"alarmName": "fraud-scorer-aws-frankfurt-unit-latency"},
            ]
        },
    }, endpoint.urn
    errors = mocks.named("fraud-scorer-aws-frankfurt-alarm-5xx").inputs
    latency = mocks.named("fraud-scorer-aws-frankfurt-alarm-latency").inputs
    for alarm in (errors, latency):
        assert alarm["namespace"] == "AWS/SageMaker"
        assert alarm["dimensions"] == {
            "EndpointName": "fraud-scorer-aws-frankfurt-unit",
            "VariantName": "primary",
        }
        assert alarm["treatMissingData"] == "notBreaching"
    assert (errors["metricName"], errors["statistic"], errors["threshold"]) == (
        "Invocation5XXErrors",
        "Sum",
        1,
    )
    assert (latency["metricName"], latency["extendedStatistic"]) == ("ModelLatency", "p99")
    logs = mocks.named("fraud-scorer-aws-frankfurt-logs")
    assert logs.inputs["name"] == "/aws/sagemaker/Endpoints/fraud-scorer-aws-frankfurt-unit"
    assert logs.urn in endpoint.dependencies  # exists before SageMaker would write to it


def test_instances_autoscale_between_the_model_bounds_on_invocations(mocks):
    deploy(mocks, RESTRICTED_IN_VPC)
    target = mocks.named("fraud-scorer-aws-frankfurt-scaling-target")
    assert {k: v for k, v in target.inputs.items() if k != "tags"} == {
        "serviceNamespace": "sagemaker",
        "resourceId": "endpoint/fraud-scorer-aws-frankfurt-unit/variant/primary",
        "scalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "minCapacity": 2,
        "maxCapacity": 8,
    }, target.urn
    assert mocks.named("fraud-scorer-aws-frankfurt-endpoint").urn in target.dependencies
    policy = mocks.named("fraud-scorer-aws-frankfurt-scaling-policy").inputs
    assert policy["policyType"] == "TargetTrackingScaling"
    assert policy["resourceId"] == target.inputs["resourceId"]
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert tracking["targetValue"] == 70


def test_execution_role_is_trusted_by_sagemaker_only_and_holds_scoped_grants(mocks):
    deploy(mocks, RESTRICTED_IN_VPC)
    role = mocks.named("fraud-scorer-aws-frankfurt-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ], role.urn
    assert role.urn in mocks.named("fraud-scorer-aws-frankfurt-role-policy").dependencies

    granted = statements(policy_of(mocks, "aws-frankfurt"))
    group = (
        "arn:aws:logs:eu-central-1:*:log-group:/aws/sagemaker/Endpoints/"
        "fraud-scorer-aws-frankfurt-unit"
    )
    ec2 = "arn:aws:ec2:eu-central-1:*"
    in_region = {"StringEquals": {"aws:RequestedRegion": "eu-central-1"}}
    expected = {
        "EcrLogin": (["ecr:GetAuthorizationToken"], "*"),
        "PullImage": (
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            ["arn:aws:ecr:eu-central-1:111122223333:repository/ml/fraud-scorer"],
        ),
        "ReadArtifact": (
            ["s3:GetObject"],
            ["arn:aws:s3:::ml-artifacts-prod-eu/fraud-scorer/1.4.0/*"],
        ),
        "ListArtifactPrefix": (["s3:ListBucket"], ["arn:aws:s3:::ml-artifacts-prod-eu"]),
        "WriteLogs": (
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [group, f"{group}:log-stream:*"],
        ),
        "DecryptWithLocationKey": (["kms:Decrypt"], [KMS]),
        "DescribeNetwork": (
            [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "*",
        ),
        "CreateNetworkInterfaces": (
            ["ec2:CreateNetworkInterface"],
            [
                f"{ec2}:subnet/subnet-0f1e2d3c4b5a69788",
                f"{ec2}:subnet/subnet-0a9b8c7d6e5f41322",
                f"{ec2}:security-group/sg-0c1d2e3f4a5b69788",
                f"{ec2}:network-interface/*",
            ],
        ),
        "ManageNetworkInterfaces": (
            [
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "*",
        ),
    }
    assert {sid: (s["Action"], s["Resource"]) for sid, s in granted.items()} == expected
    assert granted["ListArtifactPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["fraud-scorer/1.4.0/*"]}
    }
    # Each "*" resource is one AWS offers nothing narrower for; the EC2 ones are held
    # to the region by a condition.
    assert granted["DescribeNetwork"]["Condition"] == in_region
    assert granted["ManageNetworkInterfaces"]["Condition"] == in_region


# --- (2) public model, serverless, us-east-1 ----------------------------------------------


def test_public_serverless_model_has_no_autoscaling_alarms_or_deployment_config(mocks):
    urls = deploy(mocks, PUBLIC_SERVERLESS)
    component = mocks.named("fraud-scorer-aws-virginia")
    assert set(children(mocks, component)) == {
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:sagemaker/model:Model",
        "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
        "aws:sagemaker/endpoint:Endpoint",
    }, component.urn
    assert urls["aws-virginia"] == (
        "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/"
        "fraud-scorer-aws-virginia-unit/invocations"
    )
    model = mocks.named("fraud-scorer-aws-virginia-model")
    assert model.inputs["enableNetworkIsolation"] is False, model.urn
    assert "vpcConfig" not in model.inputs, model.urn
    container = model.inputs["primaryContainer"]  # nothing secret in it: a plain input
    assert set(container) == {"image", "environment"}, model.urn
    assert container["environment"] == {"MODEL_NAME": "fraud-scorer", "MODEL_VERSION": "2.0.0"}
    config = mocks.named("fraud-scorer-aws-virginia-config")
    assert "kmsKeyArn" not in config.inputs, config.urn
    assert config.inputs["productionVariants"] == [
        {
            "variantName": "primary",
            "modelName": model.inputs["name"],
            "serverlessConfig": {"memorySizeInMb": 3072, "maxConcurrency": 20},
        }
    ], config.urn
    endpoint = mocks.named("fraud-scorer-aws-virginia-endpoint")
    assert "deploymentConfig" not in endpoint.inputs, endpoint.urn
    assert endpoint.inputs["endpointConfigName"] == config.inputs["name"], endpoint.urn


def test_serverless_role_pulls_the_image_and_writes_logs_and_nothing_else(mocks):
    deploy(mocks, PUBLIC_SERVERLESS)
    granted = statements(policy_of(mocks, "aws-virginia"))
    group = (
        "arn:aws:logs:us-east-1:*:log-group:/aws/sagemaker/Endpoints/fraud-scorer-aws-virginia-unit"
    )
    assert {sid: (s["Action"], s["Resource"]) for sid, s in granted.items()} == {
        "EcrLogin": (["ecr:GetAuthorizationToken"], "*"),
        "PullImage": (
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            ["arn:aws:ecr:us-east-1:444455556666:repository/ml/fraud-scorer"],
        ),
        "WriteLogs": (
            ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            [group, f"{group}:log-stream:*"],
        ),
    }


# --- (3) two regions in one stack ---------------------------------------------------------


def test_each_region_uses_its_own_provider(mocks):
    deploy(mocks, TWO_REGIONS)
    providers = {r.name: r for r in mocks.of_type("pulumi:providers:aws")}
    assert set(providers) == {
        "fraud-scorer-aws-frankfurt-provider",
        "fraud-scorer-aws-dublin-provider",
    }
    regions = {"aws-frankfurt": "eu-central-1", "aws-dublin": "eu-west-1"}
    for location, region in regions.items():
        provider = providers[f"fraud-scorer-{location}-provider"]
        assert provider.inputs["region"] == region, provider.urn
        assert provider.parent == mocks.named("fraud-scorer").urn, provider.urn
        component = mocks.named(f"fraud-scorer-{location}")
        resources = [r for r in mocks.resources if r.parent == component.urn]
        assert len(resources) == 10, component.urn
        for resource in resources:
            assert resource.type.startswith(AWS), resource.urn
            assert resource.provider.startswith(provider.urn + "::"), resource.urn
            assert "region" not in resource.inputs, resource.urn  # the provider's alone


def test_each_region_pulls_its_own_ecr_replica_and_is_granted_only_that(mocks):
    deploy(mocks, TWO_REGIONS)
    dublin_image = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/ml/fraud-scorer@{DIGEST}"
    images = {
        location: mocks.named(f"fraud-scorer-{location}-model").inputs["primaryContainer"]["image"]
        for location in ("aws-frankfurt", "aws-dublin")
    }
    assert images == {"aws-frankfurt": FRANKFURT_IMAGE, "aws-dublin": dublin_image}
    pull = statements(policy_of(mocks, "aws-dublin"))["PullImage"]
    assert pull["Resource"] == ["arn:aws:ecr:eu-west-1:111122223333:repository/ml/fraud-scorer"]
    # One instance: the new fleet takes all traffic at once, still watched by the alarms.
    endpoint = mocks.named("fraud-scorer-aws-dublin-endpoint")
    routing = endpoint.inputs["deploymentConfig"]["blueGreenUpdatePolicy"]
    assert routing["trafficRoutingConfiguration"] == {
        "type": "ALL_AT_ONCE",
        "waitIntervalInSeconds": 600,
    }, endpoint.urn
    assert endpoint.inputs["tags"]["modelfleet/jurisdiction"] == "IE", endpoint.urn


# --- immutable models and configurations --------------------------------------------------


def with_model(args: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(args)
    changed["model"].update(changes)
    return changed


BASE = with_model(RESTRICTED_IN_VPC, secret_env={})  # plain names, easy to compare


@pytest.mark.parametrize(
    "change",
    [
        {"image": FRANKFURT_IMAGE.replace("9c" * 32, "1d" * 32)},
        {"artifact": "s3://ml-artifacts-prod-eu/fraud-scorer/1.4.1/model.tar.gz"},
    ],
    ids=["image", "artifact"],
)
def test_a_new_image_or_artifact_renames_model_and_config_but_not_the_endpoint(change):
    # GIVEN two runs of the program: the stack as it is, then with one model change
    before, after = fresh_run(BASE), fresh_run(with_model(BASE, **change))
    name = "fraud-scorer-aws-frankfurt"

    def names(run: RecordingMocks) -> dict[str, Any]:
        config = run.named(f"{name}-config").inputs
        endpoint = run.named(f"{name}-endpoint")
        return {
            "model": run.named(f"{name}-model").inputs["name"],
            "config": config["name"],
            "config_model": config["productionVariants"][0]["modelName"],
            "endpoint_urn": endpoint.urn,
            "endpoint": endpoint.inputs["name"],
            "endpoint_config": endpoint.inputs["endpointConfigName"],
        }

    old, new = names(before), names(after)
    # THEN the immutable resources get new physical names, so each replacement is
    # created before the old one goes ...
    assert new["model"] != old["model"]
    assert new["config"] != old["config"]
    assert new["config_model"] == new["model"]
    # ... and the endpoint keeps its logical and physical name and switches configuration
    assert new["endpoint_urn"] == old["endpoint_urn"]
    assert new["endpoint"] == old["endpoint"] == "fraud-scorer-aws-frankfurt-unit"
    assert (old["endpoint_config"], new["endpoint_config"]) == (old["config"], new["config"])


def test_the_same_inputs_give_the_same_names():
    first, second = fresh_run(BASE), fresh_run(copy.deepcopy(BASE))
    for child in ("model", "config"):
        resource = f"fraud-scorer-aws-frankfurt-{child}"
        assert first.named(resource).inputs["name"] == second.named(resource).inputs["name"]


def test_a_new_scaling_floor_gives_a_new_config_but_keeps_the_model():
    before = fresh_run(BASE)
    after = fresh_run(with_model(BASE, scaling={"min": 3, "max": 8}))
    model, config = "fraud-scorer-aws-frankfurt-model", "fraud-scorer-aws-frankfurt-config"
    assert after.named(model).inputs["name"] == before.named(model).inputs["name"]
    assert after.named(config).inputs["name"] != before.named(config).inputs["name"]


# --- the real stacks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("prod-eu", {"fraud-scorer": ["aws-frankfurt"], "demand-forecast": ["aws-paris"]}),
        ("prod-us", {"fraud-scorer": ["aws-virginia"], "shelf-vision": ["aws-oregon"]}),
    ],
)
def test_the_aws_placements_of_the_prod_stacks_build(mocks, stack, expected):
    # GIVEN the stack file as committed. Its other placements need secrets (kubeconfig,
    # TLS keys) that only the engine can decrypt, so only the aws ones are built here.
    config = load_stack_file(ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    aws_only = {
        model: [n for n in names if isinstance(config.locations[n], AwsLocation)]
        for model, names in config.placements.items()
    }
    aws_only = {model: names for model, names in aws_only.items() if names}
    assert aws_only == expected
    # WHEN each placed model's endpoints are built
    args = endpoint_args(config.model_copy(update={"placements": aws_only}))
    mocks.run(lambda: {m: ModelEndpoint(m, a).urls for m, a in args.items()})
    # THEN every aws placement is a SageMaker endpoint on its location's region
    for model, locations in expected.items():
        for location in locations:
            settings = config.locations[location]
            assert isinstance(settings, AwsLocation)
            component = mocks.named(f"{model}-{location}")
            assert component.type == "modelfleet:aws:SageMakerEndpoint", component.urn
            provider = mocks.named(f"{model}-{location}-provider")
            assert provider.inputs["region"] == settings.region, provider.urn
            container = plain(mocks.named(f"{model}-{location}-model").inputs["primaryContainer"])
            assert container["image"].startswith(
                f"{container['image'].split('.')[0]}.dkr.ecr.{settings.region}.amazonaws.com/ml/{model}@sha256:"
            ), component.urn


# --- on its own, and the pure decisions ---------------------------------------------------


def test_used_on_its_own_it_makes_a_provider_for_its_region(mocks):
    model = PUBLIC_SERVERLESS["model"]
    location = PUBLIC_SERVERLESS["locations"][0]["aws"]
    mocks.run(lambda: SageMakerEndpoint("scorer", {"model": model, "location": location}).url)
    provider = mocks.named("scorer-provider")
    assert provider.inputs["region"] == "us-east-1", provider.urn
    assert provider.parent == mocks.named("scorer").urn, provider.urn
    endpoint = mocks.named("scorer-endpoint")
    assert endpoint.provider.startswith(provider.urn + "::"), endpoint.urn


def test_an_image_outside_ecr_is_pulled_through_the_vpc_without_ecr_grants(mocks):
    deploy(mocks, with_model(BASE, image="registry.example.com/ml/fraud-scorer:1.4.0"))
    model = mocks.named("fraud-scorer-aws-frankfurt-model")
    container = model.inputs["primaryContainer"]
    assert container["image"] == "registry.example.com/ml/fraud-scorer:1.4.0", model.urn
    assert container["imageConfig"] == {"repositoryAccessMode": "Vpc"}, model.urn
    granted = statements(policy_of(mocks, "aws-frankfurt"))
    assert not {"EcrLogin", "PullImage"} & set(granted)


@pytest.mark.parametrize(
    ("location", "message"),
    [
        (
            {"subnet_ids": ["subnet-0abc"], "security_group_ids": []},
            r"set both subnet_ids and security_group_ids",
        ),
        (
            {
                "subnet_ids": ["subnet-0abc"],
                "security_group_ids": ["sg-0abc"],
                "serverless": {},
            },
            r"Serverless Inference cannot run in a VPC",
        ),
    ],
)
def test_locations_sagemaker_would_refuse_fail_before_anything_is_made(mocks, location, message):
    # GIVEN args built without the stack config layer (which refuses these itself),
    # as a project using the component directly would pass them
    args = with_secrets(PUBLIC_SERVERLESS)
    aws_location = args["locations"][0]["aws"]
    aws_location.pop("serverless", None)
    aws_location.update(location)
    # WHEN the component is built THEN it refuses before registering anything
    with pytest.raises(SageMakerConfigError, match=message):
        mocks.run(lambda: ModelEndpoint("fraud-scorer", args).urls)
    assert mocks.of_type("aws:sagemaker/endpoint:Endpoint") == []


def test_a_container_off_the_sagemaker_contract_is_refused_by_validate_and_the_component(mocks):
    message = r"port is 9000, but SageMaker only calls 8080"
    # GIVEN a stack placing a model on another port WHEN it is validated THEN the key is named
    stack = {
        "models": {
            "fraud-scorer": {
                "version": "2.0.0",
                "image": PUBLIC_SERVERLESS["model"]["image"],
                "port": 9000,
                "data": {"classification": "public"},
            }
        },
        "locations": {"aws-virginia": {"kind": "aws", "region": "us-east-1", "serverless": {}}},
        "placements": {"fraud-scorer": ["aws-virginia"]},
    }
    with pytest.raises(ConfigError) as caught:
        parse(stack)
    assert [i.path for i in caught.value.issues] == ["modelfleet:models.fraud-scorer.port"]
    assert re.search(message, caught.value.issues[0].reason)
    # AND built from args directly, the component refuses with the same words
    args = with_secrets(with_model(PUBLIC_SERVERLESS, port=9000))
    with pytest.raises(SageMakerConfigError, match=message):
        mocks.run(lambda: ModelEndpoint("fraud-scorer", args).urls)
    assert mocks.of_type("aws:sagemaker/model:Model") == []
