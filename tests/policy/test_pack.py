"""modelfleet.policy.pack: the policies assembled, and the engine's side of the wire.

The last tests drive pulumi-policy's own analyzer servicer (what ``PolicyPack`` serves,
without starting its server) with the requests the engine sends, to show that config
files set the enforcement levels and that an unknown value reaches the engine as an
advisory note with the pack's message, whatever the policy's level.
"""

import re
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from modelfleet import rulebook
from modelfleet.policy.pack import BY_NAME, PACK_NAME, POLICIES
from modelfleet.policy.pack_config import reconcile
from tests.policy.builders import UNKNOWN, Spec, config_file, specs_for, stack_config

EXPECTED = {
    "modelfleet-residency": "stack",
    "aws-sagemaker-endpointconfig-kms": "resource",
    "aws-sagemaker-model-isolation": "resource",
    "azure-ml-endpoint-no-public-access": "resource",
    "kubernetes-deployment-hardened": "resource",
    "kubernetes-networkpolicy-required": "stack",
    "image-pinned-by-digest": "resource",
    "image-registry-allowed": "resource",
    "image-same-digest": "stack",
    "edge-docker-host-secure-transport": "resource",
    "edge-container-hardened": "resource",
    "modelfleet-labels-present": "resource",
}


# --- the policies ------------------------------------------------------------------------


def test_the_pack_has_every_policy_once_of_the_right_kind():
    assert {
        p.name: "stack" if isinstance(p, StackValidationPolicy) else "resource" for p in POLICIES
    } == EXPECTED
    assert len(POLICIES) == len(EXPECTED)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_each_policy_has_a_conventional_name_one_sentence_and_an_explicit_level(policy):
    assert re.fullmatch(r"(aws|azure|kubernetes|image|edge|modelfleet)(-[a-z0-9]+)+", policy.name)
    assert policy.description.endswith(".")
    assert ". " not in policy.description
    assert policy.description[0].isupper()
    assert policy.enforcement_level is not None
    expected = "advisory" if policy.name == "modelfleet-labels-present" else "mandatory"
    assert policy.enforcement_level.value == expected


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_each_policy_is_a_rule_of_the_rulebook(policy):
    rule = rulebook.RULES[policy.name]
    assert (rule.message, rule.policy) == (policy.description, policy.name)
    assert rulebook.Check.POLICY in rule.checked


# --- the engine's side ---------------------------------------------------------------------


def servicer(config: dict[str, Any]) -> _PolicyAnalyzerServicer:
    """The pack's analyzer, configured as the engine does after reconciling ``config``."""
    analyzer = _PolicyAnalyzerServicer(PACK_NAME, "0.1.0", [*POLICIES], EnforcementLevel.ADVISORY)
    levels = {
        "advisory": proto.ADVISORY,
        "mandatory": proto.MANDATORY,
        "remediate": proto.REMEDIATE,
        "disabled": proto.DISABLED,
    }
    policy_config = {}
    for name, settings in reconcile(config).items():
        properties = struct_pb2.Struct()
        properties.update(settings.properties)
        policy_config[name] = proto.PolicyConfig(
            enforcementLevel=levels[settings.enforcement], properties=properties
        )
    analyzer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=policy_config), None)
    return analyzer


def analyze(analyzer: _PolicyAnalyzerServicer, spec: Spec) -> list[tuple[str, str, str]]:
    """(policy, enforcement level, message) of each diagnostic the engine would get."""
    properties = struct_pb2.Struct()
    properties.update(spec.props)
    request = proto.AnalyzeRequest(
        type=spec.type, properties=properties, urn=spec.urn, name=spec.name
    )
    response = analyzer.Analyze(request, None)
    return [
        (d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel), d.message)
        for d in response.diagnostics
    ]


def endpoint_config(kms: str | None) -> Spec:
    location: dict[str, Any] = {"kind": "aws", "region": "eu-central-1"}
    if kms:
        location["kms_key_arn"] = "arn:aws:kms:eu-central-1:111122223333:key/k"
    raw = stack_config(
        {"classification": "confidential", "residency": ["EU"]}, "aws-frankfurt", location
    )
    config = next(s for s in specs_for(raw) if s.name.endswith("-config"))
    if kms == "unknown":
        config.props["kmsKeyArn"] = UNKNOWN
    return config


def test_the_engine_gets_every_policy_with_its_level_and_config_schema():
    info = _PolicyAnalyzerServicer(
        PACK_NAME, "0.1.0", [*POLICIES], EnforcementLevel.ADVISORY
    ).GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME
    assert {p.name for p in info.policies} == set(EXPECTED)
    schemas = {p.name: json_format.MessageToDict(p.configSchema) for p in info.policies}
    assert set(schemas["modelfleet-residency"]["properties"]) == {"allowed_jurisdictions"}
    assert set(schemas["image-registry-allowed"]["properties"]) == {"registries"}


@pytest.mark.parametrize(("config", "level"), [("prod", "MANDATORY"), ("dev", "ADVISORY")])
def test_the_config_file_sets_the_level_a_violation_is_reported_at(config, level):
    assert analyze(servicer(config_file(config)), endpoint_config(kms=None)) == [
        (
            "aws-sagemaker-endpointconfig-kms",
            level,
            BY_NAME["aws-sagemaker-endpointconfig-kms"].description
            + "\nconfidential data needs a KMS key: kmsKeyArn is not set "
            "(set kms_key_arn on the location)",
        )
    ]


def test_an_unknown_value_reaches_the_engine_as_an_advisory_note_even_when_mandatory():
    assert analyze(servicer(config_file("prod")), endpoint_config(kms="unknown")) == [
        (
            "aws-sagemaker-endpointconfig-kms",
            "ADVISORY",
            "can't run policy 'aws-sagemaker-endpointconfig-kms' from policy pack "
            "'modelfleet@v0.1.0' during preview: kmsKeyArn of "
            "fraud-scorer-aws-frankfurt-config: unknown at preview; checked again at update",
        )
    ]


def test_a_compliant_resource_gets_no_diagnostic():
    assert analyze(servicer(config_file("prod")), endpoint_config(kms="set")) == []


def test_the_stack_policy_reads_the_provider_region_the_engine_sends():
    raw = stack_config(
        {"classification": "restricted", "residency": ["EU"]},
        "aws-frankfurt",
        {
            "kind": "aws",
            "region": "eu-central-1",
            "subnet_ids": ["subnet-0a"],
            "security_group_ids": ["sg-0a"],
        },
    )
    resources = []
    for spec in specs_for(raw):
        properties, provider_properties = struct_pb2.Struct(), struct_pb2.Struct()
        properties.update(spec.props)
        provider_properties.update({"region": "us-east-1"})
        resources.append(
            proto.AnalyzerResource(
                type=spec.type,
                properties=properties,
                urn=spec.urn,
                name=spec.name,
                parent=spec.parent or "",
                provider=proto.AnalyzerProviderResource(
                    type="pulumi:providers:aws",
                    properties=provider_properties,
                    urn="urn:p",
                    name="p",
                ),
            )
        )
    response = servicer(config_file("prod")).AnalyzeStack(
        proto.AnalyzeStackRequest(resources=resources), None
    )
    found = [
        (d.policyName, d.urn, d.message.split("\n", 1)[1])
        for d in response.diagnostics
        if d.policyName == "modelfleet-residency"
    ]
    assert found == [
        (
            "modelfleet-residency",
            resources[0].urn,
            "fraud-scorer at aws-frankfurt is in US (AWS region us-east-1 of its provider): "
            "US is outside the model's residency (EU); policy allows restricted data only in EU, not US",
        )
    ]
