"""What an edge site would refuse, checked by ``modelfleet validate`` and by the component."""

import urllib.parse

from modelfleet import rulebook
from modelfleet.errors import ConfigIssue
from modelfleet.keypaths import location_key
from modelfleet.model import ModelArgs
from modelfleet.targets import unused
from modelfleet.targets.edge.args import EdgeHostArgs, EdgeLocationArgs


def _host(location: EdgeLocationArgs, index: int, host: EdgeHostArgs) -> list[ConfigIssue]:
    path = location_key(location["name"], f"hosts[{index}]")
    url = urllib.parse.urlsplit(host["docker_host"])
    if url.scheme == "ssh" and not url.hostname:
        return [ConfigIssue(f"{path}.docker_host", rulebook.EDGE_SSH_URL.text())]
    is_tcp = url.scheme == "tcp"
    if is_tcp and "tls" not in host:
        return [ConfigIssue(f"{path}.docker_host", rulebook.EDGE_PLAIN_TCP.text())]
    if "tls" in host and not is_tcp:
        return [ConfigIssue(f"{path}.tls", rulebook.EDGE_TLS_ONLY_TCP.text())]
    return []


def hosts(location: EdgeLocationArgs) -> list[ConfigIssue]:
    """Unique host names, and no Docker API over plain TCP."""
    issues: list[ConfigIssue] = []
    names: set[str] = set()
    for index, host in enumerate(location["hosts"]):
        if host["name"] in names:
            path = location_key(location["name"], f"hosts[{index}].name")
            issues.append(ConfigIssue(path, rulebook.EDGE_HOST_UNIQUE.text(name=host["name"])))
        names.add(host["name"])
        issues += _host(location, index, host)
    return issues


def notes(model: ModelArgs, location: EdgeLocationArgs) -> list[ConfigIssue]:
    """Model keys an edge site does not use, each said at its key path."""
    return unused.notes(
        model,
        ("scaling.min", "scaling.max"),
        ("the edge site", location["name"]),
        "each host runs one container",
    )


def location_issues(location: EdgeLocationArgs) -> list[ConfigIssue]:
    """The rules about the site itself, whatever model it serves."""
    return hosts(location)


def issues(model: ModelArgs, location: EdgeLocationArgs) -> list[ConfigIssue]:
    """The rules about one model at the site: every key of the contract is honoured."""
    return []
