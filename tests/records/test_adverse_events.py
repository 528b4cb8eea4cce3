"""Adverse events and the MHRA Yellow Card draft (domain.md §5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.records.factories import receive, record_body

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.records.models import AdverseEvent


@pytest.fixture
def treated(appointment, fresh_batch, api_as):
    """Amelia's signed face-revitalise session with lot T-REV-FRESH."""
    api = api_as("dr-patel")
    record_id = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()["id"]
    api.post(f"/records/{record_id}/sign")
    return appointment


def _report(api, appointment, **overrides):
    body = {
        "client": str(appointment.client_id),
        "appointment": str(appointment.pk),
        "onset": clock.today().isoformat(),
        "description": "Tender red nodules at three injection sites.",
        "products": [{"lot": "T-REV-FRESH"}],
        "seriousness": ["medically_significant"],
        "outcome": "recovering",
        "treatment_given": "Referred to GP; clarithromycin started.",
        "other_medicines": ["Cetirizine 10 mg"],
    }
    body.update(overrides)
    return api.post("/adverse-events", body)


def test_adverse_event_is_reported(treated, api_as):
    # when
    response = _report(api_as("dr-patel"), treated)

    # then
    assert response.status_code == 201
    body = response.json()
    assert body["products"] == [{"lot": "T-REV-FRESH", "formulation": "revitalise-cocktail"}]
    assert (body["serious"], body["outcome"], body["reporter"]) == (True, "recovering", "dr-patel")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"seriousness": ["mild"]}, "invalid_seriousness"),
        ({"outcome": "fine"}, "invalid_outcome"),
        ({"products": [{"lot": "NOPE"}]}, "unknown_batch"),
        ({"onset": "2999-01-01"}, "onset_in_future"),
    ],
)
def test_invalid_adverse_events_are_refused(treated, api_as, overrides, code):
    # when
    response = _report(api_as("dr-patel"), treated, **overrides)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert AdverseEvent.objects.count() == 0


def test_yellow_card_has_exactly_the_domain_fields(treated, api_as):
    # given
    api = api_as("dr-patel")
    event_id = _report(api, treated).json()["id"]

    # when
    response = api.get(f"/adverse-events/{event_id}/yellow-card")

    # then
    assert response.status_code == 200
    card = response.json()
    assert list(card) == [
        "patient",
        "suspect_drugs",
        "reaction",
        "outcome",
        "seriousness",
        "other_medicines",
        "reporter",
    ]
    client = treated.client
    assert card["patient"] == {
        "initials": "AH",
        "age": client.age_on(clock.today()),
        "sex": "female",
        "local_identifier": f"MC-{client.pk:06d}",
    }
    session_day = treated.treatment_start.date().isoformat()
    assert card["suspect_drugs"] == [
        {
            "brand": "Revitalise cocktail (illustrative)",
            "batch": "T-REV-FRESH",
            "expires_on": card["suspect_drugs"][0]["expires_on"],
            "route": "intradermal",
            "started_on": session_day,
            "stopped_on": session_day,
        }
    ]
    assert card["outcome"] == "recovering"
    assert card["seriousness"] == {"serious": True, "criteria": ["medically_significant"]}
    assert card["other_medicines"] == ["Cetirizine 10 mg"]
    assert card["reporter"]["name"] == "Dr Asha Patel"


def test_yellow_card_never_holds_the_name_or_date_of_birth(treated, api_as):
    # given
    api = api_as("dr-patel")
    event_id = _report(api, treated).json()["id"]
    client = treated.client

    # when
    text = json.dumps(api.get(f"/adverse-events/{event_id}/yellow-card").json())

    # then
    for secret in (
        client.given_name,
        client.family_name,
        client.birth_date.isoformat(),
        client.email,
        client.phone,
    ):
        assert secret not in text


def test_yellow_card_export_is_audited(treated, api_as):
    # given
    api = api_as("dr-patel")
    event_id = _report(api, treated).json()["id"]

    # when
    api.get(f"/adverse-events/{event_id}/yellow-card")

    # then
    assert (
        AuditEntry.objects.filter(action="adverse_event.yellow_card", object_id=event_id).count()
        == 1
    )


def test_not_serious_event_has_empty_criteria(treated, api_as):
    # given
    api = api_as("dr-patel")
    event_id = _report(api, treated, seriousness=[], outcome="recovered").json()["id"]

    # when
    card = api.get(f"/adverse-events/{event_id}/yellow-card").json()

    # then
    assert card["seriousness"] == {"serious": False, "criteria": []}


def test_suspect_lot_shared_by_two_products_resolves_to_the_one_the_client_had(treated, api_as):
    # given: the same lot number exists for another product
    receive("under-eye-light", "T-REV-FRESH")

    # when
    response = _report(api_as("dr-patel"), treated)

    # then
    assert response.json()["products"] == [
        {"lot": "T-REV-FRESH", "formulation": "revitalise-cocktail"}
    ]


def test_an_onset_after_today_is_a_rule_refusal(treated, api_as):
    # given: a well-formed date inside the years the edge accepts
    tomorrow = clock.today() + dt.timedelta(days=1)

    # when
    response = _report(api_as("dr-patel"), treated, onset=tomorrow.isoformat())

    # then: 422, as a rule refuses it (the year 2999 stays a 400: outside 1900-2100)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "onset_in_future")
    assert AdverseEvent.objects.count() == 0
