"""modelfleet.policy.edge: edge containers reach their engine securely and run hardened."""

import pytest

from tests.policy.builders import UNKNOWN, Spec, placed, run

TRANSPORT = "edge-docker-host-secure-transport"
EDGE_HARDENED = "edge-container-hardened"


# --- edge-docker-host-secure-transport ---------------------------------------------------


def test_ssh_unix_and_tcp_with_tls_pass():
    hosts = placed("edge")
    for name in ("fraud-scorer-here-gw-1", "fraud-scorer-here-gw-2"):
        assert run(TRANSPORT, hosts[name].resource_args()).messages == [], name
    unix = hosts["fraud-scorer-here-gw-1"]
    unix.props["docker_host"] = "unix:///var/run/docker.sock"
    assert run(TRANSPORT, unix.resource_args()).messages == []


@pytest.mark.parametrize("tls", [None, {"ca": "CA PEM", "cert": "CERT PEM", "key": ""}])
def test_plain_tcp_is_refused(tls):
    spec = placed("edge")["fraud-scorer-here-gw-2"]
    if tls is None:
        del spec.props["tls"]
    else:
        spec.props["tls"] = tls
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "Docker host 'tcp://gw-2:2376': plain tcp:// is refused, because anyone who can reach "
        "the port controls the engine: set tls (ca, cert, key) for mutual TLS, "
        "or use ssh:// or unix://"
    ]


def test_an_unknown_scheme_or_no_host_is_refused():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props["docker_host"] = "http://gw-1:2375"
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "Docker host 'http://gw-1:2375': expected unix:///path, ssh://user@host or tcp://host:port"
    ]
    spec.props["docker_host"] = ""
    assert run(TRANSPORT, spec.resource_args()).messages == [
        "no docker_host: cannot tell how its Docker engine is reached"
    ]


def test_unknown_tls_is_noted_not_passed():
    spec = placed("edge")["fraud-scorer-here-gw-2"]
    spec.props["tls"] = UNKNOWN
    assert run(TRANSPORT, spec.resource_args()).preview == (
        "tls of fraud-scorer-here-gw-2: unknown at preview; checked again at update"
    )


def test_other_dynamic_resources_are_not_edge_containers():
    other = Spec("pulumi-python:dynamic:Resource", "something", {"docker_host": None})
    other.props = {"value": 1}
    assert run(TRANSPORT, other.resource_args()).violations == []
    assert run(EDGE_HARDENED, other.resource_args()).violations == []


# --- edge-container-hardened -------------------------------------------------------------


def test_a_hardened_edge_container_passes():
    assert (
        run(EDGE_HARDENED, placed("edge")["fraud-scorer-here-gw-1"].resource_args()).messages == []
    )


def test_every_edge_hardening_gap_is_named():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props.update(privileged=True, network_mode="host", read_only=False)
    assert run(EDGE_HARDENED, spec.resource_args()).messages == [
        "the container runs privileged",
        "the container uses the host network (network_mode: host)",
        "the container's root filesystem is writable (read_only is not true)",
    ]


def test_an_undeclared_read_only_is_not_read_only():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    del spec.props["read_only"]
    assert run(EDGE_HARDENED, spec.resource_args()).messages == [
        "the container's root filesystem is writable (read_only is not true)"
    ]


def test_unknown_edge_settings_are_noted_not_passed():
    spec = placed("edge")["fraud-scorer-here-gw-1"]
    spec.props["read_only"] = UNKNOWN
    outcome = run(EDGE_HARDENED, spec.resource_args())
    assert outcome.messages == []
    assert (
        outcome.preview
        == "read_only of fraud-scorer-here-gw-1: unknown at preview; checked again at update"
    )
