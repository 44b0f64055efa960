"""``KubernetesEndpoint`` on a real API server, through the real engine and provider.

What mocks cannot show: the API server's validation and admission (Pod Security
``restricted``), the provider's rollout await and server-side apply, Namespace
finalisation. The cluster is the session's ``scripts/start-kubernetes`` control plane;
each test runs its own stack (an Automation API inline program) in its own namespace
and destroys it afterwards, even on failure. Nothing is sent to pod or Service IPs.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi import automation as auto

from modelfleet.args import KubernetesLocationArgs, ModelArgs
from modelfleet.automation import engine_env
from modelfleet.kubernetes import KubernetesEndpoint
from tests.kubernetes_cluster import KubernetesCluster

APP = "iris-classifier"
SELECTOR = f"labelSelector=modelfleet/model={APP}"
AWAIT_S = 90
"""Longest any resource is awaited: a pod the API server refuses never becomes ready."""


def model(version: str) -> ModelArgs:
    return {
        "name": APP,
        "version": version,
        "image": "modelfleet/model-server:dev",
        "port": 8080,
        "host_port": 18080,
        "health_path": "/health",
        "invoke_path": "/invocations",
        "env": {"LOG_LEVEL": "info"},
        "resources": {"cpu": 0.5, "memory_mb": 256, "gpus": 1},
        "scaling": {"min": 2, "max": 4},
        "data": {"classification": "confidential", "residency": ["EU"]},
    }


def short_timeouts(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    """Await each child at most AWAIT_S, so a refused rollout fails the test, not the session."""
    timeouts = pulumi.CustomTimeouts(create=f"{AWAIT_S}s", update=f"{AWAIT_S}s")
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(custom_timeouts=timeouts))
    return pulumi.ResourceTransformationResult(args.props, opts)


@dataclass
class EndpointStack:
    """A stack deploying one KubernetesEndpoint; ``settings`` are read at every run."""

    cluster: KubernetesCluster
    namespace: str
    settings: dict[str, Any] = field(default_factory=dict)
    stack: auto.Stack | None = None

    def program(self) -> None:
        provider = k8s.Provider("cluster", kubeconfig=pulumi.Output.secret(self.cluster.kubeconfig))
        location: KubernetesLocationArgs = {
            "name": "lab",
            "jurisdiction": "DE",
            "namespace": self.namespace,
            "create_namespace": self.settings.get("create_namespace", True),
        }
        endpoint = KubernetesEndpoint(
            "iris",
            {"model": model(self.settings.get("version", "1.0.0")), "location": location},
            pulumi.ResourceOptions(provider=provider, transformations=[short_timeouts]),
        )
        pulumi.export("url", endpoint.url)

    def up(self, **settings: Any) -> auto.UpResult:
        self.settings.update(settings)
        assert self.stack is not None
        return self.stack.up(on_output=print)

    def path(self, kind: str) -> str:
        """The API path of this stack's object of ``kind`` (all share the model's name)."""
        group = {
            "deployments": "apis/apps/v1",
            "replicasets": "apis/apps/v1",
            "horizontalpodautoscalers": "apis/autoscaling/v2",
            "poddisruptionbudgets": "apis/policy/v1",
            "networkpolicies": "apis/networking.k8s.io/v1",
        }.get(kind, "api/v1")
        return f"/{group}/namespaces/{self.namespace}/{kind}/{APP}"

    def replica_sets(self) -> list[dict[str, Any]]:
        listing = f"/apis/apps/v1/namespaces/{self.namespace}/replicasets?{SELECTOR}"
        return list(self.cluster.get(listing)["items"])


@pytest.fixture
def endpoint_stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    kubernetes_cluster: KubernetesCluster,
) -> Iterator[EndpointStack]:
    """A fresh stack for this test's namespace (named after the test); destroyed afterwards."""
    namespace = "e2e-" + request.node.name.removeprefix("test_").replace("_", "-")[:40].strip("-")
    deployed = EndpointStack(kubernetes_cluster, namespace)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(tmp_path),
        env_vars=engine_env(tmp_path / "state", passphrase="e2e"),
        project_settings=auto.ProjectSettings(name="k8s-e2e", runtime="python"),
    )
    (tmp_path / "state").mkdir()
    deployed.stack = auto.create_or_select_stack("e2e", "k8s-e2e", deployed.program, opts=options)
    try:
        yield deployed
    finally:
        deployed.stack.destroy(on_output=print)


def changes(result: auto.UpResult | auto.DestroyResult) -> dict[str, int]:
    """What an operation did, by kind of change: ``{"same": 9, "update": 1}``."""
    return {auto.OpType(op).value: n for op, n in (result.summary.resource_changes or {}).items()}


def state_of(stack: auto.Stack) -> list[dict[str, Any]]:
    """The resources in the stack's state."""
    deployment = stack.export_stack().deployment or {}
    return list(deployment.get("resources", []))


def env_of(template: dict[str, Any]) -> dict[str, str]:
    container = template["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def condition(obj: dict[str, Any], kind: str) -> str:
    return next((c["status"] for c in obj["status"]["conditions"] if c["type"] == kind), "absent")


def test_up_creates_every_object_awaits_the_rollout_and_a_second_up_changes_nothing(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    ns = endpoint_stack.namespace
    # WHEN the endpoint is deployed with its own namespace
    result = endpoint_stack.up(create_namespace=True)
    # THEN every object exists, and the Deployment was Available when `up` returned
    # (10: the stack, the provider, the component and its 7 objects)
    assert changes(result) == {"create": 10}
    namespace = api.get(f"/api/v1/namespaces/{ns}")
    assert namespace["metadata"]["labels"]["modelfleet/jurisdiction"] == "DE"
    account = api.get(endpoint_stack.path("serviceaccounts"))
    assert account["automountServiceAccountToken"] is False
    deployment = api.get(endpoint_stack.path("deployments"))
    assert condition(deployment, "Available") == "True"
    assert deployment["status"]["readyReplicas"] == 2, "the HPA's minimum, on the kwok node"
    assert env_of(deployment["spec"]["template"])["MODEL_VERSION"] == "1.0.0"
    limits = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "500m", "memory": "256Mi", "nvidia.com/gpu": "1"}
    service = api.get(endpoint_stack.path("services"))
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = api.get(endpoint_stack.path("horizontalpodautoscalers"))
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 4)
    assert api.get(endpoint_stack.path("poddisruptionbudgets"))["spec"]["maxUnavailable"] == 1
    policy = api.get(endpoint_stack.path("networkpolicies"))
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    # WHEN it is previewed and deployed again unchanged
    assert endpoint_stack.stack is not None
    preview = endpoint_stack.stack.preview()
    again = endpoint_stack.up()
    # THEN neither reports a change
    assert preview.change_summary == {"same": 10}
    assert changes(again) == {"same": 10}


def test_a_version_bump_rolls_the_deployment_to_a_new_replicaset(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    # GIVEN version 1.0.0 serving
    endpoint_stack.up(version="1.0.0")
    (old,) = endpoint_stack.replica_sets()
    # WHEN version 1.1.0 is deployed
    result = endpoint_stack.up(version="1.1.0")
    # THEN the Deployment was updated in place, and rolled to a new ReplicaSet
    assert changes(result).get("update", 0) >= 1
    assert "replace" not in changes(result)
    by_name = {rs["metadata"]["name"]: rs for rs in endpoint_stack.replica_sets()}
    new = next(rs for name, rs in by_name.items() if name != old["metadata"]["name"])
    assert env_of(new["spec"]["template"])["MODEL_VERSION"] == "1.1.0"
    assert new["status"].get("readyReplicas") == 2
    assert by_name[old["metadata"]["name"]]["spec"]["replicas"] == 0, "the old one scaled down"
    deployment = api.get(endpoint_stack.path("deployments"))
    assert condition(deployment, "Available") == "True"


def test_a_change_the_api_server_refuses_fails_up_with_its_message_and_the_old_version_serves(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    # GIVEN version 1.0.0 serving
    endpoint_stack.up(version="1.0.0")
    # WHEN a version the API server refuses as a label value is deployed
    with pytest.raises(auto.CommandError) as failed:
        endpoint_stack.up(version="1.1.0+build.7")
    # THEN `up` fails with the server's own validation message
    assert 'Invalid value: "1.1.0+build.7"' in str(failed.value)
    # AND the one ReplicaSet, still version 1.0.0, keeps its ready pods
    (only,) = endpoint_stack.replica_sets()
    assert env_of(only["spec"]["template"])["MODEL_VERSION"] == "1.0.0"
    assert only["status"].get("readyReplicas") == 2
    deployment = api.get(endpoint_stack.path("deployments"))
    assert condition(deployment, "Available") == "True"


def test_refresh_shows_a_change_made_by_hand_and_a_forced_up_restores_it(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    # GIVEN a deployed endpoint whose autoscaler someone widened by hand (kubectl patch)
    endpoint_stack.up()
    hpa_path = endpoint_stack.path("horizontalpodautoscalers")
    api.merge_patch(hpa_path, {"spec": {"maxReplicas": 9}})
    assert endpoint_stack.stack is not None
    # WHEN the stack is refreshed
    endpoint_stack.stack.refresh(on_output=print)
    # THEN the state records the autoscaler's live maximum
    (hpa,) = [
        r
        for r in state_of(endpoint_stack.stack)
        if r["type"] == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
    ]
    assert hpa["outputs"]["spec"]["maxReplicas"] == 9
    # AND the next preview names the field and who changed it: server-side apply does not
    # take a field back from another manager unless told to
    with pytest.raises(auto.CommandError) as conflict:
        endpoint_stack.stack.preview()
    assert 'conflict with "kubectl-patch" using autoscaling/v2: .spec.maxReplicas' in str(
        conflict.value
    )
    # WHEN told to (PULUMI_K8S_ENABLE_PATCH_FORCE; or the pulumi.com/patchForce annotation)
    workspace = endpoint_stack.stack.workspace
    workspace.env_vars = {**workspace.env_vars, "PULUMI_K8S_ENABLE_PATCH_FORCE": "true"}
    assert endpoint_stack.stack.preview().change_summary == {"same": 9, "update": 1}
    restored = endpoint_stack.up()
    # THEN `up` puts the declared maximum back on the cluster
    assert changes(restored) == {"same": 9, "update": 1}
    assert api.get(hpa_path)["spec"]["maxReplicas"] == 4


def test_a_namespace_enforcing_the_restricted_pod_security_level_admits_the_pods(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    ns = endpoint_stack.namespace
    # GIVEN a namespace the cluster's admins made, enforcing Pod Security "restricted"
    enforce = {"pod-security.kubernetes.io/enforce": "restricted"}
    created = api.create("/api/v1/namespaces", {"metadata": {"name": ns, "labels": enforce}})
    assert created.status_code == 201, created.text
    try:
        # AND proof that it refuses a pod without the hardening
        plain = {
            "metadata": {"name": "plain"},
            "spec": {"containers": [{"name": "c", "image": "c"}]},
        }
        refused = api.create(f"/api/v1/namespaces/{ns}/pods", plain, dry_run=True)
        assert refused.status_code == 403
        assert 'violates PodSecurity "restricted:latest"' in refused.json()["message"]
        # WHEN the endpoint is deployed into it
        endpoint_stack.up(create_namespace=False)
        # THEN its pods were admitted and are ready
        deployment = api.get(endpoint_stack.path("deployments"))
        assert deployment["status"]["readyReplicas"] == 2
        pods = api.get(f"/api/v1/namespaces/{ns}/pods?{SELECTOR}")["items"]
        assert [p["status"]["phase"] for p in pods] == ["Running", "Running"]
    finally:
        assert endpoint_stack.stack is not None
        endpoint_stack.stack.destroy(on_output=print)
        api.request("DELETE", f"/api/v1/namespaces/{ns}")


def test_destroy_leaves_nothing_and_the_namespace_is_finalised(
    endpoint_stack: EndpointStack,
) -> None:
    api = endpoint_stack.cluster
    # GIVEN a deployed endpoint with its own namespace
    endpoint_stack.up(create_namespace=True)
    assert endpoint_stack.stack is not None
    # WHEN the stack is destroyed
    destroyed = endpoint_stack.stack.destroy(on_output=print)
    # THEN the namespace, and with it every object, is gone once `destroy` returns
    assert changes(destroyed) == {"delete": 10}
    assert not api.exists(f"/api/v1/namespaces/{endpoint_stack.namespace}")
    assert state_of(endpoint_stack.stack) == []
