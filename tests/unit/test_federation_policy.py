"""The pack's modelfleet-residency judges a federation's containers by their labels.

The labels are the ones the Federation component really registers (recorded under
mocks), so an aggregator outside the residency fails the preview like a serving
placement would, with no federation-specific policy.
"""

from typing import Any

import pytest

from modelfleet.federation.component import Federation
from modelfleet.federation.config import parse_federations
from modelfleet.federation.program import federation_args
from modelfleet.stackfile import parse
from tests.policy.builders import Spec, run, stack_args
from tests.unit.conftest import RecordingMocks
from tests.unit.federation_shapes import IRIS

CONTAINER = "pulumi-python:dynamic/federation:FederationContainer"
COMPONENT = "modelfleet:federation:Federation"


def registered(
    mocks: RecordingMocks, aggregator_country: str, everything: bool = False
) -> list[Spec]:
    """The federation's containers as the pack sees them, aggregator in ``aggregator_country``."""
    stack = parse(
        {
            "models": {"iris": IRIS},
            "locations": {
                name: {
                    "kind": "edge",
                    "jurisdiction": country,
                    "hosts": [{"name": "gw-1", "docker_host": "unix:///var/run/docker.sock"}],
                }
                for name, country in (("paris", "FR"), ("hub", aggregator_country))
            },
            "placements": {},
        }
    )
    raw: dict[str, Any] = {
        "iris-fl": {
            "model": "iris",
            "aggregator": "hub",
            "sites": {"paris": {"data": "/srv/paris.csv"}},
            "tls": {"ca": "CA", "cert": "CERT", "key": "KEY"},
        }
    }
    args = federation_args(parse_federations(raw)["iris-fl"], stack)
    mocks.run(lambda: Federation("iris-fl", args).superlink_address)
    parent = f"urn:pulumi:test::modelfleet::{COMPONENT}::iris-fl"
    return [
        Spec(
            CONTAINER,
            r.name,
            dict(r.inputs) if everything else {"labels": r.inputs["labels"]},
            (COMPONENT,),
            parent,
        )
        for r in mocks.of_type(CONTAINER)
    ]


def test_an_aggregator_outside_the_residency_fails_the_pack(mocks):
    outcome = run("modelfleet-residency", stack_args(registered(mocks, "US")))
    assert outcome.messages == [
        "iris at hub is in US (declared by its modelfleet/jurisdiction label): "
        "US is outside the model's residency (EU)"
    ]


def test_an_aggregator_inside_the_residency_passes_the_pack(mocks):
    outcome = run("modelfleet-residency", stack_args(registered(mocks, "DE")))
    assert outcome.messages == []


@pytest.mark.parametrize(
    "policy",
    [
        "edge-container-hardened",
        "edge-docker-host-secure-transport",
        "modelfleet-labels-present",
    ],
)
def test_the_containers_pass_the_pack_s_resource_policies(mocks, policy):
    # image-pinned-by-digest is left to the stack's policy config: dev stacks use tags.
    for spec in registered(mocks, "DE", everything=True):
        outcome = run(policy, spec.resource_args())
        assert outcome.messages == [], (policy, spec.name, outcome.messages)


def test_a_kubernetes_site_passes_the_pack_s_kubernetes_policies(mocks):
    raw: dict[str, Any] = {
        "iris-fl": {
            "model": "iris",
            "aggregator": "hub",
            "sites": {"munich": {"claim": "iris-rows"}},
            "tls": {"ca": "CA", "cert": "CERT", "key": "KEY"},
        }
    }
    stack = parse(
        {
            "models": {"iris": IRIS},
            "locations": {
                "hub": {
                    "kind": "edge",
                    "jurisdiction": "DE",
                    "hosts": [{"name": "gw-1", "docker_host": "unix:///var/run/docker.sock"}],
                },
                "munich": {"kind": "kubernetes", "jurisdiction": "DE", "context": "munich"},
            },
            "placements": {},
        }
    )
    args = federation_args(parse_federations(raw)["iris-fl"], stack)
    mocks.run(lambda: Federation("iris-fl", args).superlink_address)
    parent = f"urn:pulumi:test::modelfleet::{COMPONENT}::iris-fl"
    specs = [
        Spec(r.type, r.name, dict(r.inputs), (COMPONENT,), parent)
        for r in mocks.resources
        if r.type.startswith("kubernetes:")
    ]
    for spec in specs:
        outcome = run("kubernetes-deployment-hardened", spec.resource_args())
        assert outcome.messages == [], (spec.name, outcome.messages)
    for name in ("kubernetes-networkpolicy-required", "modelfleet-residency"):
        assert run(name, stack_args(specs)).messages == [], name
