"""Federation under mocks: which containers, with what, where; and the provider's diff."""

from typing import Any

import pytest

from modelfleet.federation.component import Federation
from modelfleet.federation.config import parse_federations
from modelfleet.federation.container import FederationContainerProvider
from modelfleet.federation.program import federation_args
from modelfleet.stackfile import parse
from tests.unit.conftest import RecordingMocks, secret_value
from tests.unit.federation_shapes import IRIS

CONTAINER = "pulumi-python:dynamic/federation:FederationContainer"
KEY = "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"
LOCAL = "unix:///var/run/docker.sock"


def stack(lyon_engine: str = LOCAL) -> Any:
    def edge(jurisdiction: str, host: str, engine: str = LOCAL, **extra: Any) -> dict[str, Any]:
        return {
            "kind": "edge",
            "jurisdiction": jurisdiction,
            "hosts": [{"name": host, "docker_host": engine, **extra}],
        }

    return parse(
        {
            "models": {"iris": IRIS},
            "locations": {
                "paris": edge("FR", "paris-gw"),
                "lyon": edge("FR", "lyon-gw", lyon_engine),
                "frankfurt": edge("DE", "hub-1", bind="10.0.0.5", port_offset=2),
                "munich": {
                    "kind": "kubernetes",
                    "jurisdiction": "DE",
                    "context": "munich",
                    "namespace": "ml",
                },
            },
            "placements": {"iris": ["paris"]},
        }
    )


FEDERATIONS = {
    "iris-fl": {
        "model": "iris",
        "aggregator": "frankfurt",
        "sites": {"paris": {"data": "/srv/paris.csv"}, "lyon": {"data": "/srv/lyon.csv"}},
        "tls": {"ca": "CA PEM", "cert": "CERT PEM", "key": KEY},
    }
}


def deploy(mocks: RecordingMocks, lyon_engine: str = LOCAL) -> dict[str, Any]:
    spec = parse_federations(FEDERATIONS)["iris-fl"]
    args = federation_args(spec, stack(lyon_engine))
    mocks.run(lambda: Federation("iris-fl", args).superlink_address)
    return {r.name: r for r in mocks.of_type(CONTAINER)}


def test_a_superlink_and_one_supernode_per_site_under_the_component(mocks):
    containers = deploy(mocks)
    assert sorted(containers) == ["iris-fl-lyon", "iris-fl-paris", "iris-fl-superlink"]
    superlink_urn = containers["iris-fl-superlink"].urn
    for name, registered in containers.items():
        assert "modelfleet:federation:Federation$" in registered.urn, registered.urn
        if name != "iris-fl-superlink":
            assert superlink_urn in registered.dependencies, registered.urn


def test_each_site_mounts_only_its_own_rows_read_only(mocks):
    containers = deploy(mocks)
    for site, data in (("paris", "/srv/paris.csv"), ("lyon", "/srv/lyon.csv")):
        inputs = containers[f"iris-fl-{site}"].inputs
        assert inputs["mounts"] == [
            {"source": data, "target": "/data/rows.csv", "read_only": True}
        ], site
        assert inputs["command"] == ["supernode"]
        assert inputs["env"]["SUPERLINK"] == "modelfleet-fed-iris-fl-superlink:9093"
        assert inputs["labels"]["modelfleet/role"] == "site"
        assert inputs["labels"]["modelfleet/jurisdiction"] == "FR"


def test_the_superlink_is_labelled_where_it_runs_and_keeps_its_key_secret(mocks):
    inputs = deploy(mocks)["iris-fl-superlink"].inputs
    assert inputs["labels"]["modelfleet/role"] == "aggregator"
    assert inputs["labels"]["modelfleet/jurisdiction"] == "DE"
    assert inputs["labels"]["modelfleet/residency"] == "EU"
    assert inputs["mounts"] == []
    assert inputs["ports"] == [{"container_port": 9093, "host_port": 9095, "bind": "10.0.0.5"}]
    assert secret_value(inputs["secret_env"]) == {
        "FEDERATION_CA": "CA PEM",
        "FEDERATION_CERT": "CERT PEM",
        "FEDERATION_KEY": KEY,
    }
    plain = {k: v for k, v in inputs.items() if k != "secret_env"}
    assert "not-a-real-key" not in repr(plain)


def test_a_site_on_another_engine_dials_the_aggregator_host(mocks):
    containers = deploy(mocks, lyon_engine="ssh://ops@lyon-gw.example")
    assert containers["iris-fl-lyon"].inputs["env"]["SUPERLINK"] == "10.0.0.5:9095"
    assert containers["iris-fl-lyon"].inputs["docker_host"] == "ssh://ops@lyon-gw.example"


PROPS = {"name": "c", "image": "modelfleet/federation:dev", "status": "running"}


@pytest.mark.parametrize(
    ("news", "olds_status", "replaces"),
    [
        ({**PROPS}, "running", []),
        ({**PROPS, "image": "modelfleet/federation:2"}, "running", ["image"]),
        ({**PROPS}, "exited", ["image"]),
    ],
)
def test_any_change_or_a_stopped_container_replaces_it(news, olds_status, replaces):
    diff = FederationContainerProvider().diff("id", {**PROPS, "status": olds_status}, news)
    assert diff.replaces == replaces
    assert diff.changes is bool(replaces)
    assert diff.delete_before_replace is True


def deploy_with_kubernetes_site(mocks: RecordingMocks) -> None:
    raw = {"iris-fl": {**FEDERATIONS["iris-fl"], "sites": {"munich": {"claim": "iris-rows"}}}}
    spec = parse_federations(raw)["iris-fl"]
    args = federation_args(spec, stack())
    mocks.run(lambda: Federation("iris-fl", args).superlink_address)


def test_a_kubernetes_site_is_a_deployment_mounting_its_claim_read_only(mocks):
    deploy_with_kubernetes_site(mocks)
    deployment = mocks.named("iris-fl-munich-deployment")
    assert deployment.type == "kubernetes:apps/v1:Deployment"
    assert "modelfleet:federation:Federation$" in deployment.urn
    pod = deployment.inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == ["supernode"]
    env = {e["name"]: e for e in container["env"]}
    assert env["SUPERLINK"]["value"] == "10.0.0.5:9095"  # the aggregator host, not a container
    assert env["DATA_PATH"]["value"] == "/data/rows.csv"
    assert env["FEDERATION_CA"]["valueFrom"]["secretKeyRef"]["key"] == "ca.pem"
    assert {"name": "rows", "mountPath": "/data", "readOnly": True} in container["volumeMounts"]
    claim = next(v for v in pod["volumes"] if v["name"] == "rows")["persistentVolumeClaim"]
    assert claim == {"claimName": "iris-rows", "readOnly": True}
    assert pod["automountServiceAccountToken"] is False
    labels = deployment.inputs["metadata"]["labels"]
    assert labels["modelfleet/jurisdiction"] == "DE"
    assert labels["modelfleet/role"] == "site"
    provider = mocks.named("iris-fl-munich-provider")
    assert provider.inputs["context"] == "munich"
    assert deployment.provider.startswith(provider.urn), deployment.provider
    ca = mocks.named("iris-fl-munich-ca")
    assert secret_value(ca.inputs["stringData"]) == {"ca.pem": "CA PEM"}
    policy = mocks.named("iris-fl-munich-networkpolicy").inputs["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert "ingress" not in policy
    assert mocks.of_type(CONTAINER) == [mocks.named("iris-fl-superlink")]
