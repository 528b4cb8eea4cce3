"""Signing locks a record, takes stock, opens follow-ups; afterwards only addenda."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.records.factories import (
    book,
    clear_screening,
    move_clock_past,
    receive,
    record_body,
    session_start,
)

from mesoclinic.catalogue.models import StockMovement
from mesoclinic.catalogue.services import stock_discard
from mesoclinic.core import clock
from mesoclinic.people.models import Device
from mesoclinic.records.models import Addendum, FollowUp, TreatmentRecord
from mesoclinic.safety.models import ToxinAdministration


def _draft(api, appointment, **overrides):
    response = api.post(f"/appointments/{appointment.pk}/record", record_body(**overrides))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_signing_locks_the_record(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)

    # when
    response = api.post(f"/records/{record_id}/sign")

    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["signed_by"]) == ("signed", "dr-patel")
    assert TreatmentRecord.objects.get(pk=record_id).signed_at is not None


def test_signed_record_cannot_be_posted_over(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)
    api.post(f"/records/{record_id}/sign")

    # when
    response = api.post(f"/appointments/{appointment.pk}/record", record_body(volume="1"))

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "record_signed"
    assert api.get(f"/records/{record_id}").json()["products"][0]["volume_ml"] == 2.5


def test_signing_twice_is_a_conflict(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)
    api.post(f"/records/{record_id}/sign")

    # when
    response = api.post(f"/records/{record_id}/sign")

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "record_signed"
    assert StockMovement.objects.filter(kind="used").count() == 1


def test_signing_takes_the_stock_with_a_movement(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)

    # when
    api.post(f"/records/{record_id}/sign")

    # then
    fresh_batch.refresh_from_db()
    assert fresh_batch.quantity_on_hand == Decimal("7.50")
    movements = [
        (m.kind, m.quantity_change, m.reference)
        for m in StockMovement.objects.filter(batch=fresh_batch).order_by("id")
    ]
    assert movements == [
        ("received", Decimal("10.00"), "delivery"),
        ("used", Decimal("-2.50"), f"record:{record_id}"),
    ]


def test_stock_gone_since_the_draft_refuses_signing_and_writes_nothing(
    appointment, fresh_batch, api_as, after_session
):
    # given: most of the batch is discarded after the draft was written
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)
    stock_discard(actor=None, batch=fresh_batch, quantity=Decimal("9"), reason="Fridge failure")

    # when
    response = api.post(f"/records/{record_id}/sign")

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_empty"
    assert TreatmentRecord.objects.get(pk=record_id).signed_at is None
    assert FollowUp.objects.count() == 0
    fresh_batch.refresh_from_db()
    assert fresh_batch.quantity_on_hand == Decimal("1.00")


def test_only_the_treating_practitioner_or_admin_signs(
    appointment, fresh_batch, api_as, after_session
):
    # given
    record_id = _draft(api_as("dr-patel"), appointment)

    # when
    response = api_as("nurse-lewis").post(f"/records/{record_id}/sign")

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_treating_practitioner"


def test_addendum_is_added_with_author_and_time(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)
    api.post(f"/records/{record_id}/sign")

    # when
    response = api.post(f"/records/{record_id}/addenda", {"text": "Lot read back: correct."})

    # then
    assert response.status_code == 201
    addendum = response.json()["addenda"][0]
    assert (addendum["text"], addendum["author"]) == ("Lot read back: correct.", "dr-patel")
    assert addendum["created_at"]


def test_addendum_to_a_draft_is_refused(appointment, fresh_batch, api_as, after_session):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)

    # when
    response = api.post(f"/records/{record_id}/addenda", {"text": "Too early"})

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "record_not_signed"
    assert Addendum.objects.count() == 0


def test_signing_opens_follow_ups_at_48_hours_2_and_12_weeks(
    appointment, fresh_batch, api_as, after_session
):
    # given
    api = api_as("dr-patel")
    record_id = _draft(api, appointment)

    # when
    api.post(f"/records/{record_id}/sign")

    # then
    start = appointment.treatment_start
    assert [(f.kind, f.due_at) for f in FollowUp.objects.order_by("due_at")] == [
        ("48h", start + dt.timedelta(hours=48)),
        ("2w", start + dt.timedelta(weeks=2)),
        ("12w", start + dt.timedelta(weeks=12)),
    ]


def test_no_needle_session_gets_only_the_48_hour_follow_up(demo, api_as, monkeypatch):
    # given
    clear_screening("zara.qureshi@example.com", treatment="no-needle-infusion")
    appointment = book(
        client_email="zara.qureshi@example.com",
        treatment="no-needle-infusion",
        practitioner="therapist-ng",
    )
    # the booking reserves the treatment's device, the wand (a session by device technique
    # with no device is refused: delivery_mismatch)
    appointment.device = Device.objects.get(code="electroporation-wand")
    appointment.save(update_fields=["device"])
    receive("electro-serum", "T-ES-1")
    body = record_body()
    body["products"] = [{"formulation": "electro-serum", "lot": "T-ES-1", "volume_ml": 3}]
    body["areas"] = [{"area": "face", "technique": "device", "points": 0, "volume_ml": 3}]
    api = api_as("therapist-ng")
    record_id = api.post(f"/appointments/{appointment.pk}/record", body).json()["id"]
    move_clock_past(monkeypatch, appointment)

    # when
    api.post(f"/records/{record_id}/sign")

    # then
    assert list(FollowUp.objects.values_list("kind", flat=True)) == ["48h"]


def test_follow_up_outcome_no_adverse_event_is_recorded_once(
    appointment, fresh_batch, api_as, after_session
):
    # given
    api = api_as("dr-patel")
    api.post(f"/records/{_draft(api, appointment)}/sign")
    follow_up = FollowUp.objects.get(kind="48h")

    # when
    first = api.post(f"/follow-ups/{follow_up.pk}/complete", {"outcome": "no_adverse_event"})
    second = api.post(f"/follow-ups/{follow_up.pk}/complete", {"outcome": "not_reached"})

    # then
    assert (first.status_code, first.json()["outcome"]) == (200, "no_adverse_event")
    assert (second.status_code, second.json()["error"]["code"]) == (409, "follow_up_done")


def test_signing_a_toxin_record_adds_to_the_toxin_history(demo, api_as, monkeypatch):
    # given: a MesoTox session two days ahead (first toxin: 24 h cooling-off)
    clear_screening("sophie.carter@example.com", treatment="mesotox")
    appointment = book(
        client_email="sophie.carter@example.com", treatment="mesotox", at=session_start(2)
    )
    receive("mesotox-blend", "T-TOX-2", quantity="100")
    body = record_body()
    body["products"] = [
        {"formulation": "mesotox-blend", "lot": "T-TOX-2", "volume_ml": 1, "units": 10}
    ]
    api = api_as("dr-patel")
    created = api.post(f"/appointments/{appointment.pk}/record", body)
    assert created.status_code == 201, created.content

    # when: signed after the session
    after = appointment.end + dt.timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: after)
    signed = api.post(f"/records/{created.json()['id']}/sign")

    # then
    assert signed.status_code == 200, signed.content
    row = ToxinAdministration.objects.get(source="record")
    assert (row.client_id, row.units, row.source_reference) == (
        appointment.client_id,
        Decimal("10.00"),
        f"record:{created.json()['id']}",
    )


def test_signing_schedules_aftercare_for_the_client(
    appointment, fresh_batch, api_as, after_session
):
    # given
    from mesoclinic.messaging.models import Message, MessageKind

    api = api_as("dr-patel")
    record_id = _draft(api, appointment)
    # when
    api.post(f"/records/{record_id}/sign")
    # then
    aftercare = Message.objects.filter(appointment=appointment, kind=MessageKind.AFTERCARE)
    assert aftercare.count() == 1
    assert aftercare.get().recipient == appointment.client.email
