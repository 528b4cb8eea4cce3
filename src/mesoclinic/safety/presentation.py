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


FRONT_DESK_NEXT_STEP: dict[Outcome, str] = {
    Outcome.REFUSED: "This treatment cannot be booked for this client. A practitioner can "
    "talk the client through other options.",
    Outcome.INCOMPLETE: "Something is missing before this can be booked: ask the client to "
    "complete their health questions and consent, or ask a practitioner.",
    Outcome.NEEDS_OVERRIDE: "A practitioner must review this client before the treatment "
    "can go ahead: book it only after they have.",
    Outcome.NEEDS_PRESCRIBER: "Book a face-to-face consultation with a prescriber first.",
    Outcome.ALLOWED_WITH_WARNINGS: "This can be booked; the practitioner will go through a "
    "few points with the client on the day.",
    Outcome.ALLOWED: "This can be booked.",
}


def next_step_for(outcome: str) -> str:
    """The plain next step for an outcome code, in words for the front desk."""
    return FRONT_DESK_NEXT_STEP[Outcome(outcome)]


def screening_for_front_desk(screening: Mapping[str, object]) -> dict[str, object]:
    """A screening answer without its clinical content (for a role without clinical
    access): the outcome and a plain next step, no reasons."""
    outcome = str(screening["outcome"])
    return {"outcome": outcome, "next_step": next_step_for(outcome), "reasons": []}


def front_desk_view(view: ScreeningView) -> ScreeningView:
    """A screening view without reasons, with the front desk's next step."""
    return ScreeningView(
        result=ScreeningResult(outcome=view.result.outcome, reasons=(), overridden=()),
        title=view.title,
        next_step=next_step_for(view.outcome),
        reasons=(),
    )
