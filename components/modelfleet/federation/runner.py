"""``modelfleet federate``: run a deployed federation to completion, then ship its model.

The run is submitted from inside the SuperLink's container (``flwr run`` against its
own Control API on 127.0.0.1 over TLS), so neither this machine nor CI needs flwr or
a route to the aggregator beyond its Docker engine. The ServerApp writes the model
and the per-round record into the container's tmpfs; they are read back with exec.
The next model version is the current serving image plus one layer holding the new
``model.onnx``: the serving image keeps its model in its last layer, so hosts pull
only that layer.

Usage: ``python -m modelfleet.federation.runner --stack NAME --federation F --version V``
"""

import argparse
import io
import json
import sys
import tarfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from modelfleet.edge.connect import EdgeTarget, docker_client

ENTRY = ["python", "/opt/entry/federation_entry.py", "run"]
MODEL_FILE = "/opt/ml/model/model.onnx"
"""Where the serving image loads its model from (images/model-server/Dockerfile)."""
OUTPUT_TAIL = 20


class FederationRunError(RuntimeError):
    """The federation did not finish: too few sites, or the run itself failed."""


@dataclass(frozen=True)
class RunSettings:
    """What a run is asked to do: the federation's config, sent as Flower run config."""

    rounds: int
    sites: int
    """Sites deployed: a round waits up to ``wait_for_sites_s`` for all of them."""
    min_clients: int
    local_epochs: int
    round_timeout_s: float
    wait_for_sites_s: float = 30.0


@dataclass(frozen=True)
class FederationResult:
    """What a finished run produced."""

    model_onnx: bytes
    rounds: list[dict[str, int]]
    """Per round, how many sites answered."""


def run_federation(
    target: EdgeTarget, superlink_container: str, settings: RunSettings,
    tls: Mapping[str, str] | None = None,
) -> FederationResult:  # fmt: skip
    """Run the app on the deployed federation; raise :class:`FederationRunError` on failure."""
    out = f"/tmp/federation-out/{uuid.uuid4().hex}"  # noqa: S108 - the container's tmpfs
    overrides = [
        f"num-server-rounds={settings.rounds}",
        f"sites={settings.sites}",
        f"min-clients={settings.min_clients}",
        f"local-epochs={settings.local_epochs}",
        f"round-timeout-s={float(settings.round_timeout_s)}",
        f"wait-for-sites-s={float(settings.wait_for_sites_s)}",
        f'output-dir="{out}"',
    ]
    with docker_client(target, tls) as client:
        container = _container(client, target, superlink_container)
        exit_code, output = container.exec_run([*ENTRY, *overrides])
        error = _read(container, f"{out}/error.txt")
        model = _read(container, f"{out}/model.onnx")
        rounds = _read(container, f"{out}/rounds.json")
    if error is not None:
        raise FederationRunError(f"federation run failed: {error.decode()}")
    if model is None or rounds is None:
        tail = output.decode("utf-8", errors="replace").strip().splitlines()[-OUTPUT_TAIL:]
        raise FederationRunError(
            f"federation run produced no model (flwr run exit code {exit_code}); "
            "its last lines:\n" + "\n".join(tail)
        )
    return FederationResult(model, json.loads(rounds))


def _container(client: docker.DockerClient, target: EdgeTarget, name: str) -> Any:
    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        raise FederationRunError(
            f"{target}: no SuperLink container {name!r}: run `up` for the stack first"
        ) from None


def _read(container: Any, path: str) -> bytes | None:
    exit_code, output = container.exec_run(["cat", path], demux=True)
    return output[0] or b"" if exit_code == 0 else None


def publish_model(
    target: EdgeTarget, base_image: str, model_onnx: bytes, image: str, version: str,
    tls: Mapping[str, str] | None = None,
) -> str:  # fmt: skip
    """Build ``image``: ``base_image`` with ``model_onnx`` as its model. Returns the image id."""
    dockerfile = (
        f"FROM {base_image}\n"
        f"COPY model.onnx {MODEL_FILE}\n"
        f"ENV MODEL_VERSION={version}\n"
        f"LABEL org.opencontainers.image.version={version}\n"
    ).encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in (("Dockerfile", dockerfile), ("model.onnx", model_onnx)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    with docker_client(target, tls) as client:
        built, _ = client.images.build(fileobj=context, custom_context=True, tag=image, rm=True)
        return str(built.id)


def main(argv: Sequence[str] | None = None) -> int:
    """``modelfleet federate``: run a stack's federation, then build the next serving image."""
    from modelfleet.automation import select_stack  # the engine is needed here only

    parser = argparse.ArgumentParser(prog="modelfleet federate", description=main.__doc__)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--federation", required=True)
    parser.add_argument("--version", required=True, help="the new model version")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--state-dir", type=Path, default=Path.cwd() / ".pulumi-state")
    args = parser.parse_args(argv)
    outputs = select_stack(args.stack, args.project_dir, args.state_dir).outputs()
    exported = outputs.get("federations")
    federation = (exported.value if exported else {}).get(args.federation)
    if federation is None:
        print(f"error: stack {args.stack} has no federation {args.federation!r}", file=sys.stderr)
        return 2
    current = federation["serving_image"]
    target = EdgeTarget("aggregator", args.federation, federation["docker_host"])
    try:
        result = run_federation(target, federation["superlink_container"], settings_of(federation))
    except FederationRunError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    image = f"{current.rsplit(':', 1)[0]}:{args.version}"
    publish_model(target, current, result.model_onnx, image, args.version)
    print(f"{args.federation}: {len(result.rounds)} rounds {result.rounds}; built {image}")
    print(f"next: set modelfleet:models.{federation['model']}.image to {image}, then `up`")
    return 0


def settings_of(federation: Mapping[str, Any]) -> RunSettings:
    """Run settings from a stack's ``federations`` export."""
    return RunSettings(
        rounds=int(federation["rounds"]),
        sites=int(federation["sites"]),
        min_clients=int(federation["min_clients"]),
        local_epochs=int(federation["local_epochs"]),
        round_timeout_s=float(federation["round_timeout_s"]),
    )


if __name__ == "__main__":
    sys.exit(main())
