"""Rule checks on the treatment session itself: ingredient allergies in the formulation,
the interval since other toxin treatments (``last_toxin_administration``,
``is_first_toxin_treatment``), consent and its cooling-off (``required_cooling_off_hours``,
``current_consents``, ``treatment_moment``), and the planning warning for expected swelling.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from mesoclinic.safety.allergens import find_allergy_matches

from .facts import ConsentFacts, ScreeningRequest
from .rule import Finding, is_toxin_treatment

# Formulation -------------------------------------------------------------------------------


def _check_ingredient_allergy(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    formulation = request.formulation
    if questionnaire is None or formulation is None:
        return
    matches = find_allergy_matches(
        questionnaire.allergies,
        formulation.ingredients,
        request.config.allergen_group_members,
    )
    for match in matches:
        ingredient = match.ingredient
        via = f" (allergen group: {match.group.name})" if match.group else ""
        yield Finding(
            message=(
                f"The declared allergy '{match.declared}' matches {ingredient.name}{via} in "
                f"{formulation.name}. Do not use this formulation: choose one without "
                f"{ingredient.name}, or do not treat."
            ),
            details={
                "ingredient": ingredient.code,
                "ingredient_name": ingredient.name,
                "allergy": match.declared,
                "allergen_group": match.group.code if match.group else None,
                "formulation": formulation.code,
            },
        )


# Toxin history -----------------------------------------------------------------------------


def last_toxin_administration(request: ScreeningRequest) -> date | None:
    """Return the latest toxin administration on or before the screening date."""
    earlier = (day for day in request.client.toxin_administrations if day <= request.on)
    return max(earlier, default=None)


def is_first_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether this is a toxin treatment and the client has had no toxin before it."""
    return is_toxin_treatment(request) and last_toxin_administration(request) is None


def _check_toxin_interval(request: ScreeningRequest) -> Iterable[Finding]:
    interval = request.config.toxin_interval_days
    facts = request.client
    near = [
        (abs((day - request.on).days), day, "administration")
        for day in facts.toxin_administrations
        # One given after this date was second: its own screening carried the reason.
        if day <= request.on and (request.on - day).days < interval
    ] + [
        (abs((day - request.on).days), day, "booking")
        for day in facts.toxin_bookings
        if abs((day - request.on).days) < interval
    ]
    if not near:
        return
    last = last_toxin_administration(request)
    if last is not None and (request.on - last).days < interval:
        # The classic case keeps its wording: the last dose before this date.
        days = (request.on - last).days
        next_on = last + timedelta(days=interval)
        yield Finding(
            message=(
                f"The last toxin administration was on {last.isoformat()}, {days} days before "
                f"{request.on.isoformat()}; toxin needs at least {interval} days between "
                f"treatments. Rebook on or after {next_on.isoformat()}, or a clinician must "
                "record an override."
            ),
            details={
                "last_administered_on": last.isoformat(),
                "days_since": days,
                "interval_days": interval,
                "earliest_on": next_on.isoformat(),
            },
        )
        return
    days, other, kind = min(near)
    what = "toxin administration" if kind == "administration" else "toxin treatment booked"
    when = "before" if other <= request.on else "after"
    before_on = [d for _, d, _ in near if d <= request.on]
    after_on = [d for _, d, _ in near if d > request.on]
    earliest_on = max(before_on) + timedelta(days=interval) if before_on else None
    latest_on = min(after_on) - timedelta(days=interval) if after_on else None
    advice = []
    if latest_on is not None:
        advice.append(f"on or before {latest_on.isoformat()}")
    if earliest_on is not None or after_on:
        advice.append(
            f"on or after {(earliest_on or max(after_on) + timedelta(days=interval)).isoformat()}"
        )
    yield Finding(
        message=(
            f"There is a {what} on {other.isoformat()}, {days} days {when} "
            f"{request.on.isoformat()}; toxin needs at least {interval} days between "
            f"treatments. Choose a day {' or '.join(advice)}, or a clinician must record an "
            "override."
        ),
        details={
            "other_on": other.isoformat(),
            "other_kind": kind,
            "days_apart": days,
            "interval_days": interval,
            "earliest_on": (earliest_on or max(after_on) + timedelta(days=interval)).isoformat(),
            "latest_on": latest_on.isoformat() if latest_on else None,
        },
    )


# Consent -----------------------------------------------------------------------------------


def required_cooling_off_hours(request: ScreeningRequest) -> int:
    """Hours that must pass between signing consent and treatment."""
    config = request.config
    hours = request.treatment.cooling_off_hours
    base = config.cooling_off_hours if hours is None else hours
    if is_first_toxin_treatment(request):
        return max(base, config.first_toxin_cooling_off_hours)
    return base


def current_consents(request: ScreeningRequest) -> tuple[ConsentFacts, ...]:
    """Consents on file for this treatment at the current form version."""
    treatment = request.treatment
    version = treatment.consent_form_version
    return tuple(
        consent
        for consent in request.client.consents
        if consent.treatment_code == treatment.code
        and (version is None or consent.form_version == version)
    )


def treatment_moment(request: ScreeningRequest) -> datetime:
    """The moment of treatment: ``at``, or the start of ``on`` in UTC."""
    return request.at or datetime.combine(request.on, time.min, tzinfo=UTC)


def _check_consent(request: ScreeningRequest) -> Iterable[Finding]:
    if current_consents(request):
        return
    treatment = request.treatment
    version = treatment.consent_form_version
    version_text = f" at the current form version ({version})" if version else ""
    hours = required_cooling_off_hours(request)
    cooling_text = (
        f" It must be signed at least {hours} hours before treatment." if hours > 0 else ""
    )
    yield Finding(
        message=(
            f"There is no signed consent for {treatment.code}{version_text}. The client must "
            f"sign it before treatment.{cooling_text}"
        ),
        details={"form_version": version, "cooling_off_hours": hours},
    )


def _check_cooling_off(request: ScreeningRequest) -> Iterable[Finding]:
    consents = current_consents(request)
    hours = required_cooling_off_hours(request)
    if not consents or hours == 0:
        return
    signed_at = min(consent.signed_at for consent in consents)
    treatable_from = signed_at + timedelta(hours=hours)
    if treatment_moment(request) >= treatable_from:
        return
    yield Finding(
        message=(
            f"Consent was signed at {signed_at.isoformat()}, less than {hours} hours before "
            f"treatment. Treat no earlier than {treatable_from.isoformat()}."
        ),
        details={
            "signed_at": signed_at.isoformat(),
            "cooling_off_hours": hours,
            "treatable_from": treatable_from.isoformat(),
        },
    )


# Planning warnings -------------------------------------------------------------------------


def _check_swelling_expected(request: ScreeningRequest) -> Iterable[Finding]:
    weekday = calendar.day_name[request.on.weekday()]
    yield Finding(
        message=(
            f"Swelling is expected after {request.treatment.code}. Suggest a Friday "
            f"appointment so the client is back at work on Monday (booked for a {weekday})."
        ),
        details={"weekday": weekday, "suggested_weekday": "Friday"},
    )
