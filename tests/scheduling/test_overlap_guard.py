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


def _refused(**kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        _book(**kwargs)


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
    _book()
    _book(at=T0 + dt.timedelta(minutes=30))
    _book(at=T0 - dt.timedelta(minutes=30))
    assert Appointment.objects.count() == 3


def test_cancelled_bookings_free_their_resources(demo):
    first = _book()
    first.status = "cancelled"
    first.save()
    _book()
    assert Appointment.objects.filter(status="booked").count() == 1


def test_moving_a_booking_onto_another_is_refused(demo):
    _book()
    other = _book(at=T0 + dt.timedelta(hours=2))
    other.treatment_start = T0 + dt.timedelta(minutes=10)
    other.start = other.treatment_start - dt.timedelta(minutes=30)
    other.end = other.busy_until = other.treatment_start + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_phases_must_be_in_order(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        _book(minutes=-5)
