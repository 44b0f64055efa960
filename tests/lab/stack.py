"""A modelfleet stack whose one edge location lists the lab's hosts, run through the
Automation API with the program in-process (as tests/e2e and bench/edge_stack do).

Three ways to serve the EdgeContainers, so the same stack measures each option:

- ``wide``: as shipped: the provider process widens its gRPC pool and gates swaps per
  location by each container's ``max_parallel`` input (modelfleet.targets.edge.rollout);
- ``stock``: the SDK's own width, four workers (``MODELFLEET_EDGE_WORKERS=4``): four
  hosts at once;
- ``groups``: four workers per provider process, one process per group of four hosts
  (explicit ``pulumi-python`` provider resources, given by a resource transform).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import pulumi
import yaml
from pulumi import automation as auto

from modelfleet.automation import select_stack
from modelfleet.program import run
from modelfleet.targets.edge import rollout
from tests.lab.lab import Lab

REPO = Path(__file__).resolve().parents[2]
ENGINE_BIN = Path.home() / ".cache" / "modelfleet" / "pulumi-3.260.0" / "bin"
MODEL = "lab-model"
LOCATION = "lab-site"
IMAGE = "modelfleet/model-server:dev"
HOST_PORT = 8080
RESOURCES = {"cpu": 0.5, "memory_mb": 256}
HEALTH_TIMEOUT_S = 180
GROUP = 4
MODES = ("stock", "wide", "groups")
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


def stack_config(lab: Lab, waves: dict[str, int], version: str) -> dict[str, Any]:
    """``Pulumi.lab.yaml``: one model on every lab host; wave per host name (default 0)."""
    hosts = [host_entry(lab, h.index, waves.get(h.name, 0)) for h in lab.hosts]
    return {
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


def program(mode: str, max_parallel: int) -> Callable[[], None]:
    """modelfleet's program, its EdgeContainers served as ``mode`` says."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    providers: dict[int, pulumi.ProviderResource] = {}

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.type_.endswith("EdgeContainer"):
            return None
        if mode == "wide":
            props = {**args.props, rollout.LIMIT_KEY: max_parallel}
            return pulumi.ResourceTransformResult(props, args.opts)
        if mode == "groups":
            group = int(args.name.rsplit("-h", 1)[1]) // GROUP
            if group not in providers:
                providers[group] = pulumi.ProviderResource("pulumi-python", f"edge-group-{group}")
            opts = pulumi.ResourceOptions.merge(
                args.opts, pulumi.ResourceOptions(provider=providers[group])
            )
            return pulumi.ResourceTransformResult(args.props, opts)
        return None

    def main() -> None:
        pulumi.runtime.register_resource_transform(transform)
        run()

    return main


def serve(stack: auto.Stack, mode: str, max_parallel: int) -> None:
    """Serve ``stack``'s EdgeContainers as ``mode`` says from its next operation on."""
    env = stack.workspace.env_vars
    assert isinstance(env, dict)
    if mode == "wide":
        env.pop("MODELFLEET_EDGE_WORKERS", None)
    else:
        env["MODELFLEET_EDGE_WORKERS"] = str(STOCK_WORKERS)
    stack.workspace.program = program(mode, max_parallel)


@contextmanager
def lab_stack(
    lab: Lab, mode: str = "wide", max_parallel: int = 64, waves: dict[str, int] | None = None
) -> Iterator[auto.Stack]:
    """The ``lab`` stack of a temporary project; destroyed (or its containers removed) after."""
    bin_dir = ensure_engine()
    workdir = Path(tempfile.mkdtemp(prefix="mflab-stack-"))
    try:
        project = workdir / "project"
        (project / "stacks").mkdir(parents=True)
        shutil.copy(REPO / "Pulumi.yaml", project)
        config = stack_config(lab, waves or {}, "1.0.0")
        (project / "stacks" / "Pulumi.lab.yaml").write_text(yaml.safe_dump(config))
        path = [str(lab.ssh_bin), str(Path(sys.executable).parent), str(bin_dir)]
        env = {"PATH": os.pathsep.join([*path, os.environ["PATH"]])}
        stack = select_stack("lab", project, workdir / "state", extra_env=env)
        serve(stack, mode, max_parallel)
        set_tls_keys(stack, lab)
        yield stack
    finally:
        remove_containers(lab)
        shutil.rmtree(workdir, ignore_errors=True)


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
