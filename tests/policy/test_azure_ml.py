"""modelfleet.policy.azure_ml: public network access, by the endpoint's own properties."""

from typing import Any

import pytest

from tests.policy.builders import UNKNOWN, Spec, run, specs_for, stack_config

AZURE_POLICY = "azure-ml-endpoint-no-public-access"


def azure_endpoint(classification: str, **location: Any) -> Spec:
    raw = stack_config(
        {"classification": classification, "residency": ["EU"]},
        "azure-weu",
        {
            "kind": "azure",
            "location": "westeurope",
            "resource_group": "ml",
            "workspace": "ml-ws",
            **location,
        },
    )
    return specs_for(raw)[0]


# --- azure-ml-endpoint-no-public-access --------------------------------------------------


@pytest.mark.parametrize(
    ("classification", "access", "expected"),
    [
        ("confidential", "Disabled", []),
        ("public", "Enabled", []),
        (
            "restricted",
            "Enabled",
            ["restricted data needs publicNetworkAccess Disabled, not 'Enabled'"],
        ),
        (
            "confidential",
            None,
            [
                "confidential data needs publicNetworkAccess Disabled; it is not set, "
                "and Azure's default is Enabled"
            ],
        ),
    ],
)
def test_sensitive_azure_endpoints_refuse_public_access(classification, access, expected):
    endpoint = azure_endpoint(classification)
    if access is None:
        del endpoint.props["properties"]["publicNetworkAccess"]
    else:
        endpoint.props["properties"]["publicNetworkAccess"] = access
    assert run(AZURE_POLICY, endpoint.resource_args()).messages == expected


def test_azure_reads_its_dotted_tags():
    endpoint = azure_endpoint("restricted")
    del endpoint.props["tags"]["modelfleet.classification"]
    assert run(AZURE_POLICY, endpoint.resource_args()).messages == [
        "no modelfleet.classification label: cannot tell whether it must refuse public traffic"
    ]


def test_an_arc_endpoint_has_no_public_switch_to_check():
    endpoint = azure_endpoint("restricted", compute="arc", jurisdiction="DE")
    endpoint.props["properties"]["compute"] = UNKNOWN  # an ARM ID made from another output
    assert run(AZURE_POLICY, endpoint.resource_args()).violations == []
    assert run(AZURE_POLICY, endpoint.resource_args()).preview is None


def test_unknown_public_access_is_noted_not_passed():
    endpoint = azure_endpoint("restricted")
    endpoint.props["properties"]["publicNetworkAccess"] = UNKNOWN
    assert run(AZURE_POLICY, endpoint.resource_args()).preview == (
        "properties.publicNetworkAccess of fraud-scorer-azure-weu-endpoint: "
        "unknown at preview; checked again at update"
    )
