"""A consultation is not a treatment: only who holds it is screened, and it is held by a
current prescriber (pure engine)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from mesoclinic.safety.engine import (
    ClientFacts,
    Condition,
    Outcome,
    PractitionerFacts,
    Profession,
    QuestionnaireFacts,
    ReasonCode,
    ScreeningRequest,
    TreatmentFacts,
    screen,
)

pytestmark = pytest.mark.pure

ON = date(2027, 3, 5)
CONSULTATION = TreatmentFacts(
    "consultation", needs_needle=False, requires_prescriber=True, consultation=True
)
PRESCRIBER = PractitionerFacts(
    code="dr-patel",
    profession=Profession.DOCTOR,
    registration_expires_on=date(2030, 1, 1),
    prescriber_expires_on=date(2030, 1, 1),
    insurance_expires_on=date(2030, 1, 1),
)


def _request(**changes) -> ScreeningRequest:
    request = ScreeningRequest(
        on=ON,
        client=ClientFacts(birth_date=date(1990, 6, 15)),
        treatment=CONSULTATION,
        formulation=None,
        practitioner=PRESCRIBER,
        questionnaire=QuestionnaireFacts(
            answered_on=ON - timedelta(days=3),
            pregnant=True,
            conditions=frozenset({Condition.ANTICOAGULANTS}),
        ),
    )
    return replace(request, **changes)


def test_a_pregnant_client_on_blood_thinners_may_see_a_prescriber():
    result = screen(_request())
    assert result.outcome is Outcome.ALLOWED
    assert result.reasons == ()


def test_no_questionnaire_or_consent_is_needed_for_a_consultation():
    assert screen(_request(questionnaire=None)).outcome is Outcome.ALLOWED


def test_a_consultation_is_held_by_a_current_prescriber():
    nurse = replace(
        PRESCRIBER, code="nurse-lewis", profession=Profession.NURSE, prescriber_expires_on=None
    )
    lapsed = replace(PRESCRIBER, prescriber_expires_on=ON - timedelta(days=1))

    for practitioner in (nurse, lapsed):
        result = screen(_request(practitioner=practitioner))
        assert result.outcome is Outcome.REFUSED
        assert [reason.code for reason in result.reasons] == [ReasonCode.PRACTITIONER_NOT_QUALIFIED]
