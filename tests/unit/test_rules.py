"""Placement rules: residency, groups, declared jurisdictions, policy overrides."""

from modelfleet import jurisdictions
from modelfleet.config import Classification
from modelfleet.rules import PolicyConfig, plan, residency_refusals
from modelfleet.stackfile import parse
from tests.unit.stack_examples import valid

RESTRICTED = Classification.RESTRICTED


ECR_IMAGE = "111122223333.dkr.ecr.eu-west-3.amazonaws.com/fraud-scorer:1.4.0"
"""SageMaker outside a VPC pulls only from ECR: validate refuses any other registry there."""


def placed(location: dict, classification: str = "restricted", residency: list[str] | None = None):
    config = valid()
    config["models"]["fraud-scorer"]["image"] = ECR_IMAGE
    config["models"]["fraud-scorer"]["data"] = {
        "classification": classification,
        "residency": ["EU"] if residency is None else residency,
    }
    config["locations"] = {"target": location}
    config["placements"] = {"fraud-scorer": ["target"]}
    return plan(parse(config), PolicyConfig())[0]


def aws(region: str) -> dict:
    return {
        "kind": "aws",
        "region": region,
        "subnet_ids": ["subnet-1"],
        "security_group_ids": ["sg-1"],
    }


def test_eu_only_restricted_model_refused_in_us_east_1():
    verdict = placed(aws("us-east-1"))
    assert (verdict.allowed, verdict.jurisdiction) == (False, "US")
    assert verdict.reason == "US is outside the model's residency (EU)"


def test_eu_only_restricted_model_allowed_in_eu_west_3():
    verdict = placed(aws("eu-west-3"))
    assert (verdict.allowed, verdict.jurisdiction, verdict.reason) == (True, "FR", "allowed")


def test_eea_group_admits_norway_but_eu_does_not():
    norway = {"kind": "azure", "location": "norwayeast", "resource_group": "rg", "workspace": "wsp"}
    assert placed(norway, residency=["EEA"]).allowed
    assert placed(norway, residency=["EU"]).reason == "NO is outside the model's residency (EU)"


def test_declared_edge_jurisdiction_decides():
    def site(country: str) -> dict:
        host = {"name": "gw", "docker_host": "unix:///var/run/docker.sock"}
        return {"kind": "edge", "jurisdiction": country, "hosts": [host]}

    assert placed(site("FR")).allowed
    assert placed(site("US")).reason == "US is outside the model's residency (EU)"
    assert placed(site("CH"), residency=["EU", "CH"]).allowed


def test_restricted_data_refused_on_public_endpoints():
    no_vpc = {"kind": "aws", "region": "eu-west-3"}
    assert placed(no_vpc).reason.startswith(
        "restricted data on a public endpoint: the SageMaker endpoint has no VPC"
    )
    assert placed(no_vpc, classification="confidential").allowed
    public_host = {
        "kind": "edge",
        "jurisdiction": "FR",
        "hosts": [{"name": "gw", "docker_host": "unix:///s", "bind": "0.0.0.0"}],
    }
    assert (
        placed(public_host).reason
        == "restricted data on a public endpoint: hosts gw publish on a public address"
    )


def test_policy_config_override_narrows_a_classification():
    policy = PolicyConfig.model_validate({"allowed_jurisdictions": {"restricted": ["DE"]}})
    assert residency_refusals(RESTRICTED, ["EU"], "FR", policy) == [
        "policy allows restricted data only in DE, not FR"
    ]
    assert residency_refusals(RESTRICTED, ["EU"], "DE", policy) == []
    assert residency_refusals(Classification.PUBLIC, [], "US", policy) == []


def test_groups_have_their_members():
    assert len(jurisdictions.EU) == 27
    assert {"IS", "LI", "NO"} == jurisdictions.EEA - jurisdictions.EU
    assert "GB" not in jurisdictions.EU
    assert "CH" not in jurisdictions.EEA


def test_every_aws_commercial_region_has_a_country():
    import pulumi_aws

    other_partitions = ("cn-", "us-gov-", "us-iso", "eu-isoe-", "eusc-")
    commercial = {r.value for r in pulumi_aws.Region if not r.value.startswith(other_partitions)}
    assert commercial == set(jurisdictions.AWS_REGIONS)
    for region, country in {**jurisdictions.AWS_REGIONS, **jurisdictions.AZURE_REGIONS}.items():
        assert jurisdictions.is_country(country), region
