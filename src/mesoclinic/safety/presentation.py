"""Words for screens: what each screening outcome means and what to do next per reason.

One vocabulary for the screening panel (client page and screening page): every reason gets
a label that matches the outcome it leads to (``Refused``, ``Missing information``,
``Needs a clinician's override``, ``Needs a prescriber``, ``Before treatment``, ``Note``),
a title and a next step, and its message with names instead of codes and local dates and
times in words instead of ISO strings. The engine stays pure and its messages (the API's)
unchanged; the wording is applied here, without Django.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

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


# --- Dates, times and names in words --------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """How a screen names things: ``names`` maps codes (practitioners, treatments,
    formulations) to their names; ``time_zone`` is the clinic's, for moments."""

    names: Mapping[str, str] = field(default_factory=dict)
    time_zone: dt.tzinfo = dt.UTC


def date_in_words(day: dt.date) -> str:
    """``Saturday 5 December 2026``."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def moment_in_words(moment: dt.datetime, time_zone: dt.tzinfo) -> str:
    """``Saturday 5 December 2026 at 18:14`` in ``time_zone`` (an aware ``moment``)."""
    local = moment.astimezone(time_zone)
    return f"{date_in_words(local.date())} at {local:%H:%M}"


_ISO = re.compile(
    r"\b(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:\d{2})?)?\b"
)


def _iso_in_words(match: re.Match[str], time_zone: dt.tzinfo) -> str:
    try:
        if match.group(2) is None:
            return date_in_words(dt.date.fromisoformat(match.group(1)))
        moment = dt.datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
    except ValueError:
        return match.group(0)
    if moment.tzinfo is None:
        return f"{date_in_words(moment.date())} at {moment:%H:%M}"
    return moment_in_words(moment, time_zone)


def in_words(text: str, wording: Wording) -> str:
    """``text`` with ISO dates and times in words and known codes replaced by names."""
    text = _ISO.sub(lambda match: _iso_in_words(match, wording.time_zone), text)
    for code, name in sorted(wording.names.items(), key=lambda item: -len(item[0])):
        if code and name and code != name:
            text = re.sub(rf"(?<![\w-]){re.escape(code)}(?![\w-])", name, text)
    return text


# --- Reasons ---------------------------------------------------------------------------------

SEVERITY_LABELS: dict[Severity, tuple[str, str]] = {
    Severity.REFUSE: ("Refused", "danger"),
    Severity.MISSING: ("Missing information", "caution"),
    Severity.OVERRIDE: ("Needs a clinician's override", "caution"),
    Severity.PRESCRIBER: ("Needs a prescriber", "caution"),
}
BEFORE_TREATMENT = ("Before treatment", "caution")
NOTE = ("Note", "note")


def reason_label(reason: Reason) -> tuple[str, str]:
    """A reason's label and tone, matching the outcome it leads to: a warning that must
    be resolved before treatment reads ``Before treatment``, any other ``Note``."""
    if reason.severity is Severity.WARN:
        return BEFORE_TREATMENT if reason.blocks_treatment else NOTE
    return SEVERITY_LABELS[reason.severity]


REASON_TEXT: dict[ReasonCode, tuple[str, str]] = {
    ReasonCode.UNDER_18: (
        "Under 18",
        "Do not book needle or toxin treatments; a no-needle treatment needs a parent's or "
        "guardian's written consent.",
    ),
    ReasonCode.PREGNANT: ("Pregnant", "Offer to rebook after pregnancy, with a new questionnaire."),
    ReasonCode.BREASTFEEDING: (
        "Breastfeeding",
        "Offer to rebook after breastfeeding, with a new questionnaire.",
    ),
    ReasonCode.INGREDIENT_ALLERGY: (
        "Allergy to an ingredient",
        "Choose a formulation without the ingredient, or do not treat.",
    ),
    ReasonCode.ACTIVE_INFECTION_AT_SITE: (
        "Infection at the treatment site",
        "Rebook once the infection has cleared.",
    ),
    ReasonCode.PRACTITIONER_NOT_QUALIFIED: (
        "Practitioner not qualified for this treatment",
        "Choose a practitioner of a profession allowed to give it.",
    ),
    ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED: (
        "Practitioner's qualification expired",
        "Choose another practitioner until it is renewed.",
    ),
    ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER: (
        "Neuromuscular disorder",
        "Do not give toxin; offer a treatment without it.",
    ),
    ReasonCode.PACEMAKER: (
        "Pacemaker or implanted device",
        "Do not use electroporation; offer another treatment.",
    ),
    ReasonCode.QUESTIONNAIRE_MISSING: (
        "Health questionnaire missing or out of date",
        "Record a new health questionnaire, then screen again.",
    ),
    ReasonCode.ANTICOAGULANTS: (
        "Blood thinners",
        "A doctor or nurse reviews the bruising risk and records an override, or does not treat.",
    ),
    ReasonCode.BLEEDING_DISORDER: (
        "Bleeding disorder",
        "A doctor or nurse reviews it and records an override, or does not treat.",
    ),
    ReasonCode.AUTOIMMUNE_DISEASE: (
        "Autoimmune disease",
        "A doctor or nurse reviews it and records an override, or does not treat.",
    ),
    ReasonCode.KELOID_HISTORY: (
        "History of keloid scarring",
        "A doctor or nurse reviews it and records an override, or does not treat.",
    ),
    ReasonCode.ISOTRETINOIN_RECENT: (
        "Isotretinoin taken recently",
        "A doctor or nurse reviews the healing risk and records an override, or rebooks "
        "after the look-back period.",
    ),
    ReasonCode.INSULIN_DEPENDENT_DIABETES: (
        "Insulin-dependent diabetes",
        "A doctor or nurse reviews it and records an override, or does not treat.",
    ),
    ReasonCode.ACTIVE_CANCER: (
        "Active cancer",
        "A doctor or nurse reviews it and records an override, or does not treat.",
    ),
    ReasonCode.TOXIN_INTERVAL: (
        "Too soon after the last toxin",
        "Rebook on or after the earliest date given, or a doctor or nurse records an override.",
    ),
    ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED: (
        "Prescription-only medicine without a prescription",
        "Book a face-to-face consultation with a prescriber and record the prescription.",
    ),
    ReasonCode.CONSENT_MISSING: (
        "Consent not signed",
        "Ask the client to sign the current consent form before treatment.",
    ),
    ReasonCode.COOLING_OFF: (
        "Consent signed too recently",
        "Treat no earlier than the time given, or move the appointment.",
    ),
    ReasonCode.PRONE_TO_UNDER_EYE_SWELLING: (
        "Prone to under-eye swelling",
        "Discuss the swelling risk and plan the dose with the client.",
    ),
    ReasonCode.SWELLING_EXPECTED: (
        "Swelling expected",
        "Suggest a Friday appointment so the swelling settles over the weekend.",
    ),
    ReasonCode.INSURANCE_EXPIRED: (
        "Practitioner's indemnity insurance expired",
        "Renew the insurance before treating, or choose another practitioner.",
    ),
}


def reason_title(code: str) -> str:
    """The title of a reason code (the code itself for one not known here)."""
    try:
        return REASON_TEXT[ReasonCode(code)][0]
    except (KeyError, ValueError):
        return code.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ReasonView:
    """A reason in words, with its label, title, next step and the action a screen offers."""

    reason: Reason
    action: str | None
    error: str = ""
    label: str = ""
    tone: str = ""
    title: str = ""
    message: str = ""
    next_step: str = ""

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
    overridden: tuple[ReasonView, ...] = ()

    @property
    def outcome(self) -> str:
        return self.result.outcome.value


ALLOWED_BUT_BEFORE_TREATMENT = (
    "May go ahead once each point marked “Before treatment” is resolved; discuss "
    "any notes with the client."
)


def reason_view(reason: Reason, *, wording: Wording | None = None, error: str = "") -> ReasonView:
    """One reason in words."""
    wording = wording or Wording()
    label, tone = reason_label(reason)
    title, next_step = REASON_TEXT.get(reason.code, (reason_title(reason.code), ""))
    return ReasonView(
        reason=reason,
        action=_ACTIONS.get(reason.code),
        error=error,
        label=label,
        tone=tone,
        title=title,
        message=in_words(reason.message, wording),
        next_step=next_step,
    )


def screening_view(
    result: ScreeningResult,
    *,
    errors: Mapping[str, str] | None = None,
    wording: Wording | None = None,
) -> ScreeningView:
    """Label a result's outcome and put each reason in words, with its next step, action
    and any form error."""
    title, next_step = OUTCOME_TEXT[result.outcome]
    if result.outcome is Outcome.ALLOWED_WITH_WARNINGS and any(
        reason.blocks_treatment for reason in result.reasons
    ):
        next_step = ALLOWED_BUT_BEFORE_TREATMENT
    errors = errors or {}
    reasons = tuple(
        reason_view(reason, wording=wording, error=errors.get(reason.code, ""))
        for reason in result.reasons
    )
    overridden = tuple(reason_view(reason, wording=wording) for reason in result.overridden)
    return ScreeningView(
        result=result, title=title, next_step=next_step, reasons=reasons, overridden=overridden
    )


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
