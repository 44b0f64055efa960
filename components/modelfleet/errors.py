"""Every error modelfleet raises for a user's mistake, under one base class.

A caller catches :class:`ModelfleetError` to tell "the stack or the arguments are wrong"
(a message to show, no traceback) from a bug. Each target keeps its own subclass, so a
message can say which cloud or engine refused what.
"""

from collections.abc import Sequence
from dataclasses import dataclass


class ModelfleetError(Exception):
    """Base of every error modelfleet raises on purpose."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a stack config: where it is (a key path) and what is wrong."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ConfigError(ModelfleetError):
    """A stack config that must not reach a provider; carries every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        super().__init__("invalid modelfleet config:\n" + "\n".join(f"  {i}" for i in self.issues))


class UnsupportedLocationKindError(ModelfleetError, ValueError):
    """A placement on a kind whose target this version of modelfleet cannot deploy."""


class SageMakerConfigError(ModelfleetError, ValueError):
    """A model or location SageMaker cannot serve as given; the message says what to change."""


class AzureMLConfigError(ModelfleetError, ValueError):
    """A model or location Azure ML cannot serve as given; the message says what to change."""


class KubernetesConfigError(ModelfleetError, ValueError):
    """A model or location a Kubernetes cluster cannot serve as given."""


class EdgeConfigError(ModelfleetError, ValueError):
    """A model or edge site the edge target cannot serve as given."""


class EdgeHostError(ModelfleetError, RuntimeError):
    """An edge host's Docker engine could not be reached, or refused what was asked."""


class EdgeContainerError(ModelfleetError, RuntimeError):
    """A container did not start or turn healthy; the message carries its first and last log lines."""


def refuse(error: type[ModelfleetError], issues: Sequence[ConfigIssue]) -> None:
    """Raise ``error`` listing ``issues`` (one per line), if there are any.

    How a target component refuses what its ``checks`` found: the same key paths and
    words ``modelfleet validate`` prints.
    """
    if issues:
        raise error("; ".join(str(issue) for issue in issues))
