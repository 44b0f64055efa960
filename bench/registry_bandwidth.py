"""Bytes an edge engine pulls from its site mirror: a first deploy against a model-version bump.

Not a test: it measures on real registries and writes ``bench/results/registry_bandwidth.json``.

1. Two builds of the serving image from images/model-server with the real Dockerfile,
   the way scripts/build-images streams its context: version 1 as shipped, version 2
   with the model retrained (another regularisation strength, so other ONNX bytes). The
   build cache shares every layer but the model's own last one; this is checked.
2. Both are pushed to scripts/start-registry's origin and copied into its mirror (TLS,
   htpasswd) by ``modelfleet.images.copy``, as ``ModelImage`` does.
3. A scratch dockerd with an empty data root (an edge host that never saw the image)
   pulls version 1 from the mirror with the site's credentials, then version 2.
4. The mirror's access log gives the bytes of every response each pull caused; the
   manifests give what they should be (manifest + config + the layers not yet held).

Target: the bump moves <= 1% of the first deploy's bytes. Every process and file made
here is removed at the end (the images, the registries, the scratch engine, its CA trust).

Usage: ``python -m bench.registry_bandwidth`` from the repo root (needs ``make images``).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import docker
import requests

from bench.machine import REPO, RESULTS, describe, load
from modelfleet.images.copy import RegistryAccess, copy_image

TARGET_RATIO = 0.01
CONTEXT = REPO / "images" / "model-server"
CONTEXT_FILES = (
    "Dockerfile",
    "model_server.py",
    "requirements.txt",
    "train-requirements.txt",
    "train_model.py",
)
TAR = ("tar", "-c", "--dereference", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0")
"""scripts/build-images' flags: the same tar headers, so its build cache serves these builds."""
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
RETRAIN = ("LogisticRegression(max_iter=1000)", "LogisticRegression(max_iter=1000, C=0.5)")
"""Version 2's model: the same trainer with another regularisation strength."""
ACCESS = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) (?P<size>\d+|-)'
)
CERTS_D = Path("/etc/docker/certs.d")
BRIDGE, BRIDGE_CIDR = "mfbw0", "10.216.47.1/24"
ADDRESS_POOL = "base=10.217.0.0/16,size=24"
"""The scratch engine's own bridge and networks: never the main engine's docker0 or pools."""
LINK_MBIT = 2.0
"""A thin edge link, for the time each pull would take on it (computed, not measured)."""


@dataclass(frozen=True)
class Pull:
    """What one pull cost the mirror."""

    image: str
    bytes: int
    """Response bytes the mirror's access log records for this pull."""
    expected_bytes: int
    """Manifest + config + every layer the engine did not hold yet, from the manifests."""
    requests: int
    blobs: int
    seconds_at_link: float


def build(version: str, retrain: bool, base: str) -> str:
    """The serving image as scripts/build-images builds it; ``retrain``: a new model."""
    tag = f"modelfleet/model-server:bench-{version}"
    with tempfile.TemporaryDirectory(prefix="mf-bench-context-") as tmp:
        work = Path(tmp)
        for name in CONTEXT_FILES:
            shutil.copy2(CONTEXT / name, work / name)
        if retrain:
            trainer = (work / "train_model.py").read_text()
            assert RETRAIN[0] in trainer, "train_model.py changed: update RETRAIN"
            (work / "train_model.py").write_text(trainer.replace(*RETRAIN))
        shutil.copy2(CA_BUNDLE, work / "build-ca.crt")
        tar = subprocess.Popen(
            [*TAR, "-C", str(work), *CONTEXT_FILES, "build-ca.crt"],
            stdout=subprocess.PIPE,
        )
        built = subprocess.run(
            [
                *("docker", "build", "--force-rm", "-q", "-t", tag),
                *("--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"MODEL_VERSION={version}"),
                "-",
            ],
            stdin=tar.stdout,
            check=False,
            capture_output=True,
            text=True,
        )
        tar.wait()
    if built.returncode != 0:
        raise SystemExit(f"building {tag} failed:\n{built.stderr[-3000:]}")
    return tag


def base_image(client: docker.DockerClient) -> str:
    """The base scripts/build-images would pick, so the build cache is the one it made."""
    for candidate in ("python:3.11-slim", "modelfleet/base:bookworm"):
        with suppress(docker.errors.ImageNotFound):
            client.images.get(candidate)
            return candidate
    raise SystemExit("no base image here: run `make images` first")


def check_only_the_model_layer_differs(client: docker.DockerClient, v1: str, v2: str) -> int:
    """How many layers the two share; fails unless that is all but the last."""
    first = client.images.get(v1).attrs["RootFS"]["Layers"]
    second = client.images.get(v2).attrs["RootFS"]["Layers"]
    shared = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), 0)
    if len(first) != len(second) or shared != len(first) - 1:
        raise SystemExit(f"{v1} and {v2} differ beyond the model layer: {first} vs {second}")
    return shared


@dataclass(frozen=True)
class Site:
    """scripts/start-registry's registries, as its env file lists them."""

    origin: str
    mirror: str
    ca: Path
    user: str
    password: str
    mirror_log: Path

    @property
    def access(self) -> RegistryAccess:
        return RegistryAccess(self.user, self.password, self.ca.read_text())


@contextmanager
def registries(root: Path) -> Iterator[Site]:
    out = subprocess.run(
        [REPO / "scripts" / "start-registry", root], check=True, capture_output=True, text=True
    )
    env_file = Path(out.stdout.strip().splitlines()[-1])
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    try:
        yield Site(
            env["ORIGIN"],
            env["MIRROR"],
            Path(env["MIRROR_CA"]),
            env["MIRROR_USER"],
            Path(env["MIRROR_PASSWORD_FILE"]).read_text().strip(),
            Path(env["MIRROR_LOG"]),
        )
    finally:
        subprocess.run([REPO / "scripts" / "stop-registry", root], check=False)


@contextmanager
def scratch_engine(root: Path, mirror: str, ca: Path) -> Iterator[docker.DockerClient]:
    """A dockerd that holds no image, trusting the mirror's CA: a new edge host."""
    (root / "daemon.json").write_text("{}")
    subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", BRIDGE_CIDR, "dev", BRIDGE], check=True)
    trusted = CERTS_D / mirror
    trusted.mkdir(parents=True, exist_ok=True)
    shutil.copy(ca, trusted / "ca.crt")
    log = (root / "dockerd.log").open("w")
    daemon = subprocess.Popen(
        [
            *("dockerd", "--config-file", str(root / "daemon.json")),
            *("--data-root", str(root / "data"), "--exec-root", str(root / "exec")),
            *("--pidfile", str(root / "docker.pid"), "-H", f"unix://{root}/docker.sock"),
            # Its own bridge: with --bridge=none dockerd deletes docker0, the main engine's.
            *("--bridge", BRIDGE, "--iptables=false", "--ip-masq=false"),
            *("--default-address-pool", ADDRESS_POOL),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = docker.DockerClient(base_url=f"unix://{root}/docker.sock", version="1.41", timeout=600)
    try:
        _wait_for(client)
        yield client
    finally:
        client.close()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        shutil.rmtree(trusted, ignore_errors=True)
        subprocess.run(["ip", "link", "delete", BRIDGE], check=False)


def _wait_for(client: docker.DockerClient) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with suppress(Exception):
            client.ping()
            return
        time.sleep(0.2)
    raise SystemExit("the scratch dockerd did not answer within 60 s")


def served(log: Path, since: int) -> tuple[int, int, int]:
    """(bytes, requests, blob downloads) the registry answered after byte ``since`` of its log."""
    total = count = blobs = 0
    for line in log.read_bytes()[since:].decode().splitlines():
        match = ACCESS.search(line)
        if match is None or match["method"] not in ("GET", "HEAD"):
            continue
        count += 1
        total += int(match["size"]) if match["size"] != "-" else 0
        blobs += "/blobs/" in match["path"] and match["method"] == "GET"
    return total, count, blobs


def expected(site: Site, image: str, held: set[str]) -> int:
    """Manifest + config + the layers not in ``held``, as the manifest states them."""
    repository, digest = image.split("/", 1)[1].split("@")
    with requests.Session() as session:
        session.trust_env = False
        manifest = session.get(
            f"https://{site.mirror}/v2/{repository}/manifests/{digest}",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
            auth=(site.user, site.password),
            verify=str(site.ca),
            timeout=10,
        ).content
    document = json.loads(manifest)
    layers = [layer for layer in document["layers"] if layer["digest"] not in held]
    held.update(layer["digest"] for layer in document["layers"])
    return len(manifest) + document["config"]["size"] + sum(layer["size"] for layer in layers)


def pull(engine: docker.DockerClient, site: Site, image: str, held: set[str]) -> Pull:
    since = site.mirror_log.stat().st_size
    engine.images.pull(image, auth_config={"username": site.user, "password": site.password})
    time.sleep(0.5)  # the registry writes its access line after the response
    size, requests, blobs = served(site.mirror_log, since)
    return Pull(
        image, size, expected(site, image, held), requests, blobs, size * 8 / (LINK_MBIT * 1e6)
    )


def measure(client: docker.DockerClient, root: Path) -> dict[str, Any]:
    base = base_image(client)
    v1, v2 = build("1.0.0", retrain=False, base=base), build("1.1.0", retrain=True, base=base)
    try:
        shared = check_only_the_model_layer_differs(client, v1, v2)
        with registries(root / "registries") as site:
            mirrored = [_publish(client, site, image) for image in (v1, v2)]
            (root / "engine").mkdir()
            with scratch_engine(root / "engine", site.mirror, site.ca) as engine:
                held: set[str] = set()
                first, bump = (pull(engine, site, image, held) for image in mirrored)
    finally:
        for image in (v1, v2):
            with suppress(docker.errors.APIError):
                client.images.remove(image)
    return {
        "base_image": base,
        "shared_layers": shared,
        "first_deploy": asdict(first),
        "version_bump": asdict(bump),
        "ratio": bump.bytes / first.bytes,
        "target_ratio": TARGET_RATIO,
    }


def _publish(client: docker.DockerClient, site: Site, image: str) -> str:
    """Push to the origin, copy into the mirror with the digest kept; the mirror's image."""
    version = image.rsplit("-", 1)[1]
    repository = "ml/model-server"
    local = client.images.get(image)
    local.tag(f"{site.origin}/{repository}", version)
    for line in client.images.push(
        f"{site.origin}/{repository}", version, stream=True, decode=True
    ):
        if "error" in line:
            raise SystemExit(f"push failed: {line['error']}")
    client.images.remove(f"{site.origin}/{repository}:{version}")
    copied = copy_image(
        f"{site.origin}/{repository}:{version}",
        f"{site.mirror}/{repository}",
        destination_access=site.access,
        tag=version,
    )
    return copied.image


def markdown(result: dict[str, Any]) -> str:
    """The "Registry bandwidth" section of BENCHMARKS.md for ``result``."""
    first, bump, load = result["first_deploy"], result["version_bump"], result["load_avg_1m"]
    rows = [
        ("first deploy (empty engine)", first),
        ("model-version bump (only the model layer changed)", bump),
    ]
    lines = [
        "## Registry bandwidth: first deploy against a model-version bump",
        "",
        f"The serving image on `{result['base_image']}`, built twice from images/model-server "
        f"(version 2 retrains the model; {result['shared_layers']} of "
        f"{result['shared_layers'] + 1} layers shared), copied into a TLS + htpasswd "
        "Distribution 2.8 mirror with its digest kept, pulled by a dockerd with an empty data "
        "root. Bytes are the mirror's access-log response sizes for each pull; expected is "
        "manifest + config + the layers the engine lacked. 1-minute load average "
        f"{load['before']:.1f} -> {load['after']:.1f}. "
        "Reproduce: `python -m bench.registry_bandwidth`.",
        "",
        f"| pull | bytes from the mirror | expected | blobs | at {LINK_MBIT:g} Mbit/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, pull_ in rows:
        lines.append(
            f"| {label} | {pull_['bytes']:,} | {pull_['expected_bytes']:,} | {pull_['blobs']} "
            f"| {pull_['seconds_at_link']:.2f} s |"
        )
    lines += [
        "",
        f"Version bump / first deploy: **{result['ratio']:.4%}** "
        f"(target <= {result['target_ratio']:.0%}).",
    ]
    return "\n".join(lines)


def main() -> None:
    client = docker.from_env(timeout=600)
    before = load()
    with tempfile.TemporaryDirectory(prefix="mf-bw-") as tmp:
        result = measure(client, Path(tmp))
    result |= {"machine": describe(), "load_avg_1m": {"before": before, "after": load()}}
    out = RESULTS / "registry_bandwidth.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    first, bump = result["first_deploy"], result["version_bump"]
    print(markdown(result))
    print(
        f"registry_bandwidth: first deploy {first['bytes']:,} B ({first['blobs']} blobs), "
        f"version bump {bump['bytes']:,} B ({bump['blobs']} blobs): "
        f"{result['ratio']:.4%} (target <= {TARGET_RATIO:.0%}); wrote {out}"
    )


if __name__ == "__main__":
    main()
