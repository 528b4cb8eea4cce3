"""Reaction codes for under-eye swelling and bruise size (issue #19, item 4), tied to the
aftercare text, the follow-up schedule and the adverse-event threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from tests.records.factories import record_body

from mesoclinic.core.errors import InvalidInput
from mesoclinic.messaging.aftercare import REACTION_ADVICE, AftercareFacts, aftercare_points
from mesoclinic.messaging.models import Message, MessageKind
from mesoclinic.records import reactions
from mesoclinic.records.checks import checked_reactions
from mesoclinic.records.models import FollowUp, TreatmentRecord

# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size_cm", "band"),
    [
        ("0.5", "bruise_small"),
        ("0.9", "bruise_small"),
        ("1", "bruise_medium"),
        ("3", "bruise_medium"),
        ("3.1", "bruise_large"),
        ("8", "bruise_large"),
    ],
)
def test_a_bruise_falls_in_its_size_band(size_cm, band):
    assert reactions.bruise_band(Decimal(size_cm)) == band


def test_only_a_large_bruise_brings_the_first_follow_up_forward():
    assert reactions.first_follow_up_hours(["bruise_large", "redness"]) == 24
    assert reactions.first_follow_up_hours(["bruise_medium", "under_eye_swelling"]) == 48
    assert reactions.first_follow_up_hours([]) == 48


def test_a_large_bruise_is_at_the_adverse_event_threshold():
    assert reactions.at_adverse_event_threshold(["purple_dots", "bruise_large"]) == ["bruise_large"]
    assert reactions.at_adverse_event_threshold(["bruise_medium", "under_eye_swelling"]) == []


def test_aftercare_gives_advice_for_each_recorded_reaction():
    facts = AftercareFacts(
        treatment_name="Under-eye refresh",
        needs_needle=True,
        swelling_expected=False,
        under_eye=True,
        reactions=("under_eye_swelling", "bruise_large"),
    )
    points = aftercare_points(facts)
    assert REACTION_ADVICE["under_eye_swelling"] in points
    assert REACTION_ADVICE["bruise_large"] in points
    assert REACTION_ADVICE["bruise_small"] not in points
    assert "call you the day after" in REACTION_ADVICE["bruise_large"]


# --- recording them -----------------------------------------------------------------------------


def _save(api, appointment, **overrides):
    return api.post(f"/appointments/{appointment.pk}/record", record_body(**overrides))


def test_a_measured_bruise_adds_its_size_code(appointment, fresh_batch, api_as):
    response = _save(api_as("dr-patel"), appointment, bruise_cm="4.5")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reactions"] == ["purple_dots", "bruise_large"]
    assert Decimal(str(body["bruise_cm"])) == Decimal("4.5")
    assert body["adverse_event_threshold"] == ["bruise_large"]


def test_under_eye_swelling_is_its_own_code(appointment, fresh_batch, api_as):
    response = _save(api_as("dr-patel"), appointment, reactions=["under_eye_swelling"])
    assert response.status_code == 201
    assert response.json()["reactions"] == ["under_eye_swelling"]
    assert response.json()["adverse_event_threshold"] == []


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"reactions": ["bruise_small"], "bruise_cm": "4"}, 422, "bruise_size_mismatch"),
        ({"reactions": ["bruise_small", "bruise_large"]}, 400, "bruise_sizes_conflict"),
        ({"reactions": ["none"], "bruise_cm": "2"}, 400, "reaction_none_with_others"),
    ],
)
def test_bruise_sizes_that_disagree_are_refused(
    appointment, fresh_batch, api_as, overrides, status, code
):
    response = _save(api_as("dr-patel"), appointment, **overrides)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not TreatmentRecord.objects.exists()


def test_a_large_bruise_brings_the_48_hour_follow_up_forward_to_24_hours(
    appointment, fresh_batch, api_as, after_session
):
    # given
    api = api_as("dr-patel")
    record_id = _save(api, appointment, reactions=["bruise_large"]).json()["id"]
    # when
    api.post(f"/records/{record_id}/sign")
    # then
    start = appointment.treatment_start
    due = dict(FollowUp.objects.values_list("kind", "due_at"))
    assert due["48h"] == start + dt.timedelta(hours=24)
    assert due["2w"] == start + dt.timedelta(weeks=2)


def test_signing_sends_the_reactions_aftercare(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _save(api, appointment, reactions=["under_eye_swelling", "bruise_medium"]).json()[
        "id"
    ]
    # when
    api.post(f"/records/{record_id}/sign")
    # then
    body = Message.objects.get(appointment=appointment, kind=MessageKind.AFTERCARE).body
    flat = " ".join(body.split())
    assert "swelling under your eyes" in flat
    assert "a bruise of 1 to 3 cm" in flat
    assert "larger bruise" not in flat


def test_a_large_bruise_session_cannot_close_a_follow_up_as_no_adverse_event(
    appointment, fresh_batch, api_as, after_session
):
    # given
    api = api_as("dr-patel")
    record_id = _save(api, appointment, bruise_cm="5").json()["id"]
    api.post(f"/records/{record_id}/sign")
    follow_up = FollowUp.objects.get(kind="48h")
    # when
    refused = api.post(f"/follow-ups/{follow_up.pk}/complete", {"outcome": "no_adverse_event"})
    settling = api.post(f"/follow-ups/{follow_up.pk}/complete", {"outcome": "expected_effects"})
    # then
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "adverse_event_threshold"
    assert settling.status_code == 200


def test_the_record_page_asks_for_an_adverse_event_report(
    appointment, fresh_batch, api_as, after_session, demo
):
    # given
    api = api_as("dr-patel")
    record_id = _save(api, appointment, bruise_cm="5").json()["id"]
    browser = HttpClient()
    assert browser.login(username="dr-patel", password="mesoclinic-demo")
    # when
    page = browser.get(f"/records/{record_id}/").content.decode()
    report = browser.get(
        f"/clients/{appointment.client_id}/adverse-events/new/?appointment={appointment.pk}"
    )
    # then
    assert 'id="adverse-event-threshold"' in page
    assert "bruise, large (over 3 cm)" in page
    assert "largest bruise 5.0 cm" in page
    assert f'<option value="{appointment.pk}" selected>' in report.content.decode()


@pytest.mark.parametrize("size", ["0.04", "3.04", "0.96"])
def test_a_bruise_finer_than_a_millimetre_is_refused_by_every_path(size):
    # the API's schema refuses it already; the web form reaches the service with it
    with pytest.raises(InvalidInput) as refused:
        checked_reactions(["bruise_medium"], None, Decimal(size))
    assert refused.value.details == {"field": "bruise_cm"}


def test_a_bruise_to_the_millimetre_gets_its_band():
    assert checked_reactions([], None, Decimal("3.1")) == ["bruise_large"]
