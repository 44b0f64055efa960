"""modelfleet's Pulumi program: everything lives in :mod:`modelfleet.program`."""

from modelfleet.program import run

run()
