"""Federated training on the real engine and Docker: the `local-federation` stack.

Two plants hold disjoint iris rows and serve the model; an aggregator runs the Flower
SuperLink with a CA made here (its key a Pulumi secret). `modelfleet federate` runs three
FedAvg rounds, builds the next serving image, and `up` rolls it out to the plants. A
plant going down mid-training ends the run cleanly or with a clear error, by
min_clients. Destroy leaves no container and no network behind.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import numpy as np
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi import automation as auto
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from modelfleet import program as stack_program
from modelfleet.automation import LOCAL_PASSPHRASE, engine_env
from modelfleet.edge.connect import EdgeTarget
from modelfleet.federation import runner
from modelfleet.federation.component import DATA_MOUNT
from modelfleet.stackfile import NAMESPACE

REPO = Path(__file__).resolve().parents[2]
STACK = "local-federation"
FEDERATION = "iris-fl"
SITES = ("paris-plant", "lyon-plant")
SUPERLINK = f"modelfleet-fed-{FEDERATION}-superlink"
NEW_VERSION = "1.1.0-fed"
NEW_IMAGE = f"modelfleet/model-server:{NEW_VERSION}"
ACCURACY_GAP = 0.05
"""Federated accuracy may trail central training on the same rows by at most 5 points."""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def make_superlink_tls() -> dict[str, str]:
    """A throwaway CA and a SuperLink certificate for its container name and 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def builder(subject: str, public: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name("modelfleet federation test CA"))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=6))
        )

    ca = (
        builder("modelfleet federation test CA", ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName(SUPERLINK), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        builder(SUPERLINK, key.public_key())
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {"ca": _pem(ca), "cert": _pem(cert), "key": key_pem}


@dataclass(frozen=True)
class IrisSplit:
    """Each site's rows (files on the engine's host) and the held-out rows nobody trains on."""

    files: dict[str, Path]
    test_features: np.ndarray
    test_labels: np.ndarray

    def central_accuracy(self) -> float:
        """The same model trained on every site's rows in one place."""
        rows = np.vstack([np.loadtxt(path, delimiter=",") for path in self.files.values()])
        model = LogisticRegression(max_iter=1000).fit(rows[:, :4], rows[:, 4].astype(int))
        return float(model.score(self.test_features, self.test_labels))


def split_iris(directory: Path) -> IrisSplit:
    """30% held out, the rest split in two stratified halves, one file per site."""
    features, labels = load_iris(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(
        features, labels, test_size=0.3, stratify=labels, random_state=7
    )
    a_x, b_x, a_y, b_y = train_test_split(
        train_x, train_y, test_size=0.5, stratify=train_y, random_state=7
    )
    files = {}
    for site, (x, y) in zip(SITES, ((a_x, a_y), (b_x, b_y)), strict=True):
        path = directory / site / "rows.csv"
        path.parent.mkdir(parents=True)
        np.savetxt(path, np.column_stack([x, y]), delimiter=",", fmt="%g")
        files[site] = path
    return IrisSplit(files, test_x, test_y)


@dataclass
class FederationStack:
    """The deployed stack and what the test made for it."""

    stack: auto.Stack
    project: Path
    state: Path
    split: IrisSplit
    tls: dict[str, str]

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}


def _build_federation_image() -> None:
    """Built by its script every session: a second build comes from the layer cache."""
    done = subprocess.run(
        [str(REPO / "scripts" / "build-federation-images")],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"build-federation-images failed:\n{done.stderr}"


def _ours() -> list[Any]:
    client = docker.from_env()
    try:
        by_federation = client.containers.list(
            all=True, filters={"label": f"modelfleet/federation={FEDERATION}"}
        )
        serving = [
            c
            for site in SITES
            for c in client.containers.list(
                all=True,
                filters={"label": [f"modelfleet/location={site}", "managed-by=modelfleet"]},
            )
        ]
        return by_federation + serving
    finally:
        client.close()


@pytest.fixture(scope="module")
def federation_stack(
    tmp_path_factory: pytest.TempPathFactory,
    model_server_image: str,
) -> Iterator[FederationStack]:
    """`up` of local-federation with a CA and iris partitions made here; destroyed afterwards."""
    _build_federation_image()
    root = tmp_path_factory.mktemp("federation")
    project = root / "project"
    (project / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", f"stacks/Pulumi.{STACK}.yaml"):
        shutil.copy(REPO / name, project / name)
    split, tls = split_iris(root / "data"), make_superlink_tls()
    state = root / "state"
    state.mkdir()
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project), env_vars=engine_env(state, LOCAL_PASSPHRASE)
    )
    stack = auto.create_or_select_stack(
        stack_name=STACK, project_name="modelfleet", program=stack_program.run, opts=options
    )
    prefix = f"{NAMESPACE}:federations.{FEDERATION}"
    settings = {
        f"{prefix}.tls.ca": auto.ConfigValue(tls["ca"]),
        f"{prefix}.tls.cert": auto.ConfigValue(tls["cert"]),
        f"{prefix}.tls.key": auto.ConfigValue(tls["key"], secret=True),
    }
    for site, path in split.files.items():
        settings[f"{prefix}.sites.{site}.data"] = auto.ConfigValue(str(path))
    stack.set_all_config(settings, path=True)
    try:
        stack.up(on_output=print)
        yield FederationStack(stack, project, state, split, tls)
    finally:
        try:
            stack.destroy(on_output=print)
        finally:
            leftovers, networks = _remove_leftovers()
        assert not leftovers, f"destroy left containers: {leftovers}"
        assert not networks, "destroy left the federation's network"


def _remove_leftovers() -> tuple[list[str], list[str]]:
    """Remove what this module made, even after a failed destroy; say what was left."""
    leftovers = [c.name for c in _ours()]
    for container in _ours():
        container.remove(force=True)
    client = docker.from_env()
    try:
        networks = client.networks.list(names=[f"modelfleet-fed-{FEDERATION}"])
        for network in networks:
            network.remove()
        for image in client.images.list(name=NEW_IMAGE):
            client.images.remove(image.id, force=True)
        return leftovers, [str(network.name) for network in networks]
    finally:
        client.close()


def _container(name: str) -> Any:
    return docker.from_env().containers.get(name)


def test_each_site_reads_only_its_own_rows(federation_stack: FederationStack) -> None:
    # GIVEN the deployed SuperNodes, one per plant
    files = federation_stack.split.files
    for site, other in (SITES, tuple(reversed(SITES))):
        node = _container(f"modelfleet-fed-{FEDERATION}-{site}")
        # THEN its own rows are at the mount, byte for byte, read-only ...
        code, own = node.exec_run(["cat", DATA_MOUNT])
        assert code == 0, site
        assert own.decode() == files[site].read_text(), site
        code, _ = node.exec_run(["sh", "-c", f"echo x >> {DATA_MOUNT}"])
        assert code != 0, f"{site} could write to its rows"
        # ... and the other plant's file is nowhere it can read
        code, output = node.exec_run(["cat", str(files[other])])
        assert code != 0, f"{site} read {other}'s rows: {output[:80]!r}"
        mounts = [(m["Source"], m["RW"]) for m in node.attrs["Mounts"]]
        assert mounts == [(str(files[site]), False)], f"{site} mounts {mounts}"


def test_superlink_key_is_a_secret_in_state(federation_stack: FederationStack) -> None:
    # The checkpoint on disk: `stack export` from the Automation API shows secrets decrypted.
    files = list((federation_stack.state / ".pulumi" / "stacks").rglob("*.json"))
    state = "".join(path.read_text() for path in files)
    key_line = federation_stack.tls["key"].splitlines()[1]
    assert files, "no checkpoint in the state directory"
    assert key_line not in state, "the SuperLink's private key is in the state in plain text"
    assert "ciphertext" in state


def test_federate_three_rounds_then_roll_out(federation_stack: FederationStack) -> None:
    # WHEN `modelfleet federate` runs the federation and builds the next serving image
    code = runner.main(
        [
            "--stack", STACK, "--federation", FEDERATION, "--version", NEW_VERSION,
            "--project-dir", str(federation_stack.project),
            "--state-dir", str(federation_stack.state),
        ]
    )  # fmt: skip
    assert code == 0
    # AND the same stack rolls it out with `up`
    stack = federation_stack.stack
    stack.set_all_config(
        {
            f"{NAMESPACE}:models.iris-federated.image": auto.ConfigValue(NEW_IMAGE),
            f"{NAMESPACE}:models.iris-federated.version": auto.ConfigValue(NEW_VERSION),
        },
        path=True,
    )
    stack.up(on_output=print)
    # THEN every plant's host answers with the federated model, as accurate as central
    split = federation_stack.split
    central = split.central_accuracy()
    hosts = federation_stack.outputs()["host_urls"]["iris-federated"]
    for site in SITES:
        for url in hosts[site].values():
            answer = requests.post(
                url, json={"instances": split.test_features.tolist()}, timeout=10
            )
            assert answer.headers["X-Model-Version"] == NEW_VERSION, url
            predictions = np.array(answer.json()["predictions"])
            federated = float((predictions == split.test_labels).mean())
            print(f"{site}: federated {federated:.4f} central {central:.4f} on 45 held-out rows")
            assert federated >= central - ACCURACY_GAP, (url, federated, central)


def _runs_with_a_round(superlink: Any) -> set[str]:
    """Output folders of runs whose ServerApp has finished at least one round."""
    _, found = superlink.exec_run(["sh", "-c", "grep -l round /tmp/federation-out/*/rounds.json"])
    return {line for line in found.decode().splitlines() if line.startswith("/tmp/")}


def test_site_down_mid_training(federation_stack: FederationStack) -> None:
    target = EdgeTarget("hub-1", "frankfurt-hub", "unix:///var/run/docker.sock")
    superlink, lyon = _container(SUPERLINK), _container(f"modelfleet-fed-{FEDERATION}-lyon-plant")
    earlier_runs = _runs_with_a_round(superlink)
    # A long round timeout costs nothing here (a round ends once every listed site has
    # answered) and spares a busy machine's slow ClientApp start from being counted as down.
    settings = runner.RunSettings(
        rounds=3, sites=2, min_clients=1, local_epochs=20, round_timeout_s=300, wait_for_sites_s=10
    )

    # WHEN lyon stops once the ServerApp has aggregated round 1, and min_clients allows one
    def stop_after_round_one() -> None:
        for _ in range(1500):
            if _runs_with_a_round(superlink) - earlier_runs:
                lyon.stop(timeout=1)
                return
            threading.Event().wait(0.2)

    stopper = threading.Thread(target=stop_after_round_one)
    stopper.start()
    result = runner.run_federation(target, SUPERLINK, settings)
    stopper.join()
    # THEN all rounds complete: round 1 with both plants, the last with paris alone
    assert [r["round"] for r in result.rounds] == [1, 2, 3]
    assert result.rounds[0]["sites"] == 2, result.rounds
    assert result.rounds[-1]["sites"] == 1, result.rounds
    # AND when min_clients needs both, the run fails saying so
    strict = runner.RunSettings(
        rounds=1, sites=2, min_clients=2, local_epochs=20, round_timeout_s=20, wait_for_sites_s=10
    )
    with pytest.raises(runner.FederationRunError, match=r"min-clients is 2"):
        runner.run_federation(target, SUPERLINK, strict)
