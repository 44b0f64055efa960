"""The model every federation unit test trains: confidential iris data that stays in the EU."""

from typing import Any

IRIS: dict[str, Any] = {
    "version": "1.0.0",
    "image": "modelfleet/model-server:dev",
    "data": {"classification": "confidential", "residency": ["EU"]},
}
"""``modelfleet:models.iris`` as the federation tests' stacks declare it."""
