"""modelfleet's Pulumi program: everything lives in :mod:`modelfleet.program`."""

from modelfleet.program import collect_less_often, run

collect_less_often()
run()
