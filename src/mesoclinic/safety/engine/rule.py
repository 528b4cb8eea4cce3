"""What a screening rule is: a ``Rule`` (reason code, severity, scope, source and check) and
the ``Finding`` its check yields, plus the scope predicates that decide which treatments a
rule covers (needle or toxin, no-needle, prescription-only, and the smaller scopes the
registry uses). The checks themselves live in the ``*_rules`` modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .facts import ScreeningRequest
from .output import DetailValue, Reason
from .vocabularies import ReasonCode, Severity


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule's check reports; the rule supplies code, source and default severity."""

    message: str
    details: Mapping[str, DetailValue] = field(default_factory=dict, hash=False)
    severity: Severity | None = None
    blocks_treatment: bool | None = None


Check = Callable[[ScreeningRequest], Iterable[Finding]]
Scope = Callable[[ScreeningRequest], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One screening rule: a reason code with its severity, scope, source and check.

    ``applies`` decides whether the treatment is in scope (described in words by
    ``scope``); ``check`` looks at the facts and yields findings. ``configurable`` marks
    rules whose parameters come from ``ScreeningConfig``.
    """

    code: ReasonCode
    severity: Severity
    scope: str
    source: str
    applies: Scope
    check: Check
    blocks_treatment: bool = False
    configurable: bool = False

    def evaluate(self, request: ScreeningRequest) -> tuple[Reason, ...]:
        """Run the rule: no reasons when out of scope, else one per finding."""
        if not self.applies(request):
            return ()
        return tuple(self._reason(finding) for finding in self.check(request))

    def _reason(self, finding: Finding) -> Reason:
        severity = finding.severity or self.severity
        blocks = finding.blocks_treatment
        if blocks is None:
            blocks = self.blocks_treatment
        return Reason(
            code=self.code,
            severity=severity,
            message=finding.message,
            source=self.source,
            blocks_treatment=blocks or severity is not Severity.WARN,
            details=MappingProxyType(dict(finding.details)),
        )


# Scopes ---------------------------------------------------------------------------------


def is_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether the treatment or the formulation contains botulinum toxin."""
    formulation = request.formulation
    return request.treatment.contains_toxin or (
        formulation is not None and formulation.contains_toxin
    )


def is_needle_or_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether injector rules apply: an injectable treatment, or any toxin treatment."""
    return request.treatment.needs_needle or is_toxin_treatment(request)


def is_no_needle_treatment(request: ScreeningRequest) -> bool:
    """Whether the treatment has no needle and no toxin (e.g. electroporation)."""
    return not is_needle_or_toxin_treatment(request)


def is_prescription_only_treatment(request: ScreeningRequest) -> bool:
    """Whether a prescription-only medicine is involved (flagged, or toxin)."""
    formulation = request.formulation
    return (
        request.treatment.requires_prescriber
        or (formulation is not None and formulation.prescription_only)
        or is_toxin_treatment(request)
    )


def _every_treatment(request: ScreeningRequest) -> bool:
    return True


def _is_electroporation(request: ScreeningRequest) -> bool:
    return request.treatment.electroporation


def _is_under_eye(request: ScreeningRequest) -> bool:
    return request.treatment.under_eye


def _is_swelling_expected(request: ScreeningRequest) -> bool:
    return request.treatment.swelling_expected


def _has_formulation(request: ScreeningRequest) -> bool:
    return request.formulation is not None


def _has_practitioner(request: ScreeningRequest) -> bool:
    return request.practitioner is not None


def _needle_or_toxin_with_practitioner(request: ScreeningRequest) -> bool:
    return _has_practitioner(request) and is_needle_or_toxin_treatment(request)


def _prescription_only_with_practitioner(request: ScreeningRequest) -> bool:
    return _has_practitioner(request) and is_prescription_only_treatment(request)
