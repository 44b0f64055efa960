"""Former home of the edge target, kept importable for two reasons.

Stacks deployed by 0.1 hold the edge dynamic provider pickled by reference to
``modelfleet.edge.container.EdgeContainerProvider``; the engine unpickles it to
delete or refresh those containers, so that path must keep resolving. And imports
written for 0.1 (``from modelfleet.edge import EdgeEndpoint``) keep working. New code
imports ``from modelfleet import EdgeEndpoint``; the target lives in
:mod:`modelfleet.targets.edge`.
"""

from modelfleet.targets.edge.component import EdgeEndpoint
from modelfleet.targets.edge.resource import EdgeContainer

__all__ = ["EdgeContainer", "EdgeEndpoint"]
