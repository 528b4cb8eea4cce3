"""Slot holds: a held slot blocks availability and every booking path until it runs out;
confirming turns it into the appointment; of two holds at once exactly one wins."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.models import Appointment, HoldStatus, SlotHold

from .conftest import NOW, london

START = london("2027-03-01", "09:00")


def _hold(*, minutes: int = 15, practitioner: str = "dr-patel", start: dt.datetime = START):
    return services.slot_hold(
        actor=None,
        treatment=Treatment.objects.get(code="face-revitalise"),
        site=Site.objects.get(code="london"),
        start=start,
        minutes=minutes,
        purpose="test",
        practitioner=Practitioner.objects.get(code=practitioner),
    )


def _starts_for(practitioner: str) -> set[dt.datetime]:
    slots = selectors.availability_for(
        treatment=Treatment.objects.get(code="face-revitalise"),
        date_from=START.date(),
        date_to=START.date(),
        site=Site.objects.get(code="london"),
        practitioner=Practitioner.objects.get(code=practitioner),
    )
    return {slot.start for slot in slots}


def _amelia() -> Client:
    return Client.objects.get(email="amelia.hart@example.com")


def _later(monkeypatch, minutes: int) -> None:
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW + dt.timedelta(minutes=minutes))


def test_a_held_slot_is_not_offered_by_availability(demo):
    # given
    assert START in _starts_for("dr-patel")
    # when
    hold = _hold()
    # then
    assert hold.status == HoldStatus.HELD
    assert hold.expires_at == NOW + dt.timedelta(minutes=15)
    assert START not in _starts_for("dr-patel")
    assert START + dt.timedelta(minutes=60) in _starts_for("dr-patel")


def test_a_held_slot_refuses_a_staff_booking_with_slot_unavailable(demo):
    # given
    _hold()
    # when
    with pytest.raises(Conflict) as refused:
        services.appointment_book(
            actor=None,
            client=_amelia(),
            treatment=Treatment.objects.get(code="face-revitalise"),
            start=START,
            practitioner=Practitioner.objects.get(code="dr-patel"),
        )
    # then
    assert refused.value.code == "slot_unavailable"
    assert not Appointment.objects.filter(start=START, practitioner__code="dr-patel").exists()


def test_a_held_slot_is_a_409_for_the_api(api):
    # given
    _hold()
    # when
    response = api.post(
        "/appointments",
        {
            "client": _amelia().pk,
            "treatment": "face-revitalise",
            "start": START.isoformat(),
            "practitioner": "dr-patel",
        },
    )
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_unavailable"
    slots = api.get(
        "/availability",
        treatment="face-revitalise",
        **{"from": "2027-03-01", "to": "2027-03-01"},
        practitioner="dr-patel",
    ).json()["slots"]
    assert START.isoformat() not in {slot["start"] for slot in slots}


def test_a_second_hold_of_the_same_slot_is_refused(demo):
    # given
    _hold()
    # when / then
    with pytest.raises(Conflict) as refused:
        _hold()
    assert refused.value.code == "slot_unavailable"
    assert SlotHold.objects.filter(status=HoldStatus.HELD).count() == 1


def test_an_expired_hold_frees_the_slot_without_any_write(demo, monkeypatch):
    # given
    hold = _hold(minutes=15)
    # when: sixteen minutes later
    _later(monkeypatch, 16)
    # then
    assert START in _starts_for("dr-patel")
    appointment = services.appointment_book(
        actor=None,
        client=_amelia(),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=START,
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    assert appointment.start == START
    hold.refresh_from_db()
    assert hold.status == HoldStatus.HELD  # nothing wrote; the sweep records it


def test_the_sweep_marks_expired_holds_and_leaves_live_ones(demo, monkeypatch):
    # given
    old = _hold(minutes=5)
    live = _hold(minutes=30, start=START + dt.timedelta(hours=2))
    _later(monkeypatch, 10)
    # when
    swept = services.holds_sweep()
    # then
    assert swept == 1
    old.refresh_from_db()
    live.refresh_from_db()
    assert (old.status, live.status) == (HoldStatus.EXPIRED, HoldStatus.HELD)


def test_confirming_a_hold_books_the_appointment_and_ends_the_hold(demo):
    # given
    hold = _hold()
    # when
    appointment = services.slot_hold_confirm(actor=None, hold=hold, client=_amelia())
    # then
    hold.refresh_from_db()
    assert (appointment.start, appointment.practitioner.code) == (START, "dr-patel")
    assert appointment.client == _amelia()
    assert (hold.status, hold.appointment) == (HoldStatus.CONFIRMED, appointment)
    assert START not in _starts_for("dr-patel")


def test_confirming_an_expired_hold_whose_time_was_taken_says_so(demo, monkeypatch):
    # given: the hold ran out and Freya booked the time
    hold = _hold(minutes=15)
    _later(monkeypatch, 20)
    services.appointment_book(
        actor=None,
        client=Client.objects.get(email="freya.adeyemi@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=START,
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    # when
    with pytest.raises(Conflict) as refused:
        services.slot_hold_confirm(actor=None, hold=hold, client=_amelia())
    # then
    assert refused.value.code == "hold_expired"
    assert "has since been taken. Please choose another time." in refused.value.message
    assert refused.value.details["date"] == "2027-03-01"
    hold.refresh_from_db()
    assert hold.status == HoldStatus.HELD
    assert not Appointment.objects.filter(client=_amelia(), start=START).exists()


def test_confirming_an_expired_hold_whose_time_is_still_free_books_it(demo, monkeypatch):
    # given
    hold = _hold(minutes=15)
    _later(monkeypatch, 20)
    # when
    appointment = services.slot_hold_confirm(actor=None, hold=hold, client=_amelia())
    # then
    assert appointment.start == START


def test_a_released_hold_frees_the_slot_and_cannot_be_confirmed(demo):
    # given
    hold = _hold()
    # when
    services.slot_hold_release(actor=None, hold=hold, reason="declined")
    # then
    assert START in _starts_for("dr-patel")
    with pytest.raises(Conflict) as refused:
        services.slot_hold_confirm(actor=None, hold=hold, client=_amelia())
    assert refused.value.code == "hold_not_active"


def test_a_hold_refuses_an_overlapping_booking_of_its_practitioner(demo):
    # given
    _hold()
    # when
    with pytest.raises(Conflict) as refused:
        services.appointment_book(
            actor=None,
            client=_amelia(),
            treatment=Treatment.objects.get(code="face-revitalise"),
            start=START + dt.timedelta(minutes=15),
            practitioner=Practitioner.objects.get(code="dr-patel"),
        )
    # then: 09:15 overlaps the held treatment time 09:30-10:00
    assert refused.value.code == "slot_unavailable"


def test_the_worker_that_serve_starts_sweeps_holds_every_minute():
    from mesoclinic.messaging.tasks import periodic_jobs
    from mesoclinic.scheduling.services.holds import holds_sweep

    assert (60.0, holds_sweep) in periodic_jobs()
