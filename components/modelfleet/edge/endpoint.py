"""Former home of ``EdgeEndpoint``, kept so imports written for 0.1 keep working."""

from modelfleet.targets.edge.component import RESOURCE_TYPE, EdgeEndpoint
from modelfleet.targets.edge.plan import container_args, waves

__all__ = ["RESOURCE_TYPE", "EdgeEndpoint", "container_args", "waves"]
