"""The stack program: config in, one ModelEndpoint per placed model, exports out.

Kept in the package (``__main__.py`` only calls it) so an Automation API inline
program and the project's own ``pulumi up`` run exactly the same code.
"""

import gc

import pulumi
from pulumi.runtime.config import is_config_secret

from modelfleet.endpoint import ModelEndpoint
from modelfleet.federation import program as federation_program
from modelfleet.federation import validate as federation_validate
from modelfleet.stack_args import endpoint_args
from modelfleet.stackfile import (
    NAMESPACE,
    OPTIONAL_SECTIONS,
    PLAINTEXT_OPT_IN,
    SECTIONS,
    ConfigError,
    parse,
)

COLLECTOR_THRESHOLDS = (50_000, 20, 100)
"""Young-generation allocations between cyclic collections, then the older generations' ratios.

Python's defaults (700, 10, 10) suit short-lived objects; registering a resource keeps
an Output, futures and asyncio tasks per input alive until the engine answers, so at
the defaults the collector walks the same live objects again every few hundred
allocations: 40-50% of a large program's time (BENCHMARKS.md). Collection still
runs, just less often; peak memory barely moves.
"""


def collect_less_often() -> None:
    """Raise the collector's thresholds for a process that runs the program.

    Called where modelfleet owns the process (``__main__.py``, the Automation API
    runner); :func:`run` leaves it alone, since another project's process is its own.
    """
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def run() -> None:
    """Validate the stack's ``modelfleet`` config, build the endpoints and federations,
    export what people need."""
    config = pulumi.Config(NAMESPACE)
    keys = (*SECTIONS, *OPTIONAL_SECTIONS)
    sections = {key: value for key in keys if (value := config.get_object(key)) is not None}
    if config.get_bool(PLAINTEXT_OPT_IN):
        sections[PLAINTEXT_OPT_IN] = True
    # The engine decrypts secrets for the program, but says which keys hold one: a
    # secret-typed value in a section that holds none was set without --secret.
    held = [key for key in keys if is_config_secret(f"{NAMESPACE}:{key}")]
    federations = sections.get("federations")
    try:
        stack = parse(sections, secret_sections=held, stack=pulumi.get_stack())
        # Federations outside their model's residency are refused before any resource.
        refused = federation_validate.validate(federations, stack) if federations else []
        if refused:
            raise ConfigError(refused)
    except ConfigError as exc:
        raise pulumi.RunError(str(exc)) from None
    endpoints = {model: ModelEndpoint(model, args) for model, args in endpoint_args(stack).items()}
    pulumi.export("urls", {model: e.urls for model, e in endpoints.items()})
    pulumi.export("host_urls", {model: e.host_urls for model, e in endpoints.items()})
    pulumi.export("endpoint_names", {model: e.endpoint_names for model, e in endpoints.items()})
    pulumi.export(
        "placements",
        pulumi.Output.all(*(e.placements for e in endpoints.values())).apply(
            lambda tables: [row for table in tables for row in table]
        ),
    )
    if federations:
        federation_program.run(stack, federations)
