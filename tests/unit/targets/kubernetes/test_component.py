"""KubernetesEndpoint through ModelEndpoint: two clusters, one provider each, hardened pods.

The args are built directly, as a project using the components writes them.
"""

import base64
import json
from typing import Any

import pulumi
import pytest

from modelfleet import (
    KubernetesConfigError,
    KubernetesLocationArgs,
    ModelArgs,
    ModelEndpointArgs,
    endpoint,
)
from modelfleet.endpoint import ModelEndpoint, UnsupportedLocationKindError
from tests.unit.conftest import RecordingMocks, secret_value
from tests.unit.targets.args import model

K8S = "kubernetes:"


def fraud_scorer(**overrides: Any) -> ModelArgs:
    settings: dict[str, Any] = {
        "name": "fraud-scorer",
        "version": "1.4.0",
        "image": "registry.example.com/ml/fraud-scorer:1.4.0",
        "secret_env": {"API_TOKEN": pulumi.Output.secret("s3cr3t-token")},
        "resources": {"cpu": 0.5, "memory_mb": 2048, "gpus": 0},
        "scaling": {"min": 2, "max": 5},
        "data": {"classification": "confidential", "residency": ["EU"]},
    }
    return model(**{**settings, **overrides})


def two_clusters(model_args: ModelArgs | None = None) -> ModelEndpointArgs:
    """Munich by kubeconfig (its namespace created), Vienna by context."""
    munich: KubernetesLocationArgs = {
        "name": "munich",
        "jurisdiction": "DE",
        "namespace": "models",
        "create_namespace": True,
    }
    vienna: KubernetesLocationArgs = {"name": "vienna", "jurisdiction": "AT", "namespace": "ml"}
    return {
        "model": model_args or fraud_scorer(),
        "locations": [
            {
                "name": "munich",
                "kind": "kubernetes",
                "jurisdiction": "DE",
                "kubeconfig": pulumi.Output.secret("apiVersion: v1\nkind: Config\n# munich"),
                "kubernetes": munich,
            },
            {
                "name": "vienna",
                "kind": "kubernetes",
                "jurisdiction": "AT",
                "context": "vienna",
                "kubernetes": vienna,
            },
        ],
    }


def deploy(mocks: RecordingMocks, args: ModelEndpointArgs | None = None) -> Any:
    return mocks.run(lambda: ModelEndpoint("fraud-scorer", args or two_clusters()).urls)


def test_each_cluster_gets_the_full_resource_set_under_its_own_component(mocks):
    # GIVEN a model placed on two clusters WHEN the program runs
    urls = deploy(mocks)
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
    deploy(mocks)
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
    deploy(mocks)
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
    deploy(mocks)
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
    deploy(mocks)
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
    deploy(mocks, two_clusters(fraud_scorer(scaling={"min": 1, "max": 3})))
    assert mocks.of_type(f"{K8S}policy/v1:PodDisruptionBudget") == []
    assert len(mocks.of_type(f"{K8S}autoscaling/v2:HorizontalPodAutoscaler")) == 2


def test_a_kind_without_a_target_fails_naming_location_and_kind(mocks, monkeypatch):
    monkeypatch.delitem(endpoint.TARGETS, "kubernetes")
    with pytest.raises(
        UnsupportedLocationKindError, match=r"location 'munich' has kind 'kubernetes'"
    ):
        deploy(mocks)


def test_a_model_name_no_service_can_carry_is_refused_before_anything_is_made(mocks):
    # GIVEN a model whose name starts with a digit (a DNS label, not a DNS-1035 one)
    args = two_clusters(fraud_scorer(name="3d-scan"))
    # WHEN it is placed on a cluster THEN it is refused at the model's key
    with pytest.raises(KubernetesConfigError, match=r"^modelfleet:models\.3d-scan: placed at"):
        deploy(mocks, args)
    assert mocks.of_type(f"{K8S}apps/v1:Deployment") == []


def test_a_mirror_with_credentials_is_pulled_through_a_secret_image_pull_secret(mocks):
    # GIVEN Munich pulling from its Harbor mirror with a robot account
    args = two_clusters()
    munich: Any = args["locations"][0]["kubernetes"]
    munich["registry"] = "harbor.munich.example/ml"
    munich["registry_auth"] = {"username": "robot", "password": pulumi.Output.secret("r0b0t")}
    deploy(mocks, args)
    # THEN the pod runs the model's path under the mirror, pulled with a dockerconfigjson
    # Secret whose contents stay secret
    pod = mocks.named("fraud-scorer-munich-deployment").inputs["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "harbor.munich.example/ml/fraud-scorer:1.4.0"
    pull = mocks.named("fraud-scorer-munich-pull-secret")
    assert pod["imagePullSecrets"] == [{"name": pull.inputs["metadata"]["name"]}]
    assert pull.inputs["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(secret_value(pull.inputs["stringData"])[".dockerconfigjson"])
    auth = config["auths"]["harbor.munich.example"]
    assert (auth["username"], auth["password"]) == ("robot", "r0b0t")
    assert base64.b64decode(auth["auth"]) == b"robot:r0b0t"
    # AND Vienna, naming no registry, is as before: its own image, no pull secret
    vienna = mocks.named("fraud-scorer-vienna-deployment").inputs["spec"]["template"]["spec"]
    assert vienna["containers"][0]["image"] == "registry.example.com/ml/fraud-scorer:1.4.0"
    assert "imagePullSecrets" not in vienna
