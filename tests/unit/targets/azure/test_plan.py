"""Azure ML's pure decisions, no mocks: names, the traffic split, resource IDs."""

import pytest

from modelfleet import AzureMLConfigError, RolloutArgs
from modelfleet.targets.azure import plan as azure
from modelfleet.targets.azure.plan import rollout_plan
from tests.unit.targets.azure.test_component import SUBSCRIPTION


def test_arc_compute_refuses_mirroring():
    rollout: RolloutArgs = {"previous_version": "1.3.0", "canary_percent": 0, "mirror_percent": 10}
    with pytest.raises(AzureMLConfigError, match="not supported on Kubernetes"):
        rollout_plan("arc", "1.4.0", rollout, kubernetes=True)


def test_endpoint_names_fit_azure_and_differ_per_workspace():
    names = {
        azure.endpoint_name("fraud-scorer", "azure-westeurope", "ml-prod", "ml-prod-weu"),
        azure.endpoint_name("fraud-scorer", "azure-westeurope", "ml-staging", "ml-staging-weu"),
        azure.endpoint_name("a" * 40, "b" * 40, "rg", "ws"),
        azure.endpoint_name("3d-scan", "x", "rg", "ws"),
    }
    assert len(names) == 4
    for name in names:
        assert 3 <= len(name) <= 32, name
        assert name[0].isalpha(), name
        assert name[-1] != "-", name
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-"), name
    assert azure.endpoint_name("fraud-scorer", "weu", "ML-Prod", "ws") == azure.endpoint_name(
        "fraud-scorer", "weu", "ml-prod", "ws"
    )  # resource group names are case-insensitive


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.4.0", "v1-4-0"), ("2024.06.01-rc_1", "v2024-06-01-rc-1"), ("7", None), ("9" * 40, None)],
)
def test_deployment_names_follow_the_version_and_azure_rules(version, expected):
    name = azure.deployment_name(version)
    assert expected is None or name == expected
    assert 3 <= len(name) <= 32, name
    assert name.startswith("v"), name
    assert name[-1] != "-", name


def test_previous_version_with_the_same_deployment_name_is_refused():
    with pytest.raises(AzureMLConfigError, match="names the same deployment"):
        rollout_plan(
            "weu",
            "1.4.0",
            {"previous_version": "1-4-0", "canary_percent": 10, "mirror_percent": 0},
            kubernetes=False,
        )


def test_live_and_mirrored_traffic_to_one_deployment_is_refused():
    rollout: RolloutArgs = {"previous_version": "1.3.0", "canary_percent": 10, "mirror_percent": 20}
    with pytest.raises(AzureMLConfigError, match="live or mirrored traffic, not both"):
        rollout_plan("weu", "1.4.0", rollout, kubernetes=False)


def test_mirroring_without_a_previous_version_is_refused():
    with pytest.raises(AzureMLConfigError, match=r"needs rollout\.previous_version"):
        rollout_plan("weu", "1.4.0", {"canary_percent": 10, "mirror_percent": 20}, kubernetes=False)


def test_workspace_id_is_cut_from_any_id_inside_it():
    environment = (
        f"{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.MachineLearningServices"
        "/workspaces/ws/environments/e"
    )
    assert azure.compute_id(environment, "k8s") == environment.replace(
        "environments/e", "computes/k8s"
    )
    with pytest.raises(AzureMLConfigError):
        azure.workspace_id("fraud-scorer-id")
