"""A stack deployed by the previous release upgrades to this code with no change at all.

The previous release (the commit before the redesign) runs from a git worktree in a
temporary folder, in its own process with its package first on ``PYTHONPATH``; this
code then previews, updates and destroys the same stack on the real engine. Its edge
containers' dynamic provider was pickled into state by reference to
``modelfleet.edge.container``: destroying straight from that state proves the old
path still resolves.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from modelfleet.automation import LOCAL_PASSPHRASE, select_stack
from tests.e2e.conftest import THIS_STACK, containers_labelled

REPO = Path(__file__).resolve().parents[2]
PREVIOUS_RELEASE = "905556b"
"""The last commit before the targets became packages (issue 13)."""
HOST_PORT = 28080
"""Apart from the ports other tiers' `local` stacks publish, so runs can overlap."""
RESOURCES = 5
"""Stack, ModelEndpoint, EdgeEndpoint and one EdgeContainer per host (two)."""


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The previous release's package folder, checked out beside the repository."""
    checkout = tmp_path_factory.mktemp("previous") / "modelfleet"
    git = ["git", "-C", str(REPO), "worktree"]
    subprocess.run([*git, "add", "--detach", str(checkout), PREVIOUS_RELEASE], check=True)
    try:
        yield checkout / "components"
    finally:
        subprocess.run([*git, "remove", "--force", str(checkout)], check=True)


@pytest.fixture
def project(tmp_path: Path, model_server_image: str) -> Iterator[Path]:
    """A copy of the project with the `local` stack, on ports of its own; emptied afterwards."""
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", project)
    stack_file = project / "stacks" / "Pulumi.local.yaml"
    document = yaml.safe_load((REPO / "stacks" / "Pulumi.local.yaml").read_text())
    document["config"]["modelfleet:models"]["iris-classifier"]["host_port"] = HOST_PORT
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    try:
        yield project
    finally:
        for container in our_containers():
            container.remove(force=True)


def _ours(container: Any) -> bool:
    ports = container.attrs["HostConfig"].get("PortBindings") or {}
    return any(
        int(binding["HostPort"]) in (HOST_PORT, HOST_PORT + 1)
        for bindings in ports.values()
        for binding in bindings or []
    )


def run_previous(components: Path, command: str, project: Path, state: Path) -> str:
    """``python -m modelfleet.automation <command>`` with the previous release's package."""
    done = subprocess.run(
        [sys.executable, "-m", "modelfleet.automation", command, "--stack", "local",
         "--project-dir", str(project), "--state-dir", str(state)],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(components), "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"previous release `{command}` failed:\n{done.stdout[-4000:]}"
    return done.stdout


def our_containers() -> list[Any]:
    """This test's containers: the local stack's labels, on this test's ports."""
    return [c for c in containers_labelled(THIS_STACK) if _ours(c)]


def test_a_stack_of_the_previous_release_upgrades_with_no_change_and_destroys(
    previous_release: Path, project: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    # GIVEN the `local` stack deployed by the previous release
    run_previous(previous_release, "up", project, state)
    assert len(our_containers()) == 2
    stack: auto.Stack = select_stack("local", project, state)
    # WHEN this code previews it THEN nothing would change
    preview = stack.preview()
    assert preview.change_summary == {"same": RESOURCES}, preview.stdout
    # AND destroying straight from the old state (its provider pickled under the old
    # module path) removes every container
    destroyed = stack.destroy()
    assert destroyed.summary.resource_changes == {"delete": RESOURCES}
    assert our_containers() == []

    # GIVEN the previous release's stack again WHEN this code runs `up` THEN only `same`
    run_previous(previous_release, "up", project, state)
    upgraded = stack.up()
    assert upgraded.summary.resource_changes == {"same": RESOURCES}, upgraded.stdout
    assert {c.labels["modelfleet/host"] for c in our_containers()} == {"canary", "gw-2"}
    # AND `destroy` after the upgrade removes everything
    destroyed = stack.destroy()
    assert destroyed.summary.resource_changes == {"delete": RESOURCES}
    assert our_containers() == []
