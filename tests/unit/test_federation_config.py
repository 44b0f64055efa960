"""``modelfleet:federations``: validate's errors by key path, and the placement rules.

The aggregator processes what the sites' data produced, so it is judged like a serving
placement: outside the model's residency, a federation is refused before any engine.
"""

from typing import Any

import pytest

from modelfleet.federation.config import FederationSpec
from modelfleet.federation.placement import federation_table, plan_federation
from modelfleet.federation.validate import validate
from modelfleet.rules import PolicyConfig
from modelfleet.stackfile import parse
from tests.unit.federation_shapes import IRIS

TLS = {"ca": "CA PEM", "cert": "CERT PEM", "key": "KEY PEM"}


def edge(jurisdiction: str, *hosts: str) -> dict[str, Any]:
    return {
        "kind": "edge",
        "jurisdiction": jurisdiction,
        "hosts": [{"name": h, "docker_host": f"ssh://ops@{h}.example"} for h in hosts or ("gw-1",)],
    }


STACK = parse(
    {
        "models": {"iris": IRIS},
        "locations": {
            "paris": edge("FR", "gw-1", "gw-2"),
            "lyon": edge("FR"),
            "frankfurt": edge("DE"),
            "ohio": edge("US"),
            "munich-k8s": {
                "kind": "kubernetes",
                "jurisdiction": "DE",
                "context": "munich",
                "namespace": "ml",
            },
        },
        "placements": {"iris": ["paris"]},
    }
)


def federation(**overrides: Any) -> dict[str, Any]:
    spec = {
        "model": "iris",
        "aggregator": "frankfurt",
        "sites": {"paris": {"data": "/srv/rows.csv"}, "lyon": {"data": "/srv/rows.csv"}},
        "tls": TLS,
    }
    return {"iris-fl": {**spec, **overrides}}


def issues(raw: dict[str, Any]) -> list[str]:
    return [str(issue) for issue in validate(raw, STACK)]


def test_a_federation_inside_the_residency_validates():
    assert issues(federation()) == []


def test_an_aggregator_outside_the_residency_is_refused_naming_the_key():
    # GIVEN EU data WHEN the aggregator sits in the US
    found = issues(federation(aggregator="ohio"))
    # THEN validate refuses it at the aggregator's key, with the rule's own reason
    assert found == [
        "modelfleet:federations.iris-fl.aggregator: US is outside the model's residency (EU)"
    ]


def test_a_site_outside_the_residency_is_refused_at_its_key():
    found = issues(federation(sites={"ohio": {"data": "/srv/rows.csv"}}))
    assert found == [
        "modelfleet:federations.iris-fl.sites.ohio: US is outside the model's residency (EU)"
    ]


def test_policy_narrows_where_the_aggregator_may_run():
    policy = PolicyConfig(allowed_jurisdictions={"confidential": ["FR"]})
    found = [str(i) for i in validate(federation(), STACK, policy)]
    assert found == [
        "modelfleet:federations.iris-fl.aggregator: "
        "policy allows confidential data only in FR, not DE"
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"model": "fraud"}, "modelfleet:federations.iris-fl.model: unknown model 'fraud' (iris)"),
        (
            {"aggregator": "tokyo"},
            "modelfleet:federations.iris-fl.aggregator: unknown location 'tokyo' "
            "(frankfurt, lyon, munich-k8s, ohio, paris)",
        ),
        (
            {"aggregator": "munich-k8s"},
            "modelfleet:federations.iris-fl.aggregator: location 'munich-k8s' is of kind "
            "kubernetes; this version runs an aggregator on edge locations only",
        ),
        (
            {"aggregator_host": "gw-9"},
            "modelfleet:federations.iris-fl.aggregator_host: unknown host 'gw-9' of frankfurt "
            "(gw-1)",
        ),
        (
            {"sites": {"paris": {"data": "/srv/rows.csv", "host": "gw-3"}}},
            "modelfleet:federations.iris-fl.sites.paris.host: unknown host 'gw-3' of paris "
            "(gw-1, gw-2)",
        ),
        (
            {"min_clients": 3},
            "modelfleet:federations.iris-fl.min_clients: 3 exceeds the federation's 2 site(s)",
        ),
    ],
)
def test_references_are_checked_against_the_stack(overrides, expected):
    assert issues(federation(**overrides)) == [expected]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"rounds": 0}, "modelfleet:federations.iris-fl.rounds: Input should be greater than"),
        ({"strategy": "fedprox"}, "modelfleet:federations.iris-fl.strategy: Input should be"),
        ({"epochs": 3}, "modelfleet:federations.iris-fl.epochs: unknown key"),
        ({"tls": None}, "modelfleet:federations.iris-fl.tls: not set, and `up` deploys no"),
        (
            {"sites": {"paris": {"data": "rows.csv"}}},
            "modelfleet:federations.iris-fl.sites.paris.data: must be an absolute path",
        ),
        (
            {"sites": {"paris": {"data": "/srv/../etc/shadow"}}},
            "modelfleet:federations.iris-fl.sites.paris.data: must be an absolute path",
        ),
        ({"sites": {}}, "modelfleet:federations.iris-fl.sites: Dictionary should have at least"),
    ],
)
def test_shape_errors_name_the_key(overrides, expected):
    found = issues(federation(**overrides))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_min_clients_defaults_to_every_site():
    spec = FederationSpec.model_validate(federation()["iris-fl"])
    assert spec.required_clients == 2


def test_plan_prints_the_federation_table_aggregator_first():
    spec = FederationSpec.model_validate(federation(aggregator="ohio")["iris-fl"])
    table = federation_table(plan_federation("iris-fl", spec, STACK, PolicyConfig()))
    assert table.splitlines() == [
        "federation  model  role        location  kind  jurisdiction  verdict",
        "iris-fl     iris   aggregator  ohio      edge  US            "
        "REFUSED: US is outside the model's residency (EU)",
        "iris-fl     iris   site        paris     edge  FR            allowed",
        "iris-fl     iris   site        lyon      edge  FR            allowed",
    ]


def test_a_kubernetes_site_reads_its_rows_from_a_claim():
    sites = {"paris": {"data": "/srv/rows.csv"}, "munich-k8s": {"claim": "iris-rows"}}
    assert issues(federation(sites=sites)) == []


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        (
            {"munich-k8s": {"data": "/srv/rows.csv"}},
            [
                "modelfleet:federations.iris-fl.sites.munich-k8s.claim: "
                "required for a kubernetes site",
                "modelfleet:federations.iris-fl.sites.munich-k8s.data: "
                "not used by a kubernetes site",
            ],
        ),
        (
            {"paris": {"claim": "iris-rows"}},
            [
                "modelfleet:federations.iris-fl.sites.paris.data: required for an edge site",
                "modelfleet:federations.iris-fl.sites.paris.claim: not used by an edge site",
            ],
        ),
    ],
)
def test_each_kind_of_site_names_its_data_its_own_way(sites, expected):
    assert issues(federation(sites=sites, min_clients=1)) == expected
