"""Who may give a treatment on a day: the screening engine's practitioner rules (profession,
scope, registration), applied without a client. Booking, availability and the access
rules of :mod:`mesoclinic.people.roles` (writing a record, recording an override) ask here."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from mesoclinic.catalogue.models import Formulation, RegulatoryClass, Treatment
from mesoclinic.people.models import Practitioner
from mesoclinic.safety import engine
from mesoclinic.safety.facts import practitioner_facts
from mesoclinic.safety.policy import screening_config

_QUALIFICATION_CODES = frozenset(
    {
        engine.ReasonCode.PRACTITIONER_NOT_QUALIFIED,
        engine.ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED,
    }
)
_QUALIFICATION_RULES = tuple(rule for rule in engine.RULES if rule.code in _QUALIFICATION_CODES)
_ANCIENT_BIRTH_DATE = dt.date(1900, 1, 1)


# --- Qualification --------------------------------------------------------------------------


def _qualified_on(
    practitioner: engine.PractitionerFacts,
    treatment: engine.TreatmentFacts,
    formulation: engine.FormulationFacts | None,
    config: engine.ScreeningConfig,
    day: dt.date,
) -> bool:
    request = engine.ScreeningRequest(
        on=day,
        client=engine.ClientFacts(birth_date=_ANCIENT_BIRTH_DATE),
        treatment=treatment,
        formulation=formulation,
        practitioner=practitioner,
        config=config,
    )
    return not any(rule.evaluate(request) for rule in _QUALIFICATION_RULES)


def treatment_facts(
    treatment: Treatment, formulation: Formulation | None
) -> tuple[engine.TreatmentFacts, engine.FormulationFacts | None]:
    """The engine's view of a treatment and the formulation given (or its default)."""
    treatment_view = engine.TreatmentFacts(
        code=treatment.code,
        needs_needle=treatment.needs_needle,
        requires_prescriber=treatment.requires_prescriber,
        contains_toxin=treatment.contains_toxin,
        areas=tuple(str(area) for area in treatment.areas or ()),
        swelling_expected=treatment.swelling_expected,
        consultation=treatment.is_consultation,
    )
    formulation = formulation or treatment.default_formulation
    if formulation is None:
        return treatment_view, None
    formulation_view = engine.FormulationFacts(
        code=formulation.code,
        name=formulation.name,
        contains_toxin=formulation.contains_toxin,
        prescription_only=formulation.contains_toxin
        or formulation.regulatory_class == RegulatoryClass.POM,
    )
    return treatment_view, formulation_view


def qualified_practitioners(
    practitioners: Iterable[Practitioner],
    *,
    treatment: Treatment,
    date_from: dt.date,
    date_to: dt.date,
    formulation: Formulation | None = None,
) -> list[tuple[Practitioner, dt.date]]:
    """The practitioners who may give ``treatment`` on ``date_from``, each with the last
    day in ``[date_from, date_to]`` up to which they may (every day from ``date_from``).

    Uses the safety engine's practitioner rules. Qualification can only be lost over time
    (credentials expire), so a binary search over the window finds the last day.
    """
    candidates = list(practitioners)
    if not candidates:
        return []
    treatment_view, formulation_view = treatment_facts(treatment, formulation)
    config = screening_config()
    found = []
    for practitioner in candidates:
        facts = practitioner_facts(practitioner=practitioner)
        qualified = functools.partial(
            _qualified_on, facts, treatment_view, formulation_view, config
        )
        if qualified(date_from):
            found.append((practitioner, _last_qualified_day(qualified, date_from, date_to)))
    return found


def _last_qualified_day(
    qualified: Callable[[dt.date], bool], date_from: dt.date, date_to: dt.date
) -> dt.date:
    """The last day up to which ``qualified`` holds, given that it holds on ``date_from``."""
    if qualified(date_to):
        return date_to
    low, high = 0, (date_to - date_from).days  # qualified at low, not at high
    while high - low > 1:
        middle = (low + high) // 2
        if qualified(date_from + dt.timedelta(days=middle)):
            low = middle
        else:
            high = middle
    return date_from + dt.timedelta(days=low)


def practitioner_qualified(
    *,
    practitioner: Practitioner,
    treatment: Treatment,
    on: dt.date,
    formulation: Formulation | None = None,
) -> bool:
    """Whether ``practitioner`` may give ``treatment`` (with ``formulation``) on ``on``."""
    treatment_view, formulation_view = treatment_facts(treatment, formulation)
    return _qualified_on(
        practitioner_facts(practitioner=practitioner),
        treatment_view,
        formulation_view,
        screening_config(),
        on,
    )
