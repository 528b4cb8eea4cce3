"""Booking, reading, cancelling and rescheduling appointments through the API."""

from __future__ import annotations

from tests.messaging.queued import booking_messages_written

from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client, Site
from mesoclinic.scheduling.models import Appointment

MONDAY_9 = "2027-03-01T09:00:00+00:00"


def _book(api, who, **body):
    body = {"client": who.pk, "treatment": "face-revitalise", "start": MONDAY_9} | body
    return api.post("/appointments", body)


def _amelia() -> Client:
    return Client.objects.get(email="amelia.hart@example.com")


def test_booking_returns_201_with_times_resources_and_screening(api):
    # when
    response = _book(api, _amelia())
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "booked"
    assert body["start"] == MONDAY_9
    assert body["treatment_start"] == "2027-03-01T09:30:00+00:00"
    assert body["end"] == "2027-03-01T10:00:00+00:00"
    assert body["practitioner"] == "dr-patel"
    assert body["room"] == "room-1"
    assert body["device"] is None
    assert body["screening"]["outcome"] in {"allowed", "allowed_with_warnings"}
    appointment = Appointment.objects.get(pk=int(body["id"]))
    assert appointment.busy_until == appointment.end
    assert AuditEntry.objects.filter(action="appointment.book", object_id=body["id"]).exists()
    assert not Message.objects.filter(appointment=appointment).exists()
    assert booking_messages_written() == 1  # the worker writes them from one queued task
    assert Message.objects.filter(appointment=appointment).exists()


def test_a_taken_slot_is_a_409(api):
    # given
    assert _book(api, _amelia(), practitioner="dr-patel").status_code == 201
    # when
    response = _book(
        api, Client.objects.get(email="freya.adeyemi@example.com"), practitioner="dr-patel"
    )
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_unavailable"


def test_a_client_booked_at_an_overlapping_time_is_a_409_client_busy(api):
    # given: Amelia at the clinic 09:00-10:00 (numbing from 09:00) with dr-patel
    first = _book(api, _amelia(), practitioner="dr-patel").json()
    # when: booked again at 09:45 with nurse-lewis, who is free
    response = _book(api, _amelia(), start="2027-03-01T09:45:00+00:00", practitioner="nurse-lewis")
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "client_busy"
    assert error["message"] == (
        "The client already has an appointment on 2027-03-01 from 09:00 to 10:00: "
        "choose a time that does not overlap it."
    )
    assert error["details"] == {
        "appointment": int(first["id"]),
        "start": "2027-03-01T09:00:00+00:00",
        "end": "2027-03-01T10:00:00+00:00",
    }
    assert Appointment.objects.count() == 1


def test_without_a_practitioner_a_busy_client_is_still_refused(api):
    _book(api, _amelia())
    response = _book(api, _amelia())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "client_busy"
    assert Appointment.objects.count() == 1


def test_a_client_may_be_booked_from_the_end_of_their_appointment(api):
    _book(api, _amelia(), practitioner="dr-patel")
    response = _book(api, _amelia(), start="2027-03-01T10:00:00+00:00", practitioner="nurse-lewis")
    assert response.status_code == 201


def test_without_a_practitioner_the_next_free_one_is_chosen(api):
    first = _book(api, _amelia()).json()
    second = _book(api, Client.objects.get(email="freya.adeyemi@example.com")).json()
    assert (first["practitioner"], first["room"]) == ("dr-patel", "room-1")
    assert (second["practitioner"], second["room"]) == ("nurse-lewis", "room-2")


def test_a_pregnant_client_is_refused_with_the_reasons(api):
    # given: Chloe Dawson's questionnaire says she is pregnant
    chloe = Client.objects.get(email="chloe.dawson@example.com")
    # when
    response = _book(api, chloe)
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "screening_refused"
    assert error["details"]["outcome"] == "refused"
    assert "pregnant" in [reason["code"] for reason in error["details"]["reasons"]]
    assert not Appointment.objects.filter(client=chloe).exists()


def test_an_under_18_client_is_refused(api):
    mia = Client.objects.get(email="mia.fernandes@example.com")
    response = _book(api, mia)
    assert response.status_code == 422
    assert "under_18" in [r["code"] for r in response.json()["error"]["details"]["reasons"]]
    assert not Appointment.objects.filter(client=mia).exists()


def test_a_refused_client_is_told_so_even_when_the_time_is_taken(api):
    _book(api, _amelia(), practitioner="dr-patel")
    response = _book(
        api, Client.objects.get(email="chloe.dawson@example.com"), practitioner="dr-patel"
    )
    assert response.status_code == 422


def test_an_unqualified_practitioner_is_refused_by_screening(api):
    for code, reason in (
        ("nurse-hughes", "practitioner_registration_expired"),
        ("therapist-ng", "practitioner_not_qualified"),
    ):
        response = _book(api, _amelia(), practitioner=code)
        assert response.status_code == 422
        assert reason in [r["code"] for r in response.json()["error"]["details"]["reasons"]]


def test_a_start_in_the_past_is_a_422(api):
    response = _book(api, _amelia(), start="2027-01-04T09:00:00+00:00")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "start_in_past"


def test_outside_opening_hours_is_a_422(api):
    for start in (
        "2027-03-01T07:00:00+00:00",  # before opening
        "2027-03-01T17:15:00+00:00",  # would end after 18:00
        "2027-03-07T10:00:00+00:00",  # Sunday
        "2027-03-29T10:00:00+01:00",  # Easter Monday
    ):
        response = _book(api, _amelia(), start=start)
        assert response.status_code == 422, start
        assert response.json()["error"]["code"] == "outside_opening_hours"


def test_a_start_off_the_grid_is_a_422(api):
    response = _book(api, _amelia(), start="2027-03-01T09:07:00+00:00")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "off_grid"


def test_a_practitioner_not_working_that_day_is_a_409(api):
    # nurse-okafor works Tuesday to Saturday
    response = _book(api, _amelia(), practitioner="nurse-okafor")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_unavailable"


def test_bad_booking_input_is_a_400_or_404(api):
    amelia = _amelia()
    cases = [
        ({"treatment": "nope"}, 400, "unknown_treatment"),
        ({"practitioner": "dr-who"}, 400, "unknown_practitioner"),
        ({"formulation": "snake-oil"}, 400, "unknown_formulation"),
        ({"start": "next tuesday"}, 400, "invalid_input"),
        ({"start": "2027-03-01T09:00:00"}, 400, "naive_datetime"),
        ({"client": 999999}, 404, "client_not_found"),
    ]
    for body, status, code in cases:
        response = _book(api, amelia, **body)
        assert response.status_code == status, body
        assert response.json()["error"]["code"] == code
    assert api.post("/appointments", raw="{not json").status_code == 400
    assert api.post("/appointments", {"client": amelia.pk}).status_code == 400
    assert not Appointment.objects.exists()


def test_reading_an_appointment_is_audited(api):
    booked = _book(api, _amelia()).json()
    response = api.get(f"/appointments/{booked['id']}")
    assert response.status_code == 200
    assert response.json()["start"] == MONDAY_9
    assert AuditEntry.objects.filter(action="appointment.view").count() == 1
    assert api.get("/appointments/999999").status_code == 404
    assert api.get("/appointments/abc").status_code == 404


def test_listing_by_client_and_by_practitioner(api):
    amelia = _amelia()
    _book(api, amelia)
    _book(api, amelia, start="2027-03-02T10:00:00+00:00", practitioner="nurse-okafor")
    by_client = api.get(
        "/appointments", client=str(amelia.pk), **{"from": "2027-03-01", "to": "2027-03-31"}
    )
    assert [a["practitioner"] for a in by_client.json()] == ["dr-patel", "nurse-okafor"]
    by_practitioner = api.get("/appointments", practitioner="nurse-okafor")
    assert [a["client"] for a in by_practitioner.json()] == [str(amelia.pk)]
    one_day = api.get(
        "/appointments", client=str(amelia.pk), **{"from": "2027-03-02", "to": "2027-03-02"}
    )
    assert len(one_day.json()) == 1


def test_listing_bad_input(api):
    assert api.get("/appointments").status_code == 400
    response = api.get(
        "/appointments", practitioner="dr-patel", **{"from": "2027-03-05", "to": "2027-03-01"}
    )
    assert response.status_code == 400
    assert api.get("/appointments", practitioner="dr-who").status_code == 400
    assert api.get("/appointments", client="424242").status_code == 404


def test_cancelling_frees_the_slot(api):
    # given
    booked = _book(api, _amelia(), practitioner="dr-patel").json()
    # when
    response = api.post(f"/appointments/{booked['id']}/cancel", {"reason": "Client unwell"})
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "Client unwell"
    again = _book(
        api, Client.objects.get(email="freya.adeyemi@example.com"), practitioner="dr-patel"
    )
    assert again.status_code == 201
    assert AuditEntry.objects.filter(action="appointment.cancel").count() == 1


def test_cancelling_twice_is_a_409(api):
    booked = _book(api, _amelia()).json()
    api.post(f"/appointments/{booked['id']}/cancel", {})
    response = api.post(f"/appointments/{booked['id']}/cancel", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appointment_not_active"


def test_rescheduling_moves_the_booking_and_keeps_the_practitioner(api):
    # given
    booked = _book(api, _amelia(), practitioner="nurse-lewis").json()
    # when
    response = api.post(
        f"/appointments/{booked['id']}/reschedule", {"start": "2027-03-03T14:00:00+00:00"}
    )
    # then
    assert response.status_code == 200
    moved = response.json()
    assert moved["id"] == booked["id"]
    assert moved["start"] == "2027-03-03T14:00:00+00:00"
    assert moved["treatment_start"] == "2027-03-03T14:30:00+00:00"
    assert moved["practitioner"] == "nurse-lewis"
    assert Appointment.objects.count() == 1
    assert AuditEntry.objects.filter(action="appointment.reschedule").count() == 1


def test_rescheduling_by_a_quarter_hour_overlapping_itself_is_allowed(api):
    booked = _book(api, _amelia(), practitioner="dr-patel").json()
    response = api.post(
        f"/appointments/{booked['id']}/reschedule", {"start": "2027-03-01T09:15:00+00:00"}
    )
    assert response.status_code == 200
    assert response.json()["practitioner"] == "dr-patel"


def test_rescheduling_onto_a_taken_slot_is_a_409_and_changes_nothing(api):
    # given: every qualified practitioner busy at 14:00 on Monday
    freya = Client.objects.get(email="freya.adeyemi@example.com")
    sophie = Client.objects.get(email="sophie.carter@example.com")
    taken = "2027-03-01T14:00:00+00:00"
    assert _book(api, freya, start=taken, practitioner="dr-patel").status_code == 201
    assert _book(api, sophie, start=taken, practitioner="nurse-lewis").status_code == 201
    booked = _book(api, _amelia()).json()
    # when
    response = api.post(
        f"/appointments/{booked['id']}/reschedule", {"start": "2027-03-01T14:00:00+00:00"}
    )
    # then
    assert response.status_code == 409
    assert Appointment.objects.get(pk=int(booked["id"])).start.isoformat() == MONDAY_9


def test_rescheduling_onto_the_clients_other_appointment_is_a_409_client_busy(api):
    # given: two appointments of Amelia's on Monday, 09:00 and 14:00
    _book(api, _amelia(), practitioner="dr-patel")
    later = _book(
        api, _amelia(), start="2027-03-01T14:00:00+00:00", practitioner="nurse-lewis"
    ).json()
    # when: the later one is moved to 09:30 (nurse-lewis is free then)
    response = api.post(
        f"/appointments/{later['id']}/reschedule", {"start": "2027-03-01T09:30:00+00:00"}
    )
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "client_busy"
    moved = Appointment.objects.get(pk=int(later["id"]))
    assert moved.start.isoformat() == "2027-03-01T14:00:00+00:00"
    assert moved.ics_sequence == 0


def test_rescheduling_follows_the_booking_rules(api):
    booked = _book(api, _amelia()).json()
    path = f"/appointments/{booked['id']}/reschedule"
    assert api.post(path, {"start": "2027-01-04T09:00:00+00:00"}).status_code == 422
    assert api.post(path, {"start": "2027-03-07T09:00:00+00:00"}).status_code == 422
    assert api.post(path, {"start": "soon"}).status_code == 400
    api.post(f"/appointments/{booked['id']}/cancel", {})
    assert api.post(path, {"start": "2027-03-02T09:00:00+00:00"}).status_code == 409


def test_reception_may_book(api_as):
    response = _book(api_as("reception"), _amelia())
    assert response.status_code == 201


def test_the_appointment_ics_is_valid_icalendar(api):
    from icalendar import Calendar

    booked = _book(api, _amelia()).json()
    response = api.get(f"/appointments/{booked['id']}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart").isoformat() == MONDAY_9
    assert "face" not in response.content.decode().lower()  # no treatment in the client's file


def test_when_the_first_choice_is_taken_meanwhile_the_next_free_practitioner_is_booked(
    demo, monkeypatch
):
    # given: the engine's candidates, computed before a competing booking lands
    import datetime as dt

    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.people.models import Practitioner
    from mesoclinic.scheduling import services
    from mesoclinic.scheduling.services import appointments

    treatment = Treatment.objects.get(code="face-revitalise")
    start = dt.datetime.fromisoformat(MONDAY_9)
    site = Site.objects.get(code="london")
    stale = appointments._candidates(
        treatment=treatment, site=site, start=start, practitioner=None, formulation=None
    )
    assert stale[0].practitioner.code == "dr-patel"
    services.appointment_book(
        actor=None,
        client=Client.objects.get(email="freya.adeyemi@example.com"),
        treatment=treatment,
        start=start,
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    monkeypatch.setattr(appointments, "_candidates", lambda **kwargs: stale)
    # when
    appointment = services.appointment_book(
        actor=None, client=_amelia(), treatment=treatment, start=start
    )
    # then
    assert appointment.practitioner.code == "nurse-lewis"
    assert appointment.room.code == "room-2"


def test_a_database_lock_timeout_is_a_503_busy_and_writes_nothing(api, monkeypatch):
    # given: SQLite's write lock cannot be had within the busy timeout
    import contextlib
    import types

    from django.db import OperationalError

    from mesoclinic.scheduling.services import guarded

    @contextlib.contextmanager
    def locked():
        raise OperationalError("database is locked")
        yield

    monkeypatch.setattr(guarded, "transaction", types.SimpleNamespace(atomic=locked))
    # when
    response = _book(api, _amelia())
    # then
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert not Appointment.objects.exists()
