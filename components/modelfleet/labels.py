"""The labels (tags) every modelfleet resource carries, in each target's spelling.

Policies read these to find a resource's model and location, but never trust them
alone where the real property (region, location) is visible.
"""

from modelfleet.args import ModelArgs

MANAGED_BY = {"managed-by": "modelfleet"}
RESIDENCY_SEPARATOR = "_"
"""Joins a residency list into one label value. Not a comma: Kubernetes label values and
AWS tag values allow only letters, digits and ``-_.`` (AWS also ``:/=+@`` and spaces)."""


def labels(model: ModelArgs, location: str, jurisdiction: str) -> dict[str, str]:
    """Kubernetes labels and Docker/AWS tags: keys like ``modelfleet/model``."""
    return {
        "modelfleet/model": model["name"],
        "modelfleet/version": model["version"],
        "modelfleet/location": location,
        "modelfleet/classification": model["data"]["classification"],
        "modelfleet/jurisdiction": jurisdiction,
        "modelfleet/residency": RESIDENCY_SEPARATOR.join(model["data"]["residency"]),
        **MANAGED_BY,
    }


def azure_tags(model: ModelArgs, location: str, jurisdiction: str) -> dict[str, str]:
    """Azure forbids ``/`` in tag names: the same labels with ``.`` instead."""
    return {
        key.replace("/", "."): value for key, value in labels(model, location, jurisdiction).items()
    }


def residency_from_label(value: str) -> list[str]:
    """The residency list a ``modelfleet/residency`` label carries (empty: none declared)."""
    return value.split(RESIDENCY_SEPARATOR) if value else []
