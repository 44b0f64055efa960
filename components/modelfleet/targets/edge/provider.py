"""How an ``edge`` location is reached: no Pulumi provider, one Docker engine per host.

Every target builds its provider from the location the same way; an edge site has
none to build, because each ``EdgeContainer`` reaches its own host's engine
(:mod:`modelfleet.targets.edge.connect`) with the address and TLS in its inputs.
"""

import pulumi

from modelfleet.args import LocationArgs


def build(name: str, location: LocationArgs, opts: pulumi.ResourceOptions) -> None:
    """Nothing: the hosts' engines are reached by the containers themselves."""
    return
