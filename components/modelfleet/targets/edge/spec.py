"""The provider's view of one ``EdgeContainer``: its properties, read once, checked once.

Which inputs replace the container, which rebuild it, and which only change how it is
reached are decided here, as is where this process can reach its published port.
"""

import ipaddress
import socket
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet import contract
from modelfleet.errors import EdgeContainerError
from modelfleet.targets.edge.connect import EdgeTarget

REPLACE_KEYS = ("docker_host", "host", "model")
"""A different engine, host or model is a different container, not a new version of it."""
CONTAINER_KEYS = (
    "image",
    "version",
    "env",
    "secret_env",
    "cpu",
    "memory_mb",
    "gpus",
    "container_port",
    "host_port",
    "bind",
    "health_path",
    "labels",
    "location",
    "read_only",
    "privileged",
    "network_mode",
)
"""Baked into the container: changing one starts a new container beside the old."""
STATE_KEYS = ("tls", "registry_auth", "health_timeout_s", "invoke_path")
"""How the engine is reached or the container described: changing one restarts nothing."""
INPUT_KEYS = REPLACE_KEYS + CONTAINER_KEYS + STATE_KEYS

SERVING_NETWORKS = ("bridge", "modelfleet-serving")
"""Where published ports live; an update moves the port from one to the other."""
STAGING_NETWORK = "modelfleet-staging"
"""Internal, no inter-container traffic: where a new version loads and proves itself."""


@dataclass(frozen=True)
class Spec:
    """The provider's view of one resource's properties."""

    target: EdgeTarget
    tls: Mapping[str, str] | None
    registry_auth: Mapping[str, str] | None
    image: str
    model: str
    version: str
    container_port: int
    host_port: int
    bind: str
    invoke_path: str
    env: Mapping[str, str]
    secret_env: Mapping[str, str]
    cpu: float
    memory_mb: int
    gpus: int
    health_path: str
    health_timeout_s: float
    labels: Mapping[str, str]
    read_only: bool
    privileged: bool
    network_mode: str

    @classmethod
    def of(cls, props: Mapping[str, Any]) -> "Spec":
        # Resources created before these inputs existed carry none: the old constants.
        network_mode = str(props.get("network_mode") or "bridge")
        if network_mode != "bridge":
            raise EdgeContainerError(
                f"network_mode {network_mode!r} is not supported: an update hands the "
                "published port over between bridge networks"
            )
        return cls(
            target=EdgeTarget(props["host"], props["location"], props["docker_host"]),
            tls=props.get("tls") or None,
            registry_auth=props.get("registry_auth") or None,
            image=props["image"],
            model=props["model"],
            version=props["version"],
            container_port=int(props["container_port"]),
            host_port=int(props["host_port"]),
            bind=props["bind"],
            invoke_path=props["invoke_path"],
            env=dict(props.get("env") or {}),
            secret_env=dict(props.get("secret_env") or {}),
            cpu=float(props["cpu"]),
            memory_mb=int(props["memory_mb"]),
            # Absent in state written before GPUs were honoured, and whenever none are asked.
            gpus=int(props.get("gpus") or 0),
            health_path=props["health_path"],
            health_timeout_s=float(props["health_timeout_s"]),
            labels=dict(props["labels"]),
            read_only=props.get("read_only") is not False,
            privileged=props.get("privileged") is True,
            network_mode=network_mode,
        )

    @property
    def environment(self) -> dict[str, str]:
        """The container's whole environment: the contract's, written in one place."""
        return contract.container_env(self.model, self.version, self.env, self.secret_env)

    @property
    def secrets(self) -> list[str]:
        values = list(self.secret_env.values())
        values += [self.tls["key"]] if self.tls else []
        values += [self.registry_auth["password"]] if self.registry_auth else []
        return [value for value in values if value]

    def redact(self, text: str) -> str:
        """``text`` with every secret value replaced, for errors that quote engine or app output."""
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "***")
        return text

    def container_name(self, generation: int) -> str:
        # The generation tells old and new apart while both exist during an update.
        return f"modelfleet-{self.model}-{self.target.host}-{generation}"

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.bind)}:{self.host_port}{self.invoke_path}"

    @property
    def remote_engine(self) -> str | None:
        """The engine's host name when it runs on another machine; None when it runs on
        this one (unix:// has no host name), whose bridge networks route to us."""
        hostname = urllib.parse.urlsplit(self.target.docker_host).hostname
        return None if _is_local(hostname) else hostname

    @property
    def probe_host(self) -> str | None:
        """Where this process can reach the published port; None: probe inside the container."""
        remote = self.remote_engine
        address = ipaddress.ip_address(self.bind)
        if address.is_unspecified:
            return remote or ("::1" if address.version == 6 else "127.0.0.1")
        if address.is_loopback and remote is not None:
            return None
        return self.bind


def _url_host(bind: str) -> str:
    return f"[{bind}]" if ipaddress.ip_address(bind).version == 6 else bind


def _is_local(hostname: str | None) -> bool:
    if hostname in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return socket.gethostname() == hostname
