"""The inputs of an ``edge`` location: the only definition of them (config and component)."""

from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi

from modelfleet.model import ModelArgs


class TlsArgs(TypedDict):
    """Mutual TLS material for a tcp:// Docker host, PEM contents."""

    ca: pulumi.Input[str]
    """CA certificate of the daemon."""
    cert: pulumi.Input[str]
    """Client certificate."""
    key: pulumi.Input[str]
    """Client private key (pass a secret)."""


class EdgeHostArgs(TypedDict):
    """One Docker engine at an edge site."""

    name: str
    """Host name, a DNS label."""
    docker_host: str
    """unix:///path, ssh://user@host or tcp://host:port (tcp needs tls)."""
    wave: int
    """Rollout wave: every host of wave N+1 waits for all of wave N."""
    bind: str
    """Address published ports bind to."""
    port_offset: int
    """Added to the model's host port, for hosts sharing one engine."""
    tls: NotRequired[TlsArgs]
    """Mutual TLS for tcp:// hosts."""


class RegistryAuthArgs(TypedDict):
    """Credentials a location pulls the image with."""

    username: pulumi.Input[str]
    """Registry user."""
    password: pulumi.Input[str]
    """Registry password (pass a secret)."""


class EdgeRolloutArgs(TypedDict):
    """How an edge site takes a new version."""

    max_parallel: NotRequired[int]
    """Hosts of one wave that swap at once (default 16); lower it where a new image is
    pulled over a thin uplink the site's hosts share."""


class EdgeLocationArgs(TypedDict):
    """A site of Docker hosts."""

    name: str
    """Location name."""
    jurisdiction: str
    """Country the site is in (ISO 3166-1 alpha-2)."""
    hosts: Sequence[EdgeHostArgs]
    """The site's Docker engines."""
    registry: NotRequired[str]
    """Registry this location pulls the model image from, host[:port][/prefix] (its mirror);
    the image keeps its repository path and digest."""
    registry_auth: NotRequired[RegistryAuthArgs]
    """Pull credentials, when the image is not on the hosts already."""
    health_timeout_s: NotRequired[float]
    """How long a new container may take to answer its health path."""
    rollout: NotRequired[EdgeRolloutArgs]
    """How many hosts of a wave swap at once."""


class EdgeEndpointArgs(TypedDict):
    """Args of :class:`modelfleet.EdgeEndpoint`."""

    model: ModelArgs
    """The model to serve."""
    location: EdgeLocationArgs
    """The site and its hosts."""
