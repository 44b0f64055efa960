"""The path 0.1's state pickled the edge provider under: it must keep resolving.

A stack deployed by modelfleet 0.1 stores ``EdgeContainerProvider`` by reference to
this module; deleting or refreshing its containers unpickles it from here. The first
``up`` with this version stores the new path (:mod:`modelfleet.targets.edge.crud`).
"""

from modelfleet.errors import EdgeContainerError
from modelfleet.targets.edge.crud import EdgeContainerProvider
from modelfleet.targets.edge.resource import EdgeContainer, EdgeContainerArgs

__all__ = ["EdgeContainer", "EdgeContainerArgs", "EdgeContainerError", "EdgeContainerProvider"]
