"""Every Kubernetes object the shipped stacks would create, through the real API server.

The objects are the ones the program registers under mocks (as in the policy tier);
each is POSTed with ``dryRun=All``, so the API server runs its full validation,
defaulting and admission without storing anything. Namespaces the stacks expect to find
are made for the tests and deleted afterwards.
"""

import copy
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import rpc

from modelfleet.endpoint import ModelEndpoint
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import parse, sections_from_stack_file
from tests.kubernetes_cluster import KubernetesCluster
from tests.unit.conftest import new_mocks

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SHIPPED = ("dev", "staging", "prod-eu", "prod-us")

CORE = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Secret": "secrets"}
CORE |= {"Service": "services", "ConfigMap": "configmaps"}
PLURALS = {
    **CORE,
    "Deployment": "deployments",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers",
    "PodDisruptionBudget": "poddisruptionbudgets",
    "NetworkPolicy": "networkpolicies",
}


def plain(value: Any) -> Any:
    """``value`` as the provider sends it: secrets unwrapped, whole numbers without ``.0``.

    The engine carries every number as a float; Go's encoder writes 8080.0 as ``8080``,
    which matters to int-or-string fields such as a PDB's ``maxUnavailable``.
    """
    if isinstance(value, dict) and set(value) == {"secure"}:
        return "decrypted-for-the-test"  # a stack file's secret, as the engine would decrypt it
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def manifests(stack: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of ``stack``'s program run under mocks, Namespaces first.

    Only the Kubernetes placements are run: the other targets' resources are not needed.
    """
    document = plain(yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text()))
    config = parse(sections_from_stack_file(document))
    on_clusters = {
        model: [n for n in names if config.locations[n].kind == "kubernetes"]
        for model, names in config.placements.items()
    }
    config = config.model_copy(update={"placements": {m: n for m, n in on_clusters.items() if n}})
    mocks = new_mocks(stack)

    def program() -> pulumi.Output[Any]:
        endpoints = [ModelEndpoint(name, args) for name, args in endpoint_args(config).items()]
        return pulumi.Output.all(*(e.endpoint_names for e in endpoints))

    mocks.run(program)
    objects = [
        plain(r.inputs)
        for r in mocks.resources
        if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:providers:")
    ]
    return sorted(objects, key=lambda o: o["kind"] != "Namespace")


def manifests_apart(stack: str) -> list[dict[str, Any]]:
    """:func:`manifests` in a process of its own.

    Mocks replace the SDK's process-wide runtime state; the Automation API programs that
    later tests of this session run in-process (the edge lab) must not inherit it (seen:
    their first resource failed with "Resource monitor has terminated").
    """
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(manifests, stack).result(timeout=600)


def collection(manifest: dict[str, Any]) -> str:
    """The API path a manifest is POSTed to."""
    group_version, kind = manifest["apiVersion"], manifest["kind"]
    root = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    namespace = manifest["metadata"].get("namespace")
    scope = f"/namespaces/{namespace}" if namespace and kind != "Namespace" else ""
    assert kind in PLURALS, f"add {kind} to PLURALS"
    return f"{root}{scope}/{PLURALS[kind]}"


@pytest.fixture(scope="module")
def cluster(kubernetes_cluster: KubernetesCluster) -> Iterator[KubernetesCluster]:
    """The session's cluster; namespaces this module creates are deleted after it.

    Not after each test: the stacks share namespace names, and a namespace takes a few
    seconds to finish terminating.
    """
    before = {n["metadata"]["name"] for n in kubernetes_cluster.get("/api/v1/namespaces")["items"]}
    yield kubernetes_cluster
    for item in kubernetes_cluster.get("/api/v1/namespaces")["items"]:
        if item["metadata"]["name"] not in before:
            kubernetes_cluster.request("DELETE", f"/api/v1/namespaces/{item['metadata']['name']}")


def ensure_namespace(cluster: KubernetesCluster, name: str) -> None:
    if not cluster.exists(f"/api/v1/namespaces/{name}"):
        made = cluster.create("/api/v1/namespaces", {"metadata": {"name": name}})
        assert made.status_code == 201, made.text


@pytest.mark.parametrize("stack", SHIPPED)
def test_the_api_server_accepts_every_kubernetes_object_of_the_shipped_stack(
    stack: str, cluster: KubernetesCluster
) -> None:
    # GIVEN every Kubernetes object the stack's program registers
    objects = manifests_apart(stack)
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Service", "NetworkPolicy", "ServiceAccount"} <= kinds, stack
    # WHEN each is sent to the API server as a server-side dry run
    refused = []
    for manifest in objects:
        if manifest["kind"] != "Namespace":
            ensure_namespace(cluster, manifest["metadata"]["namespace"])
        response = cluster.create(collection(manifest), manifest, dry_run=True)
        if response.status_code != 201:
            refused.append((manifest["kind"], manifest["metadata"]["name"], response.text))
    # THEN the server accepts all of them
    assert refused == []


def test_a_broken_copy_is_refused_with_the_api_servers_message(cluster: KubernetesCluster) -> None:
    # GIVEN staging's Deployment with a CPU limit below its request
    deployment = next(o for o in manifests_apart("staging") if o["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["resources"]["limits"]["cpu"] = "1m"
    ensure_namespace(cluster, broken["metadata"]["namespace"])
    # WHEN it is sent as a server-side dry run
    response = cluster.create(collection(broken), broken, dry_run=True)
    # THEN the server refuses it, naming the field and the rule
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert "spec.template.spec.containers[0].resources.requests" in message
    assert "must be less than or equal to cpu limit" in message
    # AND the unbroken one passes the same check
    assert cluster.create(collection(deployment), deployment, dry_run=True).status_code == 201
