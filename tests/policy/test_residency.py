"""modelfleet-residency: placements judged from real regions, locations and declared labels.

Every case is a one-model stack config; the resources its target makes are built from
the same config, so the last tests can hold the pack to ``modelfleet plan`` on each.
"""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelfleet.policy.findings import Findings
from modelfleet.policy.residency import judge_stack, residency_config
from modelfleet.rules import PolicyConfig, plan
from modelfleet.stackfile import parse
from tests.policy.builders import IMAGE, UNKNOWN, Spec, provider, resources_for, run, stack_args

POLICY = "modelfleet-residency"
MODEL = "fraud-scorer"
VPC = {"subnet_ids": ["subnet-0a1b"], "security_group_ids": ["sg-0a1b"]}
KMS = {"kms_key_arn": "arn:aws:kms:eu-central-1:111122223333:key/k"}
PROD = {"allowed_jurisdictions": {"restricted": ["EU"], "confidential": ["EEA", "CH", "GB", "US"]}}


def data(classification: str, *residency: str) -> dict[str, Any]:
    return {"classification": classification, "residency": list(residency)}


def raw(model_data: dict[str, Any], location: str, where: dict[str, Any]) -> dict[str, Any]:
    return {
        "models": {MODEL: {"version": "1.4.0", "image": IMAGE, "data": model_data}},
        "locations": {location: where},
        "placements": {MODEL: [location]},
    }


def k8s(country: str) -> dict[str, Any]:
    return {"kind": "kubernetes", "jurisdiction": country, "context": "c", "namespace": "models"}


def aws(region: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "aws", "region": region, **extra}


def azure(location: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "azure",
        "location": location,
        "resource_group": "ml",
        "workspace": "ml-ws",
        **extra,
    }


def edge(country: str, bind: str = "127.0.0.1") -> dict[str, Any]:
    return {
        "kind": "edge",
        "jurisdiction": country,
        "hosts": [
            {"name": "gw-2", "docker_host": "ssh://ops@gw-2", "bind": bind, "wave": 0},
            {"name": "gw-1", "docker_host": "ssh://ops@gw-1", "bind": bind},
        ],
    }


CASES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "k8s-inside": (data("restricted", "EU"), "munich", k8s("DE")),
    "k8s-outside": (data("restricted", "EU"), "dallas", k8s("US")),
    "aws-inside": (data("restricted", "EU"), "aws-frankfurt", aws("eu-central-1", **VPC, **KMS)),
    "aws-outside": (data("confidential", "EU"), "aws-virginia", aws("us-east-1", **VPC, **KMS)),
    "aws-no-vpc": (data("restricted", "EU"), "aws-frankfurt", aws("eu-central-1", **KMS)),
    "azure-outside": (data("confidential", "CH"), "azure-weu", azure("westeurope")),
    "azure-arc": (
        data("restricted", "EU"),
        "azure-arc",
        azure("westeurope", compute="arc", jurisdiction="US"),
    ),
    "edge-public": (data("restricted", "EU"), "plant-lyon", edge("FR", bind="0.0.0.0")),
    "edge-outside": (data("internal", "EEA", "CH"), "store-austin", edge("US")),
    "public-anywhere": (data("public"), "aws-virginia", aws("us-east-1")),
}


def case_resources(name: str) -> list[Spec]:
    model_data, location, where = CASES[name]
    config = parse(raw(model_data, location, where))
    return resources_for(MODEL, config.models[MODEL], location, config.locations[location])


@pytest.mark.parametrize(
    ("case", "config", "expected"),
    [
        ("k8s-inside", PROD, []),
        ("aws-inside", PROD, []),
        ("public-anywhere", PROD, []),
        (
            "k8s-outside",
            {},
            [
                "fraud-scorer at dallas is in US (declared by its modelfleet/jurisdiction label): "
                "US is outside the model's residency (EU)"
            ],
        ),
        (
            "k8s-outside",
            PROD,
            [
                "fraud-scorer at dallas is in US (declared by its modelfleet/jurisdiction label): "
                "US is outside the model's residency (EU); "
                "policy allows restricted data only in EU, not US"
            ],
        ),
        (
            "aws-outside",
            PROD,
            [
                "fraud-scorer at aws-virginia is in US (AWS region us-east-1 of its provider): "
                "US is outside the model's residency (EU)"
            ],
        ),
        (
            "aws-no-vpc",
            PROD,
            [
                "fraud-scorer at aws-frankfurt is in DE (AWS region eu-central-1 of its provider): "
                "restricted data on a public endpoint: the SageMaker endpoint has no VPC "
                "(set subnet_ids and security_group_ids)"
            ],
        ),
        (
            "azure-outside",
            PROD,
            [
                "fraud-scorer at azure-weu is in NL (Azure location westeurope): "
                "NL is outside the model's residency (CH)"
            ],
        ),
        (
            "azure-arc",
            PROD,
            [
                "fraud-scorer at azure-arc is in US (declared for its Arc cluster): "
                "US is outside the model's residency (EU); "
                "policy allows restricted data only in EU, not US"
            ],
        ),
        (
            "edge-public",
            PROD,
            [
                "fraud-scorer at plant-lyon is in FR (declared by its modelfleet/jurisdiction label): "
                "restricted data on a public endpoint: hosts gw-1, gw-2 publish on a public address"
            ],
        ),
        (
            "edge-outside",
            {},
            [
                "fraud-scorer at store-austin is in US (declared by its modelfleet/jurisdiction label): "
                "US is outside the model's residency (EEA, CH)"
            ],
        ),
    ],
)
def test_each_placement_is_judged_by_its_real_whereabouts(case, config, expected):
    # GIVEN the resources a target makes for one placement WHEN the stack is validated
    outcome = run(POLICY, stack_args(case_resources(case), config))
    # THEN each refused placement is one violation, on the first resource there
    assert outcome.messages == expected
    assert outcome.preview is None
    assert all(urn is not None and "fraud-scorer" in urn for _, urn in outcome.violations)


def test_the_provider_region_wins_over_the_labels():
    # GIVEN resources labelled for Frankfurt whose provider is in Virginia
    specs = case_resources("aws-inside")
    for spec in specs:
        spec.provider = provider("aws", {"region": "us-east-1"})
    # THEN the provider's region places them
    assert run(POLICY, stack_args(specs, PROD)).messages == [
        "fraud-scorer at aws-frankfurt is in US (AWS region us-east-1 of its provider): "
        "US is outside the model's residency (EU); policy allows restricted data only in EU, not US"
    ]


def test_a_resource_region_wins_over_its_provider():
    # GIVEN one resource with its own region (pulumi-aws v7) outside the residency
    specs = case_resources("aws-inside")
    specs[2].props["region"] = "us-west-2"
    outcome = run(POLICY, stack_args(specs, PROD))
    # THEN that resource alone is refused, on its own URN
    assert outcome.violations == [
        (
            "fraud-scorer at aws-frankfurt is in US (AWS region us-west-2): "
            "US is outside the model's residency (EU); "
            "policy allows restricted data only in EU, not US",
            specs[2].urn,
        )
    ]


def test_config_override_narrows_where_a_classification_may_go():
    specs = case_resources("k8s-inside")
    assert run(POLICY, stack_args(specs, {})).messages == []
    override = {"allowed_jurisdictions": {"restricted": ["FR", "IE"]}}
    assert run(POLICY, stack_args(specs, override)).messages == [
        "fraud-scorer at munich is in DE (declared by its modelfleet/jurisdiction label): "
        "policy allows restricted data only in FR, IE, not DE"
    ]


def test_a_resource_with_no_region_anywhere_cannot_be_placed():
    specs = case_resources("aws-inside")
    for spec in specs:
        spec.provider = provider("aws", {"skipCredentialsValidation": "true"})
    assert run(POLICY, stack_args(specs, PROD)).messages == [
        f"fraud-scorer-aws-frankfurt-{role}: no AWS region on the resource or its provider: "
        "cannot judge its placement"
        for role in ("model", "config", "endpoint")
    ]


def test_an_azure_endpoint_without_location_cannot_be_placed():
    specs = case_resources("azure-outside")
    del specs[0].props["location"]
    assert run(POLICY, stack_args(specs[:1], PROD)).messages == [
        "fraud-scorer-azure-weu-endpoint: no location: set it explicitly: cannot judge its placement"
    ]


def test_unlabelled_resources_of_a_modelfleet_component_are_refused():
    specs = case_resources("k8s-inside")
    for spec in specs:
        del spec.props["metadata"]["labels"]
    assert run(POLICY, stack_args(specs, PROD)).messages == [
        f"fraud-scorer-munich-{role}: no modelfleet/model label on it or beside it: "
        "cannot tell whose data it holds"
        for role in ("deployment", "service", "networkpolicy")
    ]


def test_an_unlabelled_resource_is_placed_with_its_labelled_siblings_model():
    # GIVEN an untagged endpoint configuration in its own region, beside tagged siblings
    specs = case_resources("aws-inside")
    del specs[1].props["tags"]
    specs[1].props["region"] = "us-east-1"
    # THEN its siblings say whose data it holds, and its own region places it
    assert run(POLICY, stack_args(specs, PROD)).violations == [
        (
            "fraud-scorer at aws-frankfurt is in US (AWS region us-east-1): "
            "US is outside the model's residency (EU); "
            "policy allows restricted data only in EU, not US",
            specs[1].urn,
        )
    ]
    # AND alone, it cannot be judged
    assert run(POLICY, stack_args(specs[1:2], PROD)).messages == [
        "fraud-scorer-aws-frankfurt-config: no modelfleet/model label on it or beside it: "
        "cannot tell whose data it holds"
    ]


def test_an_unknown_region_is_an_explicit_preview_note_beside_what_could_be_decided():
    # GIVEN one placement decidable (Dallas) and one whose provider region is unknown
    unknown = case_resources("aws-inside")
    for spec in unknown:
        spec.provider = provider("aws", {"region": UNKNOWN})
    outcome = run(POLICY, stack_args(case_resources("k8s-outside") + unknown, {}))
    # THEN the decidable one is a violation, and the other an advisory note, not a pass
    assert outcome.messages == [
        "fraud-scorer at dallas is in US (declared by its modelfleet/jurisdiction label): "
        "US is outside the model's residency (EU)"
    ]
    assert outcome.preview == (
        "provider.region of fraud-scorer-aws-frankfurt-model; "
        "provider.region of fraud-scorer-aws-frankfurt-config; "
        "provider.region of fraud-scorer-aws-frankfurt-endpoint: "
        "unknown at preview; checked again at update"
    )


def test_an_unknown_label_is_a_preview_note():
    specs = case_resources("k8s-inside")[:1]
    specs[0].props["metadata"]["labels"]["modelfleet/classification"] = UNKNOWN
    outcome = run(POLICY, stack_args(specs, PROD))
    assert outcome.messages == []
    assert outcome.preview == (
        "metadata.labels.modelfleet/classification of fraud-scorer-munich-deployment: "
        "unknown at preview; checked again at update"
    )


@pytest.mark.parametrize("config", [{}, PROD, {"allowed_jurisdictions": {"confidential": ["CH"]}}])
@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_and_the_pack_agree(case, config):
    # GIVEN one placement, as stack config (plan) and as the resources it becomes (pack)
    model_data, location, where = CASES[case]
    policy = residency_config(config)
    verdicts = plan(parse(raw(model_data, location, where)), policy)
    findings = Findings()
    placements = judge_stack(stack_args(case_resources(case)).resources, policy, findings)
    # THEN both reach the same verdict, for the same reasons
    assert [p.verdict for p in placements] == verdicts
    assert findings.violations == []
    assert findings.unknowns == []


def test_residency_config_is_rules_policy_config():
    assert residency_config(PROD) == PolicyConfig.model_validate(
        {"allowed_jurisdictions": PROD["allowed_jurisdictions"]}
    )


COUNTRIES = ["DE", "FR", "IE", "NL", "CH", "NO", "GB", "US"]
AWS_REGIONS = ["eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-north-1", "us-east-1"]


@settings(max_examples=60, deadline=None)
@given(
    classification=st.sampled_from(["public", "internal", "confidential", "restricted"]),
    residency=st.lists(
        st.sampled_from(["EU", "EEA", *COUNTRIES]), min_size=1, max_size=3, unique=True
    ),
    allowed=st.dictionaries(
        st.sampled_from(["public", "internal", "confidential", "restricted"]),
        st.lists(st.sampled_from(["EU", "EEA", *COUNTRIES]), max_size=3, unique=True),
        max_size=2,
    ),
    where=st.one_of(
        st.sampled_from(COUNTRIES).map(k8s),
        st.sampled_from(COUNTRIES).map(lambda c: edge(c, bind="0.0.0.0")),
        st.sampled_from(AWS_REGIONS).map(lambda r: aws(r, **KMS)),
        st.sampled_from(AWS_REGIONS).map(lambda r: aws(r, **VPC, **KMS)),
    ),
)
def test_plan_and_the_pack_agree_on_any_placement(classification, residency, allowed, where):
    raw_config = raw(data(classification, *residency), "here", where)
    config = parse(raw_config)
    policy = residency_config({"allowed_jurisdictions": allowed})
    specs = resources_for(MODEL, config.models[MODEL], "here", config.locations["here"])
    findings = Findings()
    placements = judge_stack(stack_args(specs).resources, policy, findings)
    assert [p.verdict for p in placements] == plan(config, policy)
