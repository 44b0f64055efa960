"""``modelfleet:federations`` wired into the stack: the program builds them, parse refuses them.

The program reads the section through the engine like the three others, refuses a
federation outside its model's residency (or without its SuperLink's TLS) before it
registers any resource, and otherwise builds one ``Federation`` per entry next to the
endpoints. A stack file on disk may leave the TLS to ``pulumi config set``.
"""

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from modelfleet import program
from modelfleet.stackfile import ConfigError, parse
from tests.unit.conftest import RecordingMocks
from tests.unit.federation_shapes import IRIS

FEDERATION = "modelfleet:federation:Federation"
CONTAINER = "pulumi-python:dynamic/federation:FederationContainer"
LOCAL = "unix:///var/run/docker.sock"


def edge(jurisdiction: str, host: str, port_offset: int = 0) -> dict[str, Any]:
    host_entry = {"name": host, "docker_host": LOCAL, "port_offset": port_offset}
    return {"kind": "edge", "jurisdiction": jurisdiction, "hosts": [host_entry]}


def sections(hub: str = "DE", **federation: Any) -> dict[str, Any]:
    """The local-federation stack's shape: two plants serving, a hub aggregating."""
    spec = {
        "model": "iris",
        "aggregator": "hub",
        "sites": {"paris": {"data": "/srv/paris.csv"}, "lyon": {"data": "/srv/lyon.csv"}},
        "tls": {"ca": "CA PEM", "cert": "CERT PEM", "key": "KEY PEM"},
    }
    return {
        "models": {"iris": IRIS},
        "locations": {
            "paris": edge("FR", "gw-p"),
            "lyon": edge("FR", "gw-l", 1),
            "hub": edge(hub, "hub-1"),
        },
        "placements": {"iris": ["paris", "lyon"]},
        "federations": {"iris-fl": {**spec, **federation}},
    }


@pytest.fixture
def engine_config() -> Iterator[Any]:
    """Sets the stack config as the engine hands it to the program; cleared afterwards."""

    def set_config(values: dict[str, Any], secret_sections: tuple[str, ...]) -> None:
        pulumi.runtime.set_all_config(
            {f"modelfleet:{key}": json.dumps(value) for key, value in values.items()},
            [f"modelfleet:{key}" for key in secret_sections],
        )

    yield set_config
    pulumi.runtime.set_all_config({}, [])


def test_the_program_builds_a_federation_beside_the_endpoints(mocks: RecordingMocks, engine_config):
    # GIVEN a stack with a federation whose key was set with --secret
    engine_config(sections(), secret_sections=("federations",))
    # WHEN the program runs
    mocks.run(program.run)
    # THEN one Federation, its SuperLink on the hub's host and a SuperNode per plant
    assert [r.name for r in mocks.of_type(FEDERATION)] == ["iris-fl"]
    containers = {r.name: r.inputs for r in mocks.of_type(CONTAINER)}
    assert set(containers) == {"iris-fl-superlink", "iris-fl-paris", "iris-fl-lyon"}
    assert containers["iris-fl-superlink"]["host"] == "hub-1"
    # AND the endpoints are still built as before
    assert [r.name for r in mocks.of_type("modelfleet:index:ModelEndpoint")] == ["iris"]


@pytest.mark.parametrize(
    ("stack", "secret_sections", "expected"),
    [
        (
            sections(hub="US"),
            ("federations",),
            "modelfleet:federations.iris-fl.aggregator: US is outside the model's residency (EU)",
        ),
        (
            sections(tls=None),
            (),
            "modelfleet:federations.iris-fl.tls: not set, and `up` deploys no federation",
        ),
        (
            sections(),
            (),
            "modelfleet:federations.iris-fl.tls.key: a secret given in plain text",
        ),
    ],
    ids=["aggregator-outside-residency", "no-tls", "key-set-without-secret"],
)
def test_the_program_refuses_a_federation_before_any_resource(
    mocks: RecordingMocks, engine_config, stack, secret_sections, expected
):
    if stack["federations"]["iris-fl"]["tls"] is None:
        del stack["federations"]["iris-fl"]["tls"]
    engine_config(stack, secret_sections=secret_sections)
    with pytest.raises(pulumi.RunError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        mocks.run(program.run)
    assert [r for r in mocks.resources if r.type != "pulumi:pulumi:Stack"] == []


def test_a_stack_file_may_leave_the_tls_to_pulumi_config_set():
    # GIVEN a federation as committed, before its TLS is set
    raw = sections()
    del raw["federations"]["iris-fl"]["tls"]
    # THEN the file parses (validate notes it), and the program's parse refuses it
    parse(raw, decrypted=False)
    with pytest.raises(ConfigError) as refused:
        parse(raw, decrypted=True)
    assert [issue.path for issue in refused.value.issues] == ["modelfleet:federations.iris-fl.tls"]


def test_a_stack_file_with_the_superlink_key_in_clear_is_refused_at_its_key():
    with pytest.raises(ConfigError) as refused:
        parse(sections(), decrypted=False)
    assert [issue.path for issue in refused.value.issues] == [
        "modelfleet:federations.iris-fl.tls.key"
    ]
    parse({**sections(), "test_only_plaintext_secrets": True}, decrypted=False)


@pytest.mark.parametrize(
    ("federations", "path", "reason"),
    [
        (["iris-fl"], "modelfleet:federations", "expected a mapping of federation names"),
        ({"iris-fl": {"model": "iris"}}, "modelfleet:federations.iris-fl.aggregator", "required"),
        ({"Bad_Name": {}}, "modelfleet:federations.Bad_Name", "pattern"),
    ],
)
def test_a_malformed_section_is_refused_at_its_key(federations, path, reason):
    with pytest.raises(ConfigError) as refused:
        parse({**sections(), "federations": federations}, decrypted=False)
    issue = next(issue for issue in refused.value.issues if issue.path == path)
    assert reason in issue.reason
