"""Image references, and where a placement pulls its model's image from.

A model names one image; a location may name a registry it can reach (its mirror). The
image a placement runs is the model's repository path, under that registry, with the
same digest: the digest is what runs, the registry only where it comes from.

The grammar is Distribution's (``reference/regexp.go``): ``[host[:port]/]path[:tag][@digest]``,
a host being the first component when it holds a ``.`` or ``:`` or is ``localhost``.
"""

import ipaddress
import re
from dataclasses import dataclass, replace

from modelfleet import rulebook

DOCKER_HUB = "docker.io"
"""Where an image without a registry host comes from, as Docker reads it."""

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = rf"{_COMPONENT}(?:/{_COMPONENT})*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"sha256:[a-f0-9]{64}"
_REFERENCE = re.compile(
    rf"^(?P<name>[^:@]+(?::[0-9]{{1,5}}/[^:@]+)?)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_REGISTRY = re.compile(rf"^(?P<host>{_HOST})(?:/(?P<prefix>{_PATH}))?$")


def _is_host(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


@dataclass(frozen=True)
class Registry:
    """A registry a location pulls from: ``host[:port]`` and an optional path prefix.

    Example
    -------
    >>> Registry.parse("111122223333.dkr.ecr.eu-central-1.amazonaws.com/ml").prefix
    'ml'
    """

    host: str
    prefix: str = ""

    @classmethod
    def parse(cls, text: str) -> "Registry":
        """``ValueError`` naming the expected shape when ``text`` is no registry."""
        match = _REGISTRY.match(text)
        if match is None or not _is_host(match["host"]):
            raise ValueError(rulebook.LOCATION_REGISTRY.text(registry=text))
        return cls(match["host"], match["prefix"] or "")

    @property
    def hostname(self) -> str:
        """The host without its port."""
        return self.host.partition(":")[0]

    @property
    def is_loopback(self) -> bool:
        """On this machine: Docker allows plain HTTP here, and so does the copy."""
        if self.hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.hostname).is_loopback
        except ValueError:
            return False

    def __str__(self) -> str:
        return f"{self.host}/{self.prefix}" if self.prefix else self.host


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference.

    Example
    -------
    >>> ref = ImageRef.parse("registry.example.com/ml/fraud-scorer@sha256:" + "a" * 64)
    >>> str(ref.under(Registry.parse("harbor.munich.example/ml")))[:42]
    'harbor.munich.example/ml/fraud-scorer@sha2'
    """

    host: str
    """Registry host[:port]; ``docker.io`` when the reference names none."""
    repository: str
    """Path inside the registry (``library/`` added for Docker Hub's official images)."""
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> "ImageRef":
        """``ValueError`` naming the expected shape when ``text`` is no image reference."""
        match = _REFERENCE.match(text)
        name = match["name"] if match else ""
        first, _, rest = name.partition("/")
        host, path = (first, rest) if rest and _is_host(first) else (DOCKER_HUB, name)
        valid_host = host == DOCKER_HUB or _REGISTRY.match(host) is not None
        if match is None or not valid_host or not re.fullmatch(_PATH, path):
            raise ValueError(rulebook.IMAGE_REFERENCE.at(repr(text)))
        if host == DOCKER_HUB and "/" not in path:
            path = f"library/{path}"
        return cls(host, path, match["tag"], match["digest"])

    @property
    def pinned(self) -> bool:
        return self.digest is not None

    @property
    def name(self) -> str:
        """``host/repository``: the repository without tag or digest."""
        return f"{self.host}/{self.repository}"

    def under(self, registry: Registry) -> "ImageRef":
        """The same image under ``registry``: its prefix, then the model's repository path.

        The prefix is not repeated when the path already starts with it, so
        ``ml/fraud-scorer`` under ``harbor.munich.example/ml`` is
        ``harbor.munich.example/ml/fraud-scorer``.
        """
        path = self.repository
        if registry.prefix and not (path + "/").startswith(registry.prefix + "/"):
            path = f"{registry.prefix}/{path}"
        return replace(self, host=registry.host, repository=path)

    def __str__(self) -> str:
        # A digest alone: the tag says nothing more, and some tools refuse both together.
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag}" if self.tag else self.name


def resolve(image: str, registry: str | None) -> str:
    """The image a placement runs: ``image`` under the location's ``registry``, same digest.

    Without a registry the model's image is used as written.
    """
    if registry is None:
        return image
    return str(ImageRef.parse(image).under(Registry.parse(registry)))
