"""The edge target: a model on the Docker engines of a site, rolled out host by host."""

from modelfleet.edge.container import EdgeContainer
from modelfleet.edge.endpoint import EdgeEndpoint

__all__ = ["EdgeContainer", "EdgeEndpoint"]
