"""``modelfleet status`` without the engine: outputs to targets, probes, rows and exit codes.

Probes talk to a tiny HTTP server on 127.0.0.1 in this process (what an edge host's
/ping answers); the stack is a stand-in with the outputs the program exports.
"""

import json
import socket
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from modelfleet import cli, fleet_status, fleet_view
from modelfleet.fleet_cloud import probe_cloud
from modelfleet.fleet_probe import Health, Probe, Target, health_url, probe_all, probe_http
from modelfleet.stackfile import find_stack_file, load_stack_file

REPO = Path(__file__).resolve().parents[2]
PROD_EU = load_stack_file(find_stack_file("prod-eu", REPO))
LOCAL = load_stack_file(find_stack_file("local", REPO))


@dataclass
class Answers:
    """What the fake host answers on /ping: status code and version, changeable per test."""

    status: int = 200
    version: str = "1.0.0"
    header: bool = True


@pytest.fixture
def host() -> Iterator[tuple[str, Answers]]:
    """A /ping endpoint on 127.0.0.1 like the serving image's; yields (base URL, answers)."""
    answers = Answers()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "ready", "version": answers.version}).encode()
            self.send_response(answers.status if self.path == "/ping" else 404)
            if answers.header:
                self.send_header("X-Model-Version", answers.version)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


def edge_target(url: str, desired: str = "1.0.0", host: str = "canary") -> Target:
    return Target("iris-classifier", "this-machine", "edge", host, desired, url)


def free_port_url() -> str:
    """A loopback URL nothing listens on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/ping"


PROD_EU_OUTPUTS = {
    "placements": [
        {"model": "fraud-scorer", "version": "1.4.0", "location": "aws-frankfurt", "kind": "aws", "jurisdiction": "DE"},
        {"model": "fraud-scorer", "version": "1.4.0", "location": "munich-onprem", "kind": "kubernetes", "jurisdiction": "DE"},
        {"model": "fraud-scorer", "version": "1.4.0", "location": "plant-lyon", "kind": "edge", "jurisdiction": "FR"},
    ],
    "urls": {
        "fraud-scorer": {
            "aws-frankfurt": "https://runtime.sagemaker.eu-central-1.amazonaws.com/endpoints/fraud-scorer-aws-frankfurt/invocations",
            "munich-onprem": "http://fraud-scorer.models.svc.cluster.local:8080/invocations",
            "plant-lyon": "http://10.1.2.3:8080/invocations",
        }
    },
    "host_urls": {
        "fraud-scorer": {
            "plant-lyon": {"gw-2": "http://10.1.2.4:8080/invocations", "gw-1": "http://10.1.2.3:8080/invocations"}
        }
    },
    "endpoint_names": {
        "fraud-scorer": {
            "aws-frankfurt": "fraud-scorer-aws-frankfurt",
            "munich-onprem": "fraud-scorer",
            "plant-lyon": "modelfleet-fraud-scorer",
        }
    },
}  # fmt: skip


def test_outputs_become_one_target_per_edge_host_and_per_other_placement():
    found = fleet_status.targets(PROD_EU_OUTPUTS, PROD_EU)
    assert [(t.location, t.host, t.desired_version, t.url) for t in found] == [
        ("aws-frankfurt", "fraud-scorer-aws-frankfurt", "1.4.0", None),
        ("munich-onprem", "fraud-scorer", "1.4.0", "http://fraud-scorer.models.svc.cluster.local:8080/ping"),
        ("plant-lyon", "gw-1", "1.4.0", "http://10.1.2.3:8080/ping"),
        ("plant-lyon", "gw-2", "1.4.0", "http://10.1.2.4:8080/ping"),
    ]  # fmt: skip


def test_the_health_url_uses_the_models_own_paths():
    assert health_url("http://h:9000/predict", "/predict", "/healthz") == "http://h:9000/healthz"
    # an invoke URL that does not end in the invoke path keeps only scheme, host and port
    assert health_url("http://h:9000/x/y", "/predict", "/ping") == "http://h:9000/ping"


def test_a_host_at_the_desired_version_is_healthy_with_its_latency(host):
    url, _ = host
    probe = probe_http(edge_target(f"{url}/ping"))
    assert (probe.health, probe.running_version, probe.detail) == (Health.HEALTHY, "1.0.0", "")
    assert probe.latency_ms is not None
    assert probe.latency_ms > 0
    assert probe.as_desired is True


def test_a_host_at_another_version_is_drift_naming_both(host):
    url, answers = host
    answers.version = "1.3.9"
    probe = probe_http(edge_target(f"{url}/ping", desired="1.4.0"))
    assert (probe.health, probe.running_version) == (Health.DRIFT, "1.3.9")
    assert probe.detail == "stack says 1.4.0"
    assert probe.as_desired is False


def test_the_version_comes_from_the_body_when_the_header_is_missing(host):
    url, answers = host
    answers.header, answers.version = False, "1.1.0"
    probe = probe_http(edge_target(f"{url}/ping", desired="1.1.0"))
    assert (probe.health, probe.running_version) == (Health.HEALTHY, "1.1.0")


def test_a_host_answering_503_is_unhealthy(host):
    url, answers = host
    answers.status = 503
    probe = probe_http(edge_target(f"{url}/ping"))
    assert (probe.health, probe.detail, probe.running_version) == (
        Health.UNHEALTHY,
        "HTTP 503",
        "1.0.0",
    )


def test_a_host_nobody_answers_on_is_unreachable():
    probe = probe_http(edge_target(free_port_url()))
    assert probe.health == Health.UNREACHABLE
    assert "refused" in probe.detail.lower()
    assert probe.as_desired is False


def test_a_cluster_internal_name_is_listed_not_probed(monkeypatch):
    def no_such_name(host: str, port: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # as outside the cluster; no DNS query
    target = Target(
        "m", "munich", "kubernetes", "m", "1", "http://m.models.svc.cluster.local:8080/ping"
    )
    probe = probe_http(target)
    assert (probe.health, probe.detail) == (
        Health.NOT_PROBED,
        "m.models.svc.cluster.local does not resolve from here",
    )
    assert probe.as_desired is None


def test_probes_run_bounded_and_come_back_in_the_targets_order(host):
    url, _ = host
    targets = [edge_target(f"{url}/ping", host=f"h{i}") for i in range(7)]
    done: list[str] = []
    probes = probe_all(targets, probe_http, lambda p: done.append(p.target.host), parallel=3)
    assert [p.target.host for p in probes] == [f"h{i}" for i in range(7)]
    assert sorted(done) == sorted(t.host for t in targets)


def test_exit_code_counts_only_the_endpoints_it_asked():
    healthy = Probe(edge_target("u"), Health.HEALTHY, "1.0.0")
    listed = Probe(edge_target("u"), Health.NOT_PROBED, detail="no credentials")
    down = Probe(edge_target("u"), Health.UNREACHABLE)
    assert fleet_status.exit_code([healthy, listed]) == 0
    assert fleet_status.exit_code([healthy, listed, down]) == 1


def test_cloud_endpoints_without_an_sdk_are_not_probed(monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if boto3 were not installed
    target = Target(
        "fraud-scorer", "aws-frankfurt", "aws", "fraud-scorer-aws-frankfurt", "1.4.0", None
    )
    probe = probe_cloud(target, PROD_EU.locations["aws-frankfurt"])
    assert (probe.health, probe.detail) == (Health.NOT_PROBED, "no credentials")
    assert probe_cloud(target, PROD_EU.locations["azure-westeurope"]).health == Health.NOT_PROBED


def fake_boto3(credentials: object, status: str, calls: list[tuple[str, str]]) -> types.ModuleType:
    """A boto3 stand-in: a session with these credentials whose SageMaker answers ``status``."""

    class Client:
        def describe_endpoint(self, EndpointName: str) -> dict[str, str]:  # noqa: N803 - boto3's keyword
            calls.append(("describe_endpoint", EndpointName))
            return {"EndpointStatus": status}

    class Session:
        def __init__(self, region_name: str) -> None:
            calls.append(("region", region_name))

        def get_credentials(self) -> object:
            return credentials

        def client(self, service: str) -> Client:
            assert service == "sagemaker"
            return Client()

    module = types.ModuleType("boto3")
    module.Session = Session  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("credentials", "status", "health", "detail"),
    [
        (None, "InService", Health.NOT_PROBED, "no credentials"),
        ("creds", "InService", Health.HEALTHY, "InService (version not reported)"),
        ("creds", "Failed", Health.UNHEALTHY, "Failed (version not reported)"),
    ],
)
def test_sagemaker_is_asked_once_with_the_users_credentials(
    monkeypatch, credentials, status, health, detail
):
    calls: list[tuple[str, str]] = []
    botocore = types.ModuleType("botocore")
    botocore.exceptions = types.SimpleNamespace(BotoCoreError=OSError, ClientError=OSError)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "boto3", fake_boto3(credentials, status, calls))
    monkeypatch.setitem(sys.modules, "botocore", botocore)
    monkeypatch.setitem(sys.modules, "botocore.exceptions", botocore.exceptions)
    target = Target(
        "fraud-scorer", "aws-frankfurt", "aws", "fraud-scorer-aws-frankfurt", "1.4.0", None
    )
    probe = probe_cloud(target, PROD_EU.locations["aws-frankfurt"])
    assert (probe.health, probe.detail) == (health, detail)
    asked = [("describe_endpoint", "fraud-scorer-aws-frankfurt")] if credentials else []
    assert calls == [("region", "eu-central-1"), *asked]


class FakeStack:
    """What ``read_deployed`` uses of an Automation API stack."""

    name = "local"

    def __init__(self, outputs: dict[str, Any], error: Exception | None = None) -> None:
        self._outputs, self._error = outputs, error

    def outputs(self) -> dict[str, auto.OutputValue]:
        if self._error:
            raise self._error
        return {k: auto.OutputValue(v, False) for k, v in self._outputs.items()}

    def info(self, show_secrets: bool) -> Any:
        end = datetime(2026, 11, 30, 19, 50, 1, tzinfo=UTC)
        return types.SimpleNamespace(end_time=end, result="succeeded")


def local_outputs(url: str) -> dict[str, Any]:
    row = {"model": "iris-classifier", "version": "1.0.0", "location": "this-machine", "kind": "edge", "jurisdiction": "FR"}  # fmt: skip
    hosts = {
        "canary": f"{url}/invocations",
        "gw-2": free_port_url().replace("/ping", "/invocations"),
    }
    return {
        "placements": [row],
        "urls": {"iris-classifier": {"this-machine": hosts["canary"]}},
        "host_urls": {"iris-classifier": {"this-machine": hosts}},
        "endpoint_names": {"iris-classifier": {"this-machine": "modelfleet-iris-classifier"}},
    }


def test_read_deployed_keeps_the_last_update_and_json_has_every_column(host):
    url, _ = host
    deployed = fleet_status.read_deployed(FakeStack(local_outputs(url)), LOCAL)  # type: ignore[arg-type]
    assert deployed.updated == "2026-11-30 19:50:01 UTC (succeeded)"
    probes = probe_all(deployed.targets, probe_http)
    document = json.loads(fleet_view.as_json(deployed.stack, deployed.updated, probes))
    canary, gw2 = document["rows"]
    assert {k: v for k, v in canary.items() if k != "latency_ms"} == {
        "model": "iris-classifier",
        "location": "this-machine",
        "kind": "edge",
        "host": "canary",
        "desired_version": "1.0.0",
        "running_version": "1.0.0",
        "health": "healthy",
        "detail": "",
    }
    assert canary["latency_ms"] > 0
    assert (gw2["host"], gw2["health"], gw2["running_version"]) == ("gw-2", "unreachable", None)


def test_a_stack_without_outputs_or_an_engine_error_is_a_status_error():
    with pytest.raises(fleet_status.StatusError, match="no placements output: run `up` first"):
        fleet_status.read_deployed(FakeStack({}), LOCAL)  # type: ignore[arg-type]
    failing = FakeStack({}, auto.CommandError(auto.CommandResult("", "error: boom\n", 1)))
    with pytest.raises(fleet_status.StatusError, match="pulumi: error: boom"):
        fleet_status.read_deployed(failing, LOCAL)  # type: ignore[arg-type]


def test_the_table_shows_both_versions_and_the_counts(host):
    url, answers = host
    answers.version = "0.9.0"
    deployed = fleet_status.read_deployed(FakeStack(local_outputs(url)), LOCAL)  # type: ignore[arg-type]
    probes = probe_all(deployed.targets, probe_http)
    console = fleet_view.Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    console.print(fleet_view.table(deployed.stack, deployed.updated, probes))
    text = console.export_text()
    canary = next(line for line in text.splitlines() if "canary" in line)
    cells = [cell.strip() for cell in canary.split("│")]
    assert cells[4:7] == ["1.0.0", "0.9.0", "drift: stack says 1.0.0"]
    assert "1 drift, 1 unreachable" in text
    assert "stack local · last update 2026-11-30 19:50:01 UTC (succeeded)" in text


def test_progress_is_one_plain_line_per_answer_when_stderr_is_not_a_terminal(host, capsys):
    url, _ = host
    targets = [edge_target(f"{url}/ping", host=h) for h in ("canary", "gw-2")]
    fleet_view.probe_with_progress(targets, probe_http)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["probed 1/2", "probed 2/2"]
    assert sorted(line.split(": ", 1)[1] for line in lines) == [
        "iris-classifier this-machine canary: healthy",
        "iris-classifier this-machine gw-2: healthy",
    ]


def test_status_of_a_stack_that_was_never_deployed_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PATH", "/nonexistent")  # no pulumi CLI: a user error, not a traceback
    assert cli.main(["status", "--stack", "local"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err


def test_watch_with_json_is_refused_before_the_stack_is_read(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert cli.main(["status", "--stack", "local", "--watch", "--format", "json"]) == 2
    assert capsys.readouterr().err == (
        "error: --watch redraws a table; run status without it for JSON\n"
    )


def fake_azure(state: str, calls: list[tuple[str, ...]], signed_in: bool) -> dict[str, Any]:
    """azure.ai.ml, azure.identity and azure.core.exceptions stand-ins for one workspace."""

    class ClientAuthenticationError(Exception):
        pass

    class Endpoints:
        def get(self, name: str) -> Any:
            calls.append(("get", name))
            if not signed_in:
                raise ClientAuthenticationError("no credential")
            return types.SimpleNamespace(provisioning_state=state)

    class MLClient:
        def __init__(self, credential: object, subscription: str, group: str, workspace: str):
            calls.append(("workspace", subscription, group, workspace))
            self.online_endpoints = Endpoints()

    return {
        "azure.ai.ml": types.SimpleNamespace(MLClient=MLClient),
        "azure.identity": types.SimpleNamespace(DefaultAzureCredential=object),
        "azure.core.exceptions": types.SimpleNamespace(
            AzureError=OSError, ClientAuthenticationError=ClientAuthenticationError
        ),
    }


@pytest.mark.parametrize(
    ("signed_in", "state", "health", "detail"),
    [
        (False, "Succeeded", Health.NOT_PROBED, "no credentials"),
        (True, "Succeeded", Health.HEALTHY, "Succeeded (version not reported)"),
        (True, "Failed", Health.UNHEALTHY, "Failed (version not reported)"),
    ],
)
def test_azure_ml_is_asked_once_in_the_locations_workspace(
    monkeypatch, signed_in, state, health, detail
):
    calls: list[tuple[str, ...]] = []
    for name, module in fake_azure(state, calls, signed_in).items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "sub-1")
    target = Target("fraud-scorer", "azure-westeurope", "azure", "fraud-scorer-weu", "1.4.0", None)
    probe = probe_cloud(target, PROD_EU.locations["azure-westeurope"])
    assert (probe.health, probe.detail) == (health, detail)
    assert calls == [("workspace", "sub-1", "ml-prod", "ml-prod-weu"), ("get", "fraud-scorer-weu")]


def test_azure_ml_without_a_subscription_is_not_probed(monkeypatch):
    for name, module in fake_azure("Succeeded", [], True).items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    target = Target("fraud-scorer", "azure-westeurope", "azure", "fraud-scorer-weu", "1.4.0", None)
    probe = probe_cloud(target, PROD_EU.locations["azure-westeurope"])
    assert (probe.health, probe.detail) == (
        Health.NOT_PROBED,
        "no credentials (AZURE_SUBSCRIPTION_ID is not set)",
    )
