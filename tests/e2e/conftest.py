"""End-to-end fixtures: the `pulumi` CLI, the real Docker engine, the `local` stack.

Tests run the CLI as a user types it: ``pulumi up``, ``pulumi preview --diff``, ``pulumi
config set``, each in its own copy of a project with its own file backend in a temporary
folder, so nothing touches the repository's config or state. The session gets a fresh,
empty ``PULUMI_HOME``: no command may try to download a plugin (there is no network), and
:class:`Pulumi` fails any command whose output shows it tried. Every stack is destroyed
afterwards, and leftover containers removed, even on failure.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from modelfleet.automation import LOCAL_PASSPHRASE
from tests.integration.image_fixtures import (  # noqa: F401 - fixtures, found by name
    model_server_image,
    model_server_onnx,
)

REPO = Path(__file__).resolve().parents[2]
THIS_STACK = ["managed-by=modelfleet", "modelfleet/location=this-machine"]
"""Labels of the local stack's containers: other tiers may run containers of their own."""
DOWNLOAD_ATTEMPTS = (
    "failed to download",
    "no such host",
    "Downloading provider",
    "Downloading plugin",
    "error downloading",
)
"""What the CLI prints when it tries to fetch a plugin (it would fail here: no network)."""


@pytest.fixture(scope="session", autouse=True)
def pulumi_bin() -> Path:
    """The engine and language hosts scripts/install-pulumi provides (or builds), first on PATH."""
    done = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"scripts/install-pulumi failed:\n{done.stderr}"
    bin_dir = Path(done.stdout.strip().splitlines()[-1])
    os.environ["PATH"] = os.pathsep.join([str(bin_dir), os.environ["PATH"]])
    hosts = ("pulumi-language-python", "pulumi-language-yaml")
    missing = [host for host in hosts if shutil.which(host) is None]
    assert not missing, f"{done.stdout}\nno {', '.join(missing)} beside {bin_dir}"
    return bin_dir


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty PULUMI_HOME for the session: nothing installed, nothing to fall back on."""
    return tmp_path_factory.mktemp("pulumi-home")


@dataclass
class Pulumi:
    """The `pulumi` CLI in one project folder, with its own file backend and passphrase."""

    cwd: Path
    home: Path
    state: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        ambient = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        return {
            **ambient,
            "PATH": without_virtualenvs(os.environ["PATH"]),
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.state.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": LOCAL_PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            **self.extra_env,
        }

    def __call__(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``pulumi ARGS``; fails the test on a download attempt, or on an error if ``check``."""
        done = subprocess.run(
            ["pulumi", *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        printed = done.stdout + done.stderr
        tried = [a for a in DOWNLOAD_ATTEMPTS if a in printed]
        assert not tried, f"pulumi {' '.join(args)} tried to download ({tried}):\n{printed}"
        if check:
            assert done.returncode == 0, (
                f"pulumi {' '.join(args)} exited {done.returncode}:\n{printed}"
            )
        return done

    def changes(self, stack: str) -> dict[str, int]:
        """Resource changes of the stack's last update, refresh or destroy (``stack history``)."""
        history = json.loads(self("stack", "history", "--json", "-s", stack).stdout)
        return dict(history[0]["resourceChanges"])

    def outputs(self, stack: str) -> dict[str, Any]:
        return dict(json.loads(self("stack", "output", "--json", "-s", stack).stdout))

    def set_config(self, stack: str, key: str, value: str, *, secret: bool = False) -> None:
        """``pulumi config set --path`` (``--secret`` when asked), as a user changes a stack."""
        flags = ["--secret"] if secret else []
        self("config", "set", "--path", *flags, "-s", stack, key, value)


def without_virtualenvs(path: str) -> str:
    """``path`` without any virtualenv's bin folder.

    The Python language host reads a source plugin's dependencies from the ``python3`` it
    finds on PATH, not from the plugin's own virtualenv; where that ``python3`` has the
    provider SDKs (an activated venv), the engine tries to download their plugins. Users
    run ``pulumi package add`` with no venv activated, and so do these tests.
    """
    parts = path.split(os.pathsep)
    return os.pathsep.join(p for p in parts if not (Path(p).parent / "pyvenv.cfg").exists())


def containers_labelled(labels: list[str]) -> list[Any]:
    """Every container (running or not) carrying all of ``labels``."""
    client = docker.from_env()
    try:
        return client.containers.list(all=True, filters={"label": labels})
    finally:
        client.close()


def remove_containers(labels: list[str]) -> None:
    for container in containers_labelled(labels):
        container.remove(force=True)


def copy_project(source: Path, dest: Path, files: Sequence[str], venv: str | None) -> Path:
    """A copy of the project ``files`` of ``source`` in ``dest``, its virtualenv ``venv``
    linked to this checkout's (where modelfleet is installed editable)."""
    for name in files:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, dest / name)
    if venv is not None:
        (dest / venv).symlink_to(REPO / ".venv", target_is_directory=True)
    return dest


@pytest.fixture
def local_stack(
    tmp_path: Path,
    pulumi_home: Path,
    model_server_image: str,  # noqa: F811
) -> Iterator[Pulumi]:
    """A copy of this project with the `local` stack selected; destroyed afterwards."""
    project = copy_project(
        REPO,
        tmp_path / "project",
        ["Pulumi.yaml", "__main__.py", "stacks/Pulumi.local.yaml"],
        ".venv",
    )
    (tmp_path / "state").mkdir()
    pulumi = Pulumi(project, pulumi_home, tmp_path / "state")
    pulumi("stack", "select", "--create", "local")
    try:
        yield pulumi
    finally:
        try:
            pulumi("destroy", "--yes", "-s", "local", check=False)
        finally:
            remove_containers(THIS_STACK)
