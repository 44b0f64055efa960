"""Entrypoint of the federation image: one image, three roles.

``superlink``  the aggregator: Flower's SuperLink over HTTPS on ``PORT`` (default 9093).
``supernode``  a site: Flower's SuperNode, reading rows only from ``DATA_PATH``.
``run``        inside the SuperLink's container: ``flwr run`` of the app against it.

TLS material arrives as PEM text in the environment (``FEDERATION_CA``,
``FEDERATION_CERT``, ``FEDERATION_KEY``) because the root file system is read-only:
it is written to the /tmp tmpfs, readable by this user only, and never to an image layer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TLS_DIR = Path("/tmp/tls")  # noqa: S108 - the container's own tmpfs
APP_DIR = "/opt/fedapp"


def _tls_file(variable: str, name: str) -> str:
    text = os.environ.get(variable)
    if not text:
        sys.exit(f"federation: {variable} is not set (PEM text expected)")
    TLS_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = TLS_DIR / name
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


def superlink() -> list[str]:
    return [
        "flower-superlink",
        "--ssl-ca-certfile", _tls_file("FEDERATION_CA", "ca.pem"),
        "--ssl-certfile", _tls_file("FEDERATION_CERT", "server.pem"),
        "--ssl-keyfile", _tls_file("FEDERATION_KEY", "server.key"),
        "--host", "0.0.0.0",  # noqa: S104 - inside the container; published per config
        "--port", os.environ.get("PORT", "9093"),
        "--disable-runtime-dependency-installation",
    ]  # fmt: skip


def supernode() -> list[str]:
    data_path = os.environ.get("DATA_PATH", "/data/train.csv")
    return [
        "flower-supernode",
        "--root-certificates", _tls_file("FEDERATION_CA", "ca.pem"),
        "--superlink", os.environ["SUPERLINK"],
        "--node-config", f'data-path="{data_path}"',
    ]  # fmt: skip


def run(overrides: list[str]) -> list[str]:
    """``flwr run`` against this container's own SuperLink, streaming its log."""
    home = Path(os.environ.get("FLWR_HOME", "/tmp/flwr"))  # noqa: S108
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[superlink]\ndefault = "local"\n\n[superlink.local]\n'
        f'address = "127.0.0.1:{os.environ.get("PORT", "9093")}"\n'
        f'root-certificates = "{TLS_DIR / "ca.pem"}"\n'
    )
    config = [arg for pair in overrides for arg in ("--run-config", pair)]
    return ["flwr", "run", APP_DIR, "local", "--stream", *config]


def main() -> None:
    role, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    roles = {"superlink": superlink, "supernode": supernode}
    if role == "run":
        command = run(rest)
    elif role in roles:
        command = roles[role]()
    else:
        sys.exit("usage: federation_entry.py superlink | supernode | run [KEY=VALUE ...]")
    os.execvp(command[0], command)  # noqa: S606 - the role's own program replaces us


if __name__ == "__main__":
    main()
