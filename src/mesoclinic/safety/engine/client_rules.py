"""Rule checks on the client's own answers: age (``under_18``, with ``age_on`` and
``birthday_in_year``) and the health questionnaire (missing or stale questionnaire,
declared pregnancy, breastfeeding and conditions, anticoagulants, recent isotretinoin,
with ``subtract_months``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from mesoclinic.safety.medications import mentioned_terms

from .facts import ScreeningRequest
from .rule import Check, Finding
from .vocabularies import ADULT_AGE, Condition

# Client age --------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Return the age in whole years on ``on``.

    Someone born on 29 February becomes a year older on 1 March in common years (as in
    English law), because (3, 1) is not before (2, 29).
    """
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def birthday_in_year(birth_date: date, year: int) -> date:
    """Return the birthday in ``year``; 29 February falls on 1 March in common years."""
    if (birth_date.month, birth_date.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def _check_under_18(request: ScreeningRequest) -> Iterable[Finding]:
    age = age_on(request.client.birth_date, request.on)
    if age >= ADULT_AGE:
        return
    adult_on = birthday_in_year(
        request.client.birth_date, request.client.birth_date.year + ADULT_AGE
    )
    yield Finding(
        message=(
            f"The client is {age} on {request.on.isoformat()} and turns {ADULT_AGE} on "
            f"{adult_on.isoformat()}. Injectable and toxin treatments must not be booked or "
            "given to anyone under 18: do not book."
        ),
        details={"age": age, "adult_on": adult_on.isoformat()},
    )


def _check_under_18_no_needle(request: ScreeningRequest) -> Iterable[Finding]:
    severity = request.config.under_18_no_needle_severity
    age = age_on(request.client.birth_date, request.on)
    if severity is None or age >= ADULT_AGE:
        return
    yield Finding(
        message=(
            f"The client is {age} on {request.on.isoformat()}. A no-needle treatment for "
            "someone under 18 needs written consent from a parent or guardian, who should "
            "attend the appointment."
        ),
        details={"age": age},
        severity=severity,
    )


# Questionnaire -----------------------------------------------------------------------------


def _check_questionnaire_missing(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    validity = request.config.questionnaire_validity_days
    if questionnaire is None:
        yield Finding(
            message=(
                "There is no health questionnaire on file. Ask the client to complete one; "
                "screening cannot finish without it."
            ),
            details={"validity_days": validity},
        )
        return
    age_days = (request.on - questionnaire.answered_on).days
    if age_days > validity:
        yield Finding(
            message=(
                f"The latest health questionnaire was answered on "
                f"{questionnaire.answered_on.isoformat()}, {age_days} days before "
                f"{request.on.isoformat()}; it is valid for {validity} days. Ask the client "
                "to complete a new one."
            ),
            details={
                "answered_on": questionnaire.answered_on.isoformat(),
                "age_days": age_days,
                "validity_days": validity,
            },
        )


def _questionnaire_flag(attribute: str, description: str, advice: str) -> Check:
    def check(request: ScreeningRequest) -> Iterable[Finding]:
        questionnaire = request.questionnaire
        if questionnaire is not None and getattr(questionnaire, attribute):
            yield Finding(message=f"The client reports {description}. {advice}")

    return check


def _condition_check(condition: Condition, description: str, advice: str) -> Check:
    def check(request: ScreeningRequest) -> Iterable[Finding]:
        questionnaire = request.questionnaire
        if questionnaire is not None and questionnaire.has(condition):
            yield Finding(
                message=f"The client reports {description}. {advice}",
                details={"condition": condition.value},
            )

    return check


_OVERRIDE_ADVICE = (
    "A clinician must review this and record an override with a justification before proceeding."
)


def _check_anticoagulants(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    if questionnaire is None:
        return
    medicines = mentioned_terms(questionnaire.medications, request.config.anticoagulant_terms)
    declared = questionnaire.has(Condition.ANTICOAGULANTS)
    if not (declared or medicines):
        return
    listed = f" (listed: {', '.join(medicines)})" if medicines else ""
    yield Finding(
        message=(
            f"The client takes anticoagulant or antiplatelet medication{listed}, which raises "
            f"the risk of bruising and haematoma. {_OVERRIDE_ADVICE}"
        ),
        details={"declared": declared, "medications": medicines},
    )


def _check_isotretinoin(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    if questionnaire is None:
        return
    months = request.config.isotretinoin_lookback_months
    medicines = mentioned_terms(questionnaire.medications, request.config.isotretinoin_terms)
    declared = questionnaire.has(Condition.ISOTRETINOIN_RECENT)
    last_taken = questionnaire.isotretinoin_last_taken_on
    taken_recently = last_taken is not None and last_taken >= subtract_months(request.on, months)
    if not (declared or medicines or taken_recently):
        return
    yield Finding(
        message=(
            f"The client has taken isotretinoin in the last {months} months, which slows "
            f"skin healing and raises the risk of scarring. {_OVERRIDE_ADVICE}"
        ),
        details={
            "declared": declared,
            "medications": medicines,
            "last_taken_on": last_taken.isoformat() if last_taken else None,
            "lookback_months": months,
        },
    )


def subtract_months(day: date, months: int) -> date:
    """Return the same day ``months`` earlier, clamped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))
