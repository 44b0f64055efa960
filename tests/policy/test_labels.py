"""modelfleet.policy.labels: every resource modelfleet makes carries its labels."""

import pytest

from tests.policy.builders import PLACED_AT, UNKNOWN, placed, run

LABELS = "modelfleet-labels-present"


# --- modelfleet-labels-present -----------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(PLACED_AT))
def test_every_resource_a_target_makes_carries_all_labels(kind):
    for spec in placed(kind).values():
        assert run(LABELS, spec.resource_args()).messages == [], spec.urn


def test_missing_labels_are_listed_in_the_targets_spelling():
    endpoint = placed("azure")["fraud-scorer-here-endpoint"]
    del endpoint.props["tags"]["modelfleet.residency"]
    del endpoint.props["tags"]["managed-by"]
    assert run(LABELS, endpoint.resource_args()).messages == [
        "missing labels: modelfleet.residency, managed-by"
    ]
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    del deployment.props["metadata"]["labels"]
    assert run(LABELS, deployment.resource_args()).messages == [
        "missing labels: modelfleet/model, modelfleet/version, modelfleet/location, "
        "modelfleet/classification, modelfleet/jurisdiction, modelfleet/residency, managed-by"
    ]


def test_resources_outside_modelfleet_components_are_not_its_business():
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    del deployment.props["metadata"]["labels"]
    deployment.parents = ()
    assert run(LABELS, deployment.resource_args()).violations == []


def test_unknown_labels_are_noted_not_passed():
    deployment = placed("kubernetes")["fraud-scorer-here-deployment"]
    deployment.props["metadata"]["labels"] = UNKNOWN
    assert run(LABELS, deployment.resource_args()).preview == (
        "metadata.labels of fraud-scorer-here-deployment: unknown at preview; checked again at update"
    )
