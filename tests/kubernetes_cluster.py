"""One real Kubernetes control plane per test session, from ``scripts/start-kubernetes``.

``tests/conftest.py`` registers the fixture once for every tier (imported into two test
modules, it would be two fixtures and start two control planes). The fixture also puts the Pulumi engine and the pulumi-kubernetes provider first on PATH
(the engine finds provider plugins there), and stops every control-plane process at the
end of the session, even after a failure. Only 127.0.0.1 is ever contacted: the cluster's
pod and Service IPs are fake (kwok), so nothing may be sent to them.
"""

import base64
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 30


@dataclass(frozen=True)
class KubernetesCluster:
    """The API server as its admin, over HTTPS with the test CA and client certificate."""

    kubeconfig: str
    """The admin kubeconfig's contents (certificates inline): what a stack takes as a secret."""
    server: str
    session: requests.Session

    @classmethod
    def from_kubeconfig(cls, path: Path, pki_dir: Path) -> "KubernetesCluster":
        text = path.read_text()
        config = yaml.safe_load(text)
        cluster, user = config["clusters"][0]["cluster"], config["users"][0]["user"]
        files = {
            "ca.crt": cluster["certificate-authority-data"],
            "admin.crt": user["client-certificate-data"],
            "admin.key": user["client-key-data"],
        }
        for name, data in files.items():
            (pki_dir / name).write_bytes(base64.b64decode(data))
        session = requests.Session()
        # Not the environment's CA bundle (it would replace the test CA) nor its proxies.
        session.trust_env = False
        session.verify = str(pki_dir / "ca.crt")
        session.cert = (str(pki_dir / "admin.crt"), str(pki_dir / "admin.key"))
        return cls(kubeconfig=text, server=cluster["server"], session=session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.server + path, timeout=TIMEOUT_S, **kwargs)

    def get(self, path: str) -> dict[str, Any]:
        """The object (or list) at ``path``; fails the test when the server refuses."""
        response = self.request("GET", path)
        assert response.ok, f"GET {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body

    def exists(self, path: str) -> bool:
        response = self.request("GET", path)
        assert response.status_code in (200, 404), f"GET {path}: {response.text}"
        return response.status_code == 200

    def create(
        self, path: str, body: Mapping[str, Any], *, dry_run: bool = False
    ) -> requests.Response:
        """POST ``body`` to the collection at ``path`` (``dryRun=All``: validated, not stored)."""
        params = {"dryRun": "All"} if dry_run else {}
        return self.request("POST", path, json=body, params=params)

    def merge_patch(self, path: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Change fields by hand, as ``kubectl patch --type=merge`` would."""
        response = self.request(
            "PATCH",
            path,
            json=patch,
            headers={"Content-Type": "application/merge-patch+json"},
            params={"fieldManager": "kubectl-patch"},
        )
        assert response.ok, f"PATCH {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json()
        return body


def _last_line(script: str, env: Mapping[str, str]) -> str:
    """Run ``scripts/<script>`` and return the last line of its stdout (a path)."""
    done = subprocess.run(
        [str(REPO / "scripts" / script)], capture_output=True, text=True, env=dict(env), check=False
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/{script} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done.stdout.strip().splitlines()[-1]


def put_tools_on_path() -> None:
    """The engine and the pulumi-kubernetes provider first on PATH (built once if missing)."""
    for script in ("install-pulumi", "install-kubernetes-provider"):
        bin_dir = _last_line(script, os.environ)
        if bin_dir not in os.environ["PATH"].split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ["PATH"]])


@pytest.fixture(scope="session")
def kubernetes_cluster() -> Iterator[KubernetesCluster]:
    """A control plane on 127.0.0.1 with one fake kwok node, stopped after the session."""
    put_tools_on_path()
    with tempfile.TemporaryDirectory(prefix="modelfleet-kubernetes-") as state:
        env = {**os.environ, "MODELFLEET_KUBERNETES_DIR": state}
        try:
            kubeconfig = Path(_last_line("start-kubernetes", env))
            pki = Path(state) / "client"
            pki.mkdir()
            yield KubernetesCluster.from_kubeconfig(kubeconfig, pki)
        finally:
            subprocess.run([str(REPO / "scripts" / "stop-kubernetes")], env=env, check=False)
