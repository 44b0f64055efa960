"""Where a federation may run: the aggregator and every site judged by the placement rules.

Model updates are derived from the training rows, so the aggregator is a processing
location of the model's data like any serving placement: :func:`modelfleet.rules.judge`
decides for it and for each site, the same function ``plan`` and the policy pack use.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from modelfleet.config import StackConfig
from modelfleet.federation.config import FederationSpec
from modelfleet.rules import PolicyConfig, judge

HEADER = ("federation", "model", "role", "location", "kind", "jurisdiction", "verdict")


@dataclass(frozen=True)
class FederationVerdict:
    """The verdict for one role (aggregator or a site) of one federation."""

    federation: str
    model: str
    role: str
    location: str
    kind: str
    jurisdiction: str
    refusals: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def reason(self) -> str:
        return "; ".join(self.refusals) if self.refusals else "allowed"

    @property
    def keys(self) -> tuple[str, ...]:
        """The config keys this verdict is about, for error paths."""
        return ("aggregator",) if self.role == "aggregator" else ("sites", self.location)


def plan_federation(
    name: str, spec: FederationSpec, stack: StackConfig, policy: PolicyConfig
) -> list[FederationVerdict]:
    """Aggregator first, then the sites in config order; references must be valid."""
    model = stack.models[spec.model]
    roles = [("aggregator", spec.aggregator)] + [("site", site) for site in spec.sites]
    verdicts = []
    for role, location_name in roles:
        v = judge(spec.model, model, location_name, stack.locations[location_name], policy)
        verdicts.append(
            FederationVerdict(
                name, spec.model, role, location_name, v.kind, v.jurisdiction, v.refusals
            )
        )
    return verdicts


def rows(verdicts: Sequence[FederationVerdict]) -> list[tuple[str, ...]]:
    """One row of :data:`HEADER` per verdict."""
    return [
        (
            v.federation,
            v.model,
            v.role,
            v.location,
            v.kind,
            v.jurisdiction,
            "allowed" if v.allowed else f"REFUSED: {v.reason}",
        )
        for v in verdicts
    ]


def federation_table(verdicts: list[FederationVerdict]) -> str:
    """The federation table ``plan`` prints beside the placement table."""
    table = [HEADER, *rows(verdicts)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER) - 1)]
    return "\n".join(
        "  ".join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in table
    )
