"""The database refuses overlapping active bookings, whatever the application does."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client, Device, Practitioner, Room, Site
from mesoclinic.scheduling.models import Appointment

T0 = dt.datetime(2027, 3, 5, 10, 0, tzinfo=dt.UTC)


def _book(
    *,
    practitioner="dr-patel",
    room="room-1",
    device=None,
    at=T0,
    minutes=30,
    status="booked",
    client_email="amelia.hart@example.com",
):
    return Appointment.objects.create(
        client=Client.objects.get(email=client_email),
        treatment=Treatment.objects.get(code="face-revitalise"),
        site=Site.objects.get(code="london"),
        practitioner=Practitioner.objects.get(code=practitioner),
        room=Room.objects.get(code=room),
        device=Device.objects.get(code=device) if device else None,
        start=at - dt.timedelta(minutes=30),
        treatment_start=at,
        end=at + dt.timedelta(minutes=minutes),
        busy_until=at + dt.timedelta(minutes=minutes),
        status=status,
        price=Decimal("300"),
        booked_at=T0,
    )


CLIENT_GUARD = ("client_busy", "appointment_no_client_overlap")
"""How migration 0007's guard names itself: SQLite trigger message, PostgreSQL constraint."""


def _refused(**kwargs):
    """Refused for the resource, not for the client (a second client by default)."""
    kwargs.setdefault("client_email", "freya.adeyemi@example.com")
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        _book(**kwargs)
    assert not any(name in str(refusal.value) for name in CLIENT_GUARD)


def _client_refused(**kwargs):
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        _book(**kwargs)
    assert any(name in str(refusal.value) for name in CLIENT_GUARD)


def test_same_practitioner_cannot_overlap(demo):
    _book()
    _refused(room="room-2", at=T0 + dt.timedelta(minutes=29))


def test_same_room_cannot_overlap(demo):
    _book()
    _refused(practitioner="nurse-lewis", at=T0 - dt.timedelta(minutes=15))


def test_same_device_cannot_overlap(demo):
    _book(device="dermafrac")
    _refused(practitioner="nurse-lewis", room="room-2", device="dermafrac")


def test_back_to_back_bookings_are_allowed(demo):
    # (three clients: each one's numbing overlaps the treatment before it)
    _book()
    _book(at=T0 + dt.timedelta(minutes=30), client_email="freya.adeyemi@example.com")
    _book(at=T0 - dt.timedelta(minutes=30), client_email="sophie.carter@example.com")
    assert Appointment.objects.count() == 3


def test_cancelled_bookings_free_their_resources(demo):
    first = _book()
    first.status = "cancelled"
    first.save()
    _book()
    assert Appointment.objects.filter(status="booked").count() == 1


def test_moving_a_booking_onto_another_is_refused(demo):
    _book()
    other = _book(at=T0 + dt.timedelta(hours=2), client_email="freya.adeyemi@example.com")
    other.treatment_start = T0 + dt.timedelta(minutes=10)
    other.start = other.treatment_start - dt.timedelta(minutes=30)
    other.end = other.busy_until = other.treatment_start + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_phases_must_be_in_order(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        _book(minutes=-5)


# --- A client is never in two places at once (issue 12, migration 0007) --------------------


def test_one_client_cannot_be_booked_twice_at_once_with_other_resources(demo):
    # given: Amelia arrives 09:30 for numbing, treated 10:00-10:30 by dr-patel in room-1
    _book()
    # when/then: the same times with someone else in another room
    _client_refused(practitioner="nurse-lewis", room="room-2")
    assert Appointment.objects.count() == 1


def test_a_client_is_busy_from_arrival_to_end(demo):
    # given: Amelia arrives 09:30 for numbing, treated 10:00-10:30
    _book()
    other = {"practitioner": "nurse-lewis", "room": "room-2"}
    # then: arriving 10:29 (inside her treatment) is refused, and so is a treatment
    # ending at 09:31 (inside her numbing time)
    _client_refused(**other, at=T0 + dt.timedelta(minutes=59))
    _client_refused(**other, at=T0 - dt.timedelta(minutes=30), minutes=1)
    assert Appointment.objects.count() == 1


def test_a_client_may_arrive_as_the_previous_appointment_ends_whatever_the_buffer(demo):
    # given: 09:30-10:30, with 15 minutes of buffer for the practitioner and the room
    first = _book()
    first.busy_until = first.end + dt.timedelta(minutes=15)
    first.save()
    other = {"practitioner": "nurse-lewis", "room": "room-2"}
    # when: arriving at 10:30, and another appointment ending at 09:30
    _book(**other, at=T0 + dt.timedelta(minutes=60))
    _book(**other, at=T0 - dt.timedelta(minutes=31), minutes=1)
    # then
    assert Appointment.objects.count() == 3


def test_a_cancelled_appointment_does_not_keep_the_client_busy(demo):
    first = _book()
    first.status = "cancelled"
    first.save()
    _book(practitioner="nurse-lewis", room="room-2")
    assert Appointment.objects.filter(status="booked").count() == 1


def test_moving_a_clients_appointment_onto_another_of_theirs_is_refused(demo):
    _book()
    other = _book(practitioner="nurse-lewis", room="room-2", at=T0 + dt.timedelta(hours=2))
    other.start = T0
    other.treatment_start = T0 + dt.timedelta(minutes=30)
    other.end = other.busy_until = T0 + dt.timedelta(minutes=60)
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        other.save()
    assert any(name in str(refusal.value) for name in CLIENT_GUARD)
