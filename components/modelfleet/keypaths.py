"""Key paths as ``modelfleet validate`` prints them: ``modelfleet:locations.x.hosts[1].tls``.

Every check names the key that is wrong, never its parent, so these are the only
spelling of a path; a target's checks and the stack file parser both use them.
"""

import json

NAMESPACE = "modelfleet"


def segment(key: object) -> str:
    """A key as written in a path; quoted when it holds anything a path or a line cannot."""
    text = str(key)
    if text and text.isprintable() and not any(c in text for c in ".[] "):
        return text
    return json.dumps(text)


def model_key(model: str, key: str = "") -> str:
    """``modelfleet:models.<model>.<key>``."""
    return f"{NAMESPACE}:models.{segment(model)}" + (f".{key}" if key else "")


def location_key(location: str, key: str = "") -> str:
    """``modelfleet:locations.<location>.<key>``."""
    return f"{NAMESPACE}:locations.{segment(location)}" + (f".{key}" if key else "")
