"""Words for screens: what each screening outcome means and what to do next per reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mesoclinic.safety.engine import Outcome, Reason, ReasonCode, ScreeningResult, Severity

OUTCOME_TEXT: dict[Outcome, tuple[str, str]] = {
    Outcome.REFUSED: ("Refused", "Do not book or treat. Refusals cannot be overridden."),
    Outcome.INCOMPLETE: (
        "Incomplete",
        "Information is missing: complete it, then screen again.",
    ),
    Outcome.NEEDS_OVERRIDE: (
        "Needs a clinician's override",
        "A doctor or nurse must review each reason below and record an override with a "
        "justification before treatment.",
    ),
    Outcome.NEEDS_PRESCRIBER: (
        "Needs a prescriber",
        "Book a face-to-face consultation with a prescriber and record the prescription.",
    ),
    Outcome.ALLOWED_WITH_WARNINGS: (
        "Allowed, with warnings",
        "May go ahead: discuss the warnings with the client and plan for them.",
    ),
    Outcome.ALLOWED: ("Allowed", "Nothing found: the treatment may go ahead."),
}

_ACTIONS: dict[str, str] = {
    ReasonCode.QUESTIONNAIRE_MISSING: "questionnaire",
    ReasonCode.CONSENT_MISSING: "consent",
    ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED: "prescription",
}


@dataclass(frozen=True)
class ReasonView:
    """A reason with the action a screen offers for it."""

    reason: Reason
    action: str | None
    error: str = ""

    @property
    def overridable(self) -> bool:
        return self.reason.severity is Severity.OVERRIDE

    @property
    def refusal(self) -> bool:
        return self.reason.severity is Severity.REFUSE


@dataclass(frozen=True)
class ScreeningView:
    """A screening result ready for a template."""

    result: ScreeningResult
    title: str
    next_step: str
    reasons: tuple[ReasonView, ...]

    @property
    def outcome(self) -> str:
        return self.result.outcome.value


def screening_view(
    result: ScreeningResult, *, errors: Mapping[str, str] | None = None
) -> ScreeningView:
    """Label a result's outcome and attach a next action (and any form error) to each reason."""
    title, next_step = OUTCOME_TEXT[result.outcome]
    errors = errors or {}
    reasons = tuple(
        ReasonView(
            reason=reason, action=_ACTIONS.get(reason.code), error=errors.get(reason.code, "")
        )
        for reason in result.reasons
    )
    return ScreeningView(result=result, title=title, next_step=next_step, reasons=reasons)
