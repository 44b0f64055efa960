"""Former home of the edge Docker clients, kept so imports written for 0.1 keep working."""

from modelfleet.errors import EdgeHostError
from modelfleet.targets.edge.connect import EdgeTarget, docker_client

__all__ = ["EdgeHostError", "EdgeTarget", "docker_client"]
