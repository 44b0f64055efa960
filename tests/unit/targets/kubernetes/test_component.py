"""KubernetesEndpoint through ModelEndpoint: two clusters, one provider each, hardened pods."""

from typing import Any

import pytest

from modelfleet import endpoint
from modelfleet.endpoint import ModelEndpoint, UnsupportedLocationKindError
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import parse
from tests.unit.conftest import RecordingMocks, secret_value

K8S = "kubernetes:"
TWO_CLUSTERS: dict[str, Any] = {
    "models": {
        "fraud-scorer": {
            "version": "1.4.0",
            "image": "registry.example.com/ml/fraud-scorer:1.4.0",
            "env": {"LOG_LEVEL": "info"},
            "secret_env": {"API_TOKEN": "s3cr3t-token"},
            "resources": {"cpu": 0.5, "memory_mb": 2048},
            "scaling": {"min": 2, "max": 5},
            "data": {"classification": "confidential", "residency": ["EU"]},
        }
    },
    "locations": {
        "munich": {
            "kind": "kubernetes",
            "jurisdiction": "DE",
            "kubeconfig": "apiVersion: v1\nkind: Config\n# munich",
            "namespace": "models",
            "create_namespace": True,
        },
        "vienna": {
            "kind": "kubernetes",
            "jurisdiction": "AT",
            "context": "vienna",
            "namespace": "ml",
        },
    },
    "placements": {"fraud-scorer": ["munich", "vienna"]},
}


def deploy(mocks: RecordingMocks, raw: dict[str, Any]) -> Any:
    args = endpoint_args(parse(raw))["fraud-scorer"]
    return mocks.run(lambda: ModelEndpoint("fraud-scorer", args).urls)


def test_each_cluster_gets_the_full_resource_set_under_its_own_component(mocks):
    # GIVEN a model placed on two clusters WHEN the program runs
    urls = deploy(mocks, TWO_CLUSTERS)
    # THEN each cluster has its component with the whole set of children
    for cluster in ("munich", "vienna"):
        component = mocks.named(f"fraud-scorer-{cluster}")
        assert component.type == "modelfleet:kubernetes:KubernetesEndpoint"
        assert (
            "modelfleet:index:ModelEndpoint$modelfleet:kubernetes:KubernetesEndpoint"
            in component.urn
        )
        children = {r.type for r in mocks.resources if r.parent == component.urn}
        expected = {
            f"{K8S}core/v1:ServiceAccount",
            f"{K8S}core/v1:Secret",
            f"{K8S}apps/v1:Deployment",
            f"{K8S}core/v1:Service",
            f"{K8S}autoscaling/v2:HorizontalPodAutoscaler",
            f"{K8S}policy/v1:PodDisruptionBudget",
            f"{K8S}networking.k8s.io/v1:NetworkPolicy",
        }
        if cluster == "munich":
            expected.add(f"{K8S}core/v1:Namespace")
        assert children == expected, component.urn
    assert urls == {
        "munich": "http://fraud-scorer.models.svc.cluster.local:8080/invocations",
        "vienna": "http://fraud-scorer.ml.svc.cluster.local:8080/invocations",
    }


def test_each_cluster_uses_its_own_provider(mocks):
    deploy(mocks, TWO_CLUSTERS)
    providers = {r.name: r for r in mocks.of_type("pulumi:providers:kubernetes")}
    assert set(providers) == {"fraud-scorer-munich-provider", "fraud-scorer-vienna-provider"}
    assert providers["fraud-scorer-vienna-provider"].inputs["context"] == "vienna"
    assert secret_value(providers["fraud-scorer-munich-provider"].inputs["kubeconfig"]).endswith(
        "# munich"
    )
    for cluster in ("munich", "vienna"):
        provider = providers[f"fraud-scorer-{cluster}-provider"]
        for resource in mocks.resources:
            if resource.type.startswith(K8S) and f"fraud-scorer-{cluster}-" in resource.name:
                assert resource.provider.startswith(provider.urn + "::"), resource.urn


def test_deployment_is_hardened_and_probed_on_the_health_path(mocks):
    deploy(mocks, TWO_CLUSTERS)
    spec = mocks.named("fraud-scorer-munich-deployment").inputs["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "registry.example.com/ml/fraud-scorer:1.4.0"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/ping", "port": 8080}
    assert container["securityContext"] == {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "2048Mi"}
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    account = mocks.named("fraud-scorer-munich-serviceaccount").inputs
    assert account["automountServiceAccountToken"] is False


def test_secret_env_goes_through_a_secret_never_the_pod_spec(mocks):
    deploy(mocks, TWO_CLUSTERS)
    env = mocks.named("fraud-scorer-munich-deployment").inputs["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    by_name = {e["name"]: e for e in env}
    assert by_name["LOG_LEVEL"]["value"] == "info"
    assert by_name["MODEL_VERSION"]["value"] == "1.4.0"
    assert by_name["API_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "fraud-scorer-env",
        "key": "API_TOKEN",
    }
    assert "s3cr3t-token" not in repr(env)
    secret = mocks.named("fraud-scorer-munich-env").inputs
    assert secret_value(secret["stringData"]) == {"API_TOKEN": "s3cr3t-token"}


def test_hpa_bounds_and_labels_come_from_the_model(mocks):
    deploy(mocks, TWO_CLUSTERS)
    hpa = mocks.named("fraud-scorer-vienna-hpa").inputs
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "fraud-scorer"
    for resource in mocks.resources:
        if resource.type.startswith(K8S) and "vienna" in resource.name:
            assert resource.inputs["metadata"]["labels"] == {
                "modelfleet/model": "fraud-scorer",
                "modelfleet/version": "1.4.0",
                "modelfleet/location": "vienna",
                "modelfleet/classification": "confidential",
                "modelfleet/jurisdiction": "AT",
                "modelfleet/residency": "EU",
                "managed-by": "modelfleet",
            }, resource.urn
            assert resource.inputs["metadata"]["namespace"] == "ml", resource.urn


def test_no_disruption_budget_below_two_replicas(mocks):
    raw = {**TWO_CLUSTERS}
    raw["models"] = {
        "fraud-scorer": {**TWO_CLUSTERS["models"]["fraud-scorer"], "scaling": {"min": 1, "max": 3}}
    }
    deploy(mocks, raw)
    assert mocks.of_type(f"{K8S}policy/v1:PodDisruptionBudget") == []
    assert len(mocks.of_type(f"{K8S}autoscaling/v2:HorizontalPodAutoscaler")) == 2


def test_a_kind_without_a_target_fails_naming_location_and_kind(mocks, monkeypatch):
    monkeypatch.delitem(endpoint.TARGETS, "kubernetes")
    with pytest.raises(
        UnsupportedLocationKindError, match=r"location 'munich' has kind 'kubernetes'"
    ):
        deploy(mocks, TWO_CLUSTERS)
