"""A modelfleet stack whose one edge location lists the lab's hosts: the project's own
program (``__main__.py``, run by the Python language host), driven by the ``pulumi`` CLI
through the Automation API, as ``make up`` and CI run it.

Two ways to serve the EdgeContainers, so the same stack measures both:

- ``wide``: as shipped: the provider process widens its gRPC pool and gates swaps per
  location by the site's ``rollout.max_parallel`` (modelfleet.targets.edge.rollout);
- ``stock``: the SDK's own width, four workers (``MODELFLEET_EDGE_WORKERS=4``): four
  hosts at once, as before the rollout gate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import yaml
from pulumi import automation as auto

from modelfleet.automation import LOCAL_PASSPHRASE, engine_env
from tests.lab.lab import Lab

REPO = Path(__file__).resolve().parents[2]
ENGINE_BIN = Path.home() / ".cache" / "modelfleet" / "pulumi-3.260.0" / "bin"
MODEL = "lab-model"
LOCATION = "lab-site"
IMAGE = "modelfleet/model-server:dev"
HOST_PORT = 8080
RESOURCES = {"cpu": 0.5, "memory_mb": 256}
HEALTH_TIMEOUT_S = 180
MODES = ("stock", "wide")
WORKERS_VARIABLE = "MODELFLEET_EDGE_WORKERS"
STOCK_WORKERS = 4
"""The dynamic provider's gRPC pool as the SDK builds it."""
LABELS = ["managed-by=modelfleet", f"modelfleet/location={LOCATION}"]


def ensure_engine() -> Path:
    """The engine's directory, first on PATH: the cached build once complete (install-pulumi
    waits on a lock while anything else in the cache builds), else what the script provides."""
    if (ENGINE_BIN / ".complete").exists():
        os.environ["PATH"] = os.pathsep.join([str(ENGINE_BIN), os.environ["PATH"]])
        return ENGINE_BIN
    done = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], capture_output=True, text=True, check=True
    )
    bin_dir = Path(done.stdout.strip().splitlines()[-1])
    os.environ["PATH"] = os.pathsep.join([str(bin_dir), os.environ["PATH"]])
    return bin_dir


def host_entry(lab: Lab, index: int, wave: int) -> dict[str, Any]:
    host = lab.hosts[index]
    entry: dict[str, Any] = {
        "name": host.name,
        "docker_host": host.docker_host,
        "wave": wave,
        "bind": host.link.address,
    }
    if host.transport == "tls":
        entry["tls"] = {"ca": lab.ca, "cert": lab.client.cert}  # key: a secret, set apart
    return entry


def stack_config(
    lab: Lab, waves: dict[str, int], version: str, max_parallel: int | None
) -> dict[str, Any]:
    """``Pulumi.lab.yaml``: one model on every lab host; wave per host name (default 0)."""
    hosts = [host_entry(lab, h.index, waves.get(h.name, 0)) for h in lab.hosts]
    config: dict[str, Any] = {
        "config": {
            "modelfleet:models": {
                MODEL: {
                    "version": version,
                    "image": IMAGE,
                    "host_port": HOST_PORT,
                    "resources": RESOURCES,
                    "data": {"classification": "internal", "residency": ["EU"]},
                }
            },
            "modelfleet:locations": {
                LOCATION: {
                    "kind": "edge",
                    "jurisdiction": "FR",
                    "health_timeout_s": HEALTH_TIMEOUT_S,
                    "hosts": hosts,
                }
            },
            "modelfleet:placements": {MODEL: [LOCATION]},
        }
    }
    if max_parallel is not None:
        config["config"]["modelfleet:locations"][LOCATION]["rollout"] = {
            "max_parallel": max_parallel
        }
    return config


def set_max_parallel(stack: auto.Stack, max_parallel: int) -> None:
    """The site's ``rollout.max_parallel``, written into the stack file as a user would."""
    path = Path(stack.workspace.work_dir) / "stacks" / f"Pulumi.{stack.name}.yaml"
    config = yaml.safe_load(path.read_text())
    site = config["config"]["modelfleet:locations"][LOCATION]
    site["rollout"] = {"max_parallel": max_parallel}
    path.write_text(yaml.safe_dump(config))


def serve(stack: auto.Stack, mode: str) -> None:
    """Serve ``stack``'s EdgeContainers as ``mode`` says from its next operation on."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    env = stack.workspace.env_vars
    assert isinstance(env, dict)
    env.pop(WORKERS_VARIABLE, None)
    if mode == "stock":
        env[WORKERS_VARIABLE] = str(STOCK_WORKERS)


def write_project(directory: Path) -> Path:
    """A copy of modelfleet's project: its program, this venv, stack files in ``stacks``."""
    (directory / "stacks").mkdir(parents=True)
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    project["runtime"]["options"]["virtualenv"] = sys.prefix
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    shutil.copy(REPO / "__main__.py", directory)
    return directory


@contextmanager
def lab_stack(
    lab: Lab,
    mode: str = "wide",
    max_parallel: int | None = 64,
    waves: dict[str, int] | None = None,
) -> Iterator[auto.Stack]:
    """The ``lab`` stack of a temporary project; its containers removed after."""
    bin_dir = ensure_engine()
    workdir = Path(tempfile.mkdtemp(prefix="mflab-stack-"))
    try:
        project = write_project(workdir / "project")
        config = stack_config(lab, waves or {}, "1.0.0", max_parallel)
        (project / "stacks" / "Pulumi.lab.yaml").write_text(yaml.safe_dump(config))
        env = engine_env(workdir / "state", LOCAL_PASSPHRASE)
        env["PATH"] = os.pathsep.join([str(lab.ssh_bin), str(bin_dir), env["PATH"]])
        (workdir / "state").mkdir()
        options = auto.LocalWorkspaceOptions(work_dir=str(project), env_vars=env)
        stack = auto.create_or_select_stack("lab", work_dir=str(project), opts=options)
        serve(stack, mode)
        set_tls_keys(stack, lab)
        yield stack
    finally:
        remove_containers(lab)
        shutil.rmtree(workdir, ignore_errors=True)


def cli_up(stack: auto.Stack, parallel: int) -> subprocess.CompletedProcess[str]:
    """``pulumi up`` as a CI job types it, in the stack's project and environment."""
    command = ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"]
    command += ["--stack", stack.name, "--parallel", str(parallel)]
    env = {**os.environ, **(stack.workspace.env_vars or {})}
    return subprocess.run(
        command, cwd=stack.workspace.work_dir, env=env, capture_output=True, text=True, check=False
    )


def set_tls_keys(stack: auto.Stack, lab: Lab) -> None:
    keys = {
        f"modelfleet:locations.{LOCATION}.hosts[{host.index}].tls.key": auto.ConfigValue(
            lab.client.key, secret=True
        )
        for host in lab.hosts
        if host.transport == "tls"
    }
    if keys:
        stack.set_all_config(keys, path=True)


def set_version(stack: auto.Stack, version: str) -> None:
    stack.set_config(f"modelfleet:models.{MODEL}.version", auto.ConfigValue(version), path=True)


def lab_containers(lab: Lab) -> dict[str, list[Any]]:
    """This stack's containers on each host, over the engines' own sockets."""
    found = {}
    for host in lab.hosts:
        client = host.client()
        try:
            found[host.name] = client.containers.list(all=True, filters={"label": LABELS})
        finally:
            client.close()
    return found


def remove_containers(lab: Lab) -> None:
    for host in lab.hosts:
        client = host.client()
        try:
            for container in client.containers.list(all=True, filters={"label": LABELS}):
                container.remove(force=True)
        except docker.errors.DockerException:
            pass  # an engine the test stopped
        finally:
            client.close()
