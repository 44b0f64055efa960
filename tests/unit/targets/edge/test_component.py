"""EdgeEndpoint under mocks (waves, inputs, secrets) and the provider's pure decisions.

The args are built directly, as a project using the components writes them.
"""

from typing import Any, cast

import pulumi
import pytest

from modelfleet import EdgeHostArgs, EdgeLocationArgs, ModelArgs, ModelEndpointArgs
from modelfleet.endpoint import ModelEndpoint
from modelfleet.targets.edge import lifecycle
from modelfleet.targets.edge.crud import EdgeContainerProvider
from modelfleet.targets.edge.plan import waves
from modelfleet.targets.edge.spec import Spec
from tests.unit.conftest import RecordingMocks, secret_value
from tests.unit.targets.args import model

CONTAINER = "pulumi-python:dynamic/edge:EdgeContainer"
KEY = "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n"


def fraud_scorer() -> ModelArgs:
    return model(
        name="fraud-scorer",
        version="1.4.0",
        image="registry.example.com/ml/fraud-scorer:1.4.0",
        artifact="s3://ml-artifacts/fraud-scorer/1.4.0/model.tar.gz",
        host_port=9080,
        secret_env={"API_TOKEN": pulumi.Output.secret("s3cr3t-token")},
        resources={"cpu": 0.5, "memory_mb": 512, "gpus": 0},
        data={"classification": "confidential", "residency": ["EU"]},
    )


def lyon(*hosts: EdgeHostArgs, **location: Any) -> ModelEndpointArgs:
    """The model placed on the edge site plant-lyon with ``hosts``, args built directly."""
    site: dict[str, Any] = {
        "name": "plant-lyon",
        "jurisdiction": "FR",
        "hosts": list(hosts),
        "health_timeout_s": 60.0,
        **location,
    }
    if "registry_auth" in site:
        password = site["registry_auth"]["password"]
        site["registry_auth"] = {
            **site["registry_auth"],
            "password": pulumi.Output.secret(password),
        }
    return {
        "model": fraud_scorer(),
        "locations": [
            {
                "name": "plant-lyon",
                "kind": "edge",
                "jurisdiction": "FR",
                "edge": cast(EdgeLocationArgs, site),
            }
        ],
    }


def host(name: str, wave: int, **extra: Any) -> EdgeHostArgs:
    args: dict[str, Any] = {
        "name": name,
        "docker_host": f"ssh://ops@{name}.plant-lyon.example",
        "wave": wave,
        "bind": "127.0.0.1",
        "port_offset": 0,
        **extra,
    }
    if "tls" in args:
        args["tls"] = {**args["tls"], "key": pulumi.Output.secret(args["tls"]["key"])}
    return cast(EdgeHostArgs, args)


def deploy(mocks: RecordingMocks, args: ModelEndpointArgs) -> Any:
    return mocks.run(lambda: ModelEndpoint("fraud-scorer", args).urls)


def deploy_for_urls(mocks: RecordingMocks, args: ModelEndpointArgs) -> tuple[Any, Any]:
    """The endpoint's URL per location and its URLs per host, once settled."""

    def program() -> pulumi.Output[Any]:
        endpoint = ModelEndpoint("fraud-scorer", args)
        return pulumi.Output.all(endpoint.urls, endpoint.host_urls)

    urls, host_urls = mocks.run(program)
    return urls, host_urls


def containers(mocks: RecordingMocks) -> dict[str, Any]:
    return {r.name.removeprefix("fraud-scorer-plant-lyon-"): r for r in mocks.of_type(CONTAINER)}


def test_a_canary_wave_goes_first_and_the_next_wave_waits_for_it(mocks):
    # GIVEN hosts in waves 0, 1, 1 WHEN the program runs
    deploy(mocks, lyon(host("gw-0", 0), host("gw-1", 1), host("gw-2", 1)))

    # THEN each host has one container under the EdgeEndpoint component
    component = mocks.named("fraud-scorer-plant-lyon")
    assert component.type == "modelfleet:edge:EdgeEndpoint"
    assert "modelfleet:index:ModelEndpoint$modelfleet:edge:EdgeEndpoint" in component.urn
    found = containers(mocks)
    assert sorted(found) == ["gw-0", "gw-1", "gw-2"]
    assert all(c.parent == component.urn for c in found.values()), component.urn
    # AND the canary depends on nothing, while both wave-1 hosts wait for it: a failing
    # canary stops the engine before wave 1 is touched
    assert found["gw-0"].dependencies == [], found["gw-0"].urn
    for name in ("gw-1", "gw-2"):
        assert found[name].dependencies == [found["gw-0"].urn], found[name].urn


def test_every_host_of_a_wave_waits_for_all_of_the_wave_before(mocks):
    # GIVEN two canaries and a later wave with a gap in the numbering
    deploy(mocks, lyon(host("gw-a", 0), host("gw-b", 0), host("gw-c", 5)))
    found = containers(mocks)
    # THEN the later wave depends on both canaries
    assert sorted(found["gw-c"].dependencies) == sorted([found["gw-a"].urn, found["gw-b"].urn])
    assert found["gw-a"].dependencies == found["gw-b"].dependencies == []


def test_each_container_gets_the_model_contract_and_its_host_address(mocks):
    # GIVEN two hosts sharing an engine, the second with a port offset
    args = lyon(
        host("gw-1", 0, docker_host="unix:///var/run/docker.sock"),
        host("gw-2", 1, docker_host="unix:///var/run/docker.sock", port_offset=10, bind="10.1.2.3"),
        health_timeout_s=30.0,
    )
    # WHEN the program runs
    urls, host_urls = deploy_for_urls(mocks, args)
    found = containers(mocks)
    # THEN each container carries the model's contract and its own published address
    second = found["gw-2"].inputs
    assert second["docker_host"] == "unix:///var/run/docker.sock"
    assert (second["host"], second["location"], second["model"]) == (
        "gw-2",
        "plant-lyon",
        "fraud-scorer",
    )
    assert (second["bind"], second["host_port"], second["container_port"]) == (
        "10.1.2.3",
        9090,
        8080,
    )
    assert found["gw-1"].inputs["host_port"] == 9080
    assert second["image"] == "registry.example.com/ml/fraud-scorer:1.4.0"
    assert second["version"] == "1.4.0"
    assert second["env"] == {
        "LOG_LEVEL": "info",
        "MODEL_ARTIFACT": "s3://ml-artifacts/fraud-scorer/1.4.0/model.tar.gz",
    }
    assert (second["cpu"], second["memory_mb"]) == (0.5, 512)
    assert (second["health_path"], second["invoke_path"]) == ("/ping", "/invocations")
    assert second["health_timeout_s"] == 30
    # (labels.py may add more labels; these are the ones the edge target relies on)
    assert (
        second["labels"].items()
        >= {
            "modelfleet/model": "fraud-scorer",
            "modelfleet/version": "1.4.0",
            "modelfleet/location": "plant-lyon",
            "modelfleet/classification": "confidential",
            "modelfleet/jurisdiction": "FR",
            "modelfleet/host": "gw-2",
            "managed-by": "modelfleet",
        }.items()
    )
    # AND the location's URL is the first host's, and each host's URL is listed
    assert set(urls) == {"plant-lyon"}
    assert set(host_urls) == {"plant-lyon"}
    assert set(host_urls["plant-lyon"]) == {"gw-1", "gw-2"}


def test_tls_key_registry_password_and_secret_env_stay_secret(mocks):
    # GIVEN a TLS host and registry credentials
    args = lyon(
        host(
            "gw-1",
            0,
            docker_host="tcp://gw-1.plant-lyon.example:2376",
            tls={"ca": "CA PEM", "cert": "CERT PEM", "key": KEY},
        ),
        registry_auth={"username": "puller", "password": "hunter2-registry"},
    )
    # WHEN the program runs
    deploy(mocks, args)
    inputs = containers(mocks)["gw-1"].inputs
    # THEN every input holding a secret reaches the engine as a secret
    assert secret_value(inputs["tls"]) == {"ca": "CA PEM", "cert": "CERT PEM", "key": KEY}
    assert secret_value(inputs["registry_auth"]) == {
        "username": "puller",
        "password": "hunter2-registry",
    }
    assert secret_value(inputs["secret_env"]) == {"API_TOKEN": "s3cr3t-token"}
    # AND no secret shows anywhere else
    plain = {
        k: v
        for k, v in inputs.items()
        if k not in {"tls", "registry_auth", "secret_env", "__provider"}
    }
    for secret in ("not-a-real-key", "hunter2-registry", "s3cr3t-token"):
        assert secret not in repr(plain)


def test_waves_group_hosts_lowest_first_keeping_their_order():
    hosts = [host("c", 2), host("a", 0), host("b", 2), host("d", 0)]
    assert [[h["name"] for h in wave] for wave in waves(hosts)] == [["a", "d"], ["c", "b"]]


OLDS: dict[str, Any] = {
    "docker_host": "unix:///var/run/docker.sock",
    "host": "gw-1",
    "location": "plant-lyon",
    "model": "fraud-scorer",
    "image": "fraud-scorer:1",
    "version": "1",
    "container_port": 8080,
    "host_port": 9080,
    "bind": "127.0.0.1",
    "invoke_path": "/invocations",
    "env": {},
    "secret_env": {},
    "cpu": 1.0,
    "memory_mb": 256,
    "health_path": "/ping",
    "health_timeout_s": 60.0,
    "labels": {"managed-by": "modelfleet"},
    "tls": None,
    "registry_auth": None,
    "status": "running",
}


@pytest.mark.parametrize(
    ("change", "replaces", "delete_first"),
    [
        ({"version": "2", "image": "fraud-scorer:2"}, [], False),
        ({"env": {"LOG_LEVEL": "debug"}}, [], False),
        ({"memory_mb": 512}, [], False),
        ({"tls": {"ca": "a", "cert": "b", "key": "c"}}, [], False),
        ({"docker_host": "ssh://ops@gw-1"}, ["docker_host"], True),
        ({"host": "gw-9"}, ["host"], True),
        ({"model": "churn", "host_port": 9090}, ["model"], False),
    ],
)
def test_diff_updates_in_place_or_replaces_by_what_changed(change, replaces, delete_first):
    # GIVEN the state of a running container and an input change
    diff = EdgeContainerProvider().diff("id", OLDS, {**OLDS, **change})
    # THEN it is a change; replaced only for another engine, host or model, freeing the
    # port first when the replacement publishes the same one
    assert diff.changes is True
    assert diff.replaces == replaces
    assert diff.delete_before_replace is delete_first


def test_diff_sees_no_change_and_a_stopped_container():
    provider = EdgeContainerProvider()
    assert provider.diff("id", OLDS, dict(OLDS)).changes is False
    assert provider.diff("id", {**OLDS, "status": "exited"}, dict(OLDS)).changes is True


@pytest.mark.parametrize(
    ("docker_host", "bind", "probe"),
    [
        ("unix:///var/run/docker.sock", "127.0.0.1", "127.0.0.1"),
        ("ssh://root@127.0.0.1:2222", "127.0.0.1", "127.0.0.1"),
        ("ssh://ops@gw-1.example", "127.0.0.1", None),
        ("ssh://ops@gw-1.example", "10.1.2.3", "10.1.2.3"),
        ("tcp://gw-2.example:2376", "0.0.0.0", "gw-2.example"),
        ("unix:///var/run/docker.sock", "0.0.0.0", "127.0.0.1"),
    ],
)
def test_the_published_port_is_probed_only_where_this_machine_reaches_it(docker_host, bind, probe):
    # A remote host's loopback is not ours: its container's own healthcheck decides there.
    assert Spec.of({**OLDS, "docker_host": docker_host, "bind": bind}).probe_host == probe


@pytest.mark.parametrize(
    ("docker_host", "local"),
    [
        ("unix:///var/run/docker.sock", True),
        ("ssh://root@127.0.0.1:2222", True),
        ("tcp://localhost:2376", True),
        ("ssh://ops@gw-1.example", False),
        ("tcp://10.1.2.3:2376", False),
    ],
)
def test_a_staged_container_is_probed_over_http_only_on_an_engine_of_this_machine(
    docker_host, local
):
    # Only a local engine's bridge networks route here; a remote one is probed by an exec.
    assert (Spec.of({**OLDS, "docker_host": docker_host}).remote_engine is None) is local


def test_a_failed_container_s_error_keeps_how_it_started_and_what_it_did_last():
    class Logged:
        def logs(self, **_: Any) -> bytes:
            return "".join(f"line {n}\n" for n in range(1, 101)).encode()

    lines = lifecycle.logs(cast(Any, Logged())).splitlines()

    assert lines[:10] == [f"line {n}" for n in range(1, 11)]
    assert lines[10] == "... (70 lines left out)"
    assert lines[11:] == [f"line {n}" for n in range(81, 101)]


def test_errors_quoting_engine_or_app_output_never_carry_a_secret():
    spec = Spec.of(
        {
            **OLDS,
            "secret_env": {"API_TOKEN": "s3cr3t-token"},
            "tls": {"ca": "CA", "cert": "CERT", "key": KEY},
            "registry_auth": {"username": "puller", "password": "hunter2"},
        }
    )
    text = f"token=s3cr3t-token password=hunter2 key={KEY}"
    assert spec.redact(text) == "token=*** password=*** key=***"


def test_containers_declare_their_hardening_for_the_policy_pack(mocks):
    # The provider enforces these; declaring them as inputs lets the pack see them.
    deploy(mocks, lyon(host("gw-0", 0), host("gw-1", 1)))
    for container in containers(mocks).values():
        assert container.inputs["read_only"] is True, container.urn
        assert container.inputs["privileged"] is False, container.urn
        assert container.inputs["network_mode"] == "bridge", container.urn
