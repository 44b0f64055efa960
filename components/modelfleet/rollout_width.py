"""How wide the Pulumi engine must run for a stack's edge hosts to swap as their sites allow.

The engine runs at most ``--parallel`` resource operations at once (four per CPU unless
told: 8 on two cores), and an edge container holds one of them for its whole swap. So
the per-site ``rollout.max_parallel`` only takes effect when the engine's limit leaves
room for every site's swaps beside the rest of the stack's operations.
"""

from collections import Counter
from typing import NamedTuple

from modelfleet.config import EdgeLocation, StackConfig
from modelfleet.stack_args import location_args
from modelfleet.targets.edge.plan import swap_width

ENGINE_PARALLEL = 8
"""The engine's default ``--parallel`` on the two-core machines modelfleet is tested on;
also what the other operations of a stack keep while edge containers swap."""


class RolloutWidth(NamedTuple):
    """Edge containers that may swap at once, and the ``--parallel`` that lets them."""

    swaps: int
    parallel: int


def rollout_width(config: StackConfig) -> RolloutWidth:
    """Each edge site's largest wave once per model placed there, at most the site's
    ``max_parallel``, summed; the engine's ``--parallel`` is that on top of 8."""
    models = Counter(name for names in config.placements.values() for name in set(names))
    swaps = sum(
        swap_width(location_args(name, location, secret=lambda value: value)["edge"], count)
        for name, count in models.items()
        if isinstance(location := config.locations[name], EdgeLocation)
    )
    return RolloutWidth(swaps, ENGINE_PARALLEL + swaps)
