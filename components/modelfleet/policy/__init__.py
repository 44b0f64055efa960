"""modelfleet's CrossGuard policy pack, importable without starting a policy server.

One module per concern declares its policies whole (name and description from
:mod:`modelfleet.rulebook`, enforcement level, config schema, check):
:mod:`~modelfleet.policy.residency` (placements, judged with :mod:`modelfleet.rules` so
``modelfleet plan`` and the pack agree), :mod:`~modelfleet.policy.sagemaker`,
:mod:`~modelfleet.policy.azure_ml`, :mod:`~modelfleet.policy.kubernetes`,
:mod:`~modelfleet.policy.images`, :mod:`~modelfleet.policy.edge` and
:mod:`~modelfleet.policy.labels`. They read resources through :mod:`modelfleet.policy.read`,
are declared with :mod:`modelfleet.policy.declare` and report through
:mod:`modelfleet.policy.findings`. :mod:`~modelfleet.policy.pack` only assembles them;
:mod:`~modelfleet.policy.pack_config` reads policy config files; ``policies/__main__.py``
only builds the ``PolicyPack``.
"""
