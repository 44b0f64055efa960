"""``modelfleet status --watch`` in a real pseudo-terminal, as a person runs it.

The stack is real (the Pulumi engine, a file backend) but its program only exports the
outputs a deployed `local` stack has, pointing at a /ping server in this process: the
terminal behaviour is under test here, not Docker (tests/e2e/test_status.py does that).
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pexpect
import pulumi
import pytest
from pulumi import automation as auto

from modelfleet.automation import LOCAL_PASSPHRASE, PROJECT, engine_env

REPO = Path(__file__).resolve().parents[2]
MODELFLEET = str(Path(sys.executable).parent / "modelfleet")
MODEL = "iris-classifier"
ERASE_LINE_AND_GO_UP = "\x1b[2K\x1b[1A"
"""What rich's Live writes to redraw in place (instead of printing a second table below)."""


class Ping(BaseHTTPRequestHandler):
    """/ping of a serving container: 200 with the version it runs in X-Model-Version."""

    version = "1.0.0"

    def do_GET(self) -> None:
        body = json.dumps({"status": "ready", "version": Ping.version}).encode()
        self.send_response(200)
        self.send_header("X-Model-Version", Ping.version)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ping_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ping)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def engine_path() -> str:
    """PATH with a `pulumi` CLI: the one `make test` put there, else scripts/install-pulumi's."""
    if shutil.which("pulumi"):
        return os.environ["PATH"]
    done = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"scripts/install-pulumi failed:\n{done.stderr}"
    return os.pathsep.join([done.stdout.strip().splitlines()[-1], os.environ["PATH"]])


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, ping_url: str, engine_path: str
) -> Iterator[tuple[Path, dict[str, str]]]:
    """A project folder whose `local` stack exports two hosts at ``ping_url``; its env."""
    project = tmp_path_factory.mktemp("status-terminal")
    (project / "stacks").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", project)
    shutil.copy(REPO / "stacks" / "Pulumi.local.yaml", project / "stacks")
    env = {**engine_env(project / "state", LOCAL_PASSPHRASE), "PATH": engine_path}
    (project / "state").mkdir()

    def program() -> None:
        hosts = dict.fromkeys(("canary", "gw-2"), f"{ping_url}/invocations")
        pulumi.export("urls", {MODEL: {"this-machine": hosts["canary"]}})
        pulumi.export("host_urls", {MODEL: {"this-machine": hosts}})
        pulumi.export("endpoint_names", {MODEL: {"this-machine": f"modelfleet-{MODEL}"}})
        row = {"model": MODEL, "version": "1.0.0", "location": "this-machine", "kind": "edge"}
        pulumi.export("placements", [{**row, "jurisdiction": "FR"}])

    options = auto.LocalWorkspaceOptions(work_dir=str(project), env_vars=env)
    stack = auto.create_or_select_stack(
        "local", project_name=PROJECT, program=program, opts=options
    )
    stack.up()
    try:
        yield project, {**os.environ, **env}
    finally:
        stack.destroy()


def watch(project: Path, env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(
        MODELFLEET,
        ["status", "--stack", "local", "--watch", "--interval", "1"],
        cwd=str(project),
        env=env,
        dimensions=(40, 140),
        encoding="utf-8",
        timeout=60,
    )


def test_watch_draws_the_table_redraws_in_place_and_ctrl_c_exits_cleanly(deployed):
    project, env = deployed
    Ping.version = "1.0.0"
    child = watch(project, env)
    try:
        # WHEN status --watch runs in a terminal THEN it draws the table with both hosts
        child.expect("Ctrl-C to stop")
        first = str(child.before)
        assert "canary" in first
        assert "gw-2" in first
        assert "2 healthy" in first
        # WHEN a host starts answering another version THEN the next round shows the drift,
        # drawn over the previous table rather than below it
        Ping.version = "0.9.0"
        child.expect("2 drift")
        assert ERASE_LINE_AND_GO_UP in str(child.before)
        child.expect("Ctrl-C to stop")
        # WHEN the user presses Ctrl-C THEN it exits without a traceback
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    printed = first + str(child.before)
    assert "Traceback" not in printed
    assert "KeyboardInterrupt" not in printed
    assert child.signalstatus is None
    assert child.exitstatus == 1  # the last round saw drift


def test_status_on_a_terminal_shows_a_table_and_exits_0_when_all_is_as_desired(deployed):
    project, env = deployed
    Ping.version = "1.0.0"
    child = pexpect.spawn(
        MODELFLEET,
        ["status", "--stack", "local"],
        cwd=str(project),
        env=env,
        dimensions=(40, 140),
        encoding="utf-8",
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert "2 healthy" in str(child.before)
    assert child.exitstatus == 0
