"""modelfleet's CrossGuard policy pack, importable without starting a policy server.

:mod:`modelfleet.policy.resources` reads the real properties of resources as the
engine hands them over; :mod:`modelfleet.policy.pack` holds the policies, which judge
placements with :mod:`modelfleet.rules` so that ``modelfleet plan`` and the pack agree.
``policies/__main__.py`` only builds the ``PolicyPack`` from them.
"""
