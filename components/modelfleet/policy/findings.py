"""How a policy reports: the violations it could decide, then one advisory note per preview
for what it could not read yet ("... unknown at preview; checked again at update").
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pulumi_policy import ReportViolation
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from modelfleet.policy.read.props import Unknown, render


class UnknownAtPreviewError(UnknownValueError):
    """What a policy could not check at preview; the engine reports it as advisory.

    The engine turns an ``UnknownValueError`` out of a policy into an advisory
    diagnostic carrying its ``message``, whatever the policy's enforcement level: the
    one way to say "not checked yet" without failing a preview.
    """

    def __init__(self, unknowns: Sequence[str]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.unknowns = list(unknowns)
        self.message = f"{'; '.join(self.unknowns)}: unknown at preview; checked again at update"


@dataclass
class Findings:
    """What one policy run found: violations it could decide, values it could not read."""

    violations: list[tuple[str, str | None]] = field(default_factory=list)
    unknowns: list[str] = field(default_factory=list)

    def violation(self, message: str, urn: str | None = None) -> None:
        self.violations.append((message, urn))

    def unknown(self, value: Unknown, resource: str) -> None:
        note = f"{value.path} of {resource}"
        if note not in self.unknowns:
            self.unknowns.append(note)


Args = TypeVar("Args")


def checked(
    check: Callable[[Args, Findings], None], subject: Callable[[Args], str]
) -> Callable[[Args, ReportViolation], None]:
    """A policy ``validate`` that reports what ``check`` found, then what it could not read."""

    def validate(args: Args, report_violation: ReportViolation) -> None:
        findings = Findings()
        try:
            check(args, findings)
        except UnknownAtPreviewError:
            raise
        except UnknownValueError as error:  # a value read without lookup()
            findings.unknown(Unknown(render(error.props)), subject(args))
        for message, urn in findings.violations:
            report_violation(message, urn)
        if findings.unknowns:
            raise UnknownAtPreviewError(findings.unknowns)

    return validate
