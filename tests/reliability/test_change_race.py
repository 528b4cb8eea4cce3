"""Cancelling an appointment while another transaction moves it, in threads with their own
database connections (SQLite or PostgreSQL): the cancel waits for the move, then cancels
the appointment as moved, never a 500.

Found by W4 on PostgreSQL: the cancel locked the appointment through its joins; after
waiting for a reschedule that gave it another room, PostgreSQL re-checked the join against
the room read before the wait and found no appointment at all (``DoesNotExist``, 500).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from tests.reliability.support import WEDNESDAY, london_at, london_open_day

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import NotFound
from mesoclinic.people.models import Client, Room
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

pytestmark = [pytest.mark.django_db(transaction=True)]

MOVE_HELD_SECONDS = 0.5


def _booked() -> Appointment:
    return services.appointment_book(
        actor=None,
        client=Client.objects.get(email="amelia.hart@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=london_at(london_open_day(WEDNESDAY, days_ahead=35), 11),
        notify=False,
    )


def _move_to_another_room_slowly(appointment: Appointment, moved: threading.Event) -> Room:
    """In its own connection: give the appointment another room and hold the transaction
    open, so a cancel started meanwhile waits for it."""
    other = Room.objects.filter(site=appointment.site, active=True).exclude(pk=appointment.room_id)
    room = other.order_by("code").first()
    assert room is not None

    def move() -> None:
        try:
            with transaction.atomic():
                Appointment.objects.filter(pk=appointment.pk).update(room=room)
                moved.set()
                time.sleep(MOVE_HELD_SECONDS)
        finally:
            connection.close()

    threading.Thread(target=move, daemon=True).start()
    assert moved.wait(10)
    return room


def test_a_cancel_waiting_for_a_move_cancels_the_moved_appointment(demo):
    # given: an appointment being moved to another room by an open transaction
    appointment = _booked()
    moved = threading.Event()
    room = _move_to_another_room_slowly(appointment, moved)
    # when: it is cancelled meanwhile (this waits for the move to commit)
    cancelled = services.appointment_cancel(actor=None, appointment=appointment, reason="race")
    # then: the appointment as moved is cancelled, and the move was kept
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.room == room
    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.status, stored.room_id) == (AppointmentStatus.CANCELLED, room.pk)


def test_cancelling_an_appointment_that_is_gone_is_not_found(demo):
    # given: an appointment object whose row no longer exists
    appointment = _booked()
    Appointment.objects.filter(pk=appointment.pk).delete()
    # when/then: 404 appointment_not_found, not a 500
    with pytest.raises(NotFound) as refused:
        services.appointment_cancel(actor=None, appointment=appointment)
    assert refused.value.code == "appointment_not_found"
