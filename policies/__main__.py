"""modelfleet's policy pack: builds the ``PolicyPack`` and nothing else.

Constructing a ``PolicyPack`` starts the policy server and blocks, so the policies
live in :mod:`modelfleet.policy.pack`, where tests import them; never import this.
"""

from pulumi_policy import PolicyPack

from modelfleet.policy.pack import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=[*POLICIES])
