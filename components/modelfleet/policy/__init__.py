"""modelfleet's CrossGuard policy pack, importable without starting a policy server.

:mod:`modelfleet.policy.resources` reads the real properties of resources as the
engine hands them over; :mod:`modelfleet.policy.pack` lists the policies, whose checks
live in :mod:`~modelfleet.policy.cloud`, :mod:`~modelfleet.policy.kubernetes`,
:mod:`~modelfleet.policy.containers` and :mod:`~modelfleet.policy.labels`;
:mod:`modelfleet.policy.residency` judges placements with :mod:`modelfleet.rules` so that
``modelfleet plan`` and the pack agree; :mod:`modelfleet.policy.pack_config` reads policy
config files. ``policies/__main__.py`` only builds the ``PolicyPack`` from them.
"""
