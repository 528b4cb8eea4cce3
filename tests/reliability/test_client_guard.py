"""One client, two bookings at once (issue 12), with the race window held open.

Scalp treatments need no numbing, so no lounge lock serialises these bookings on
PostgreSQL: only the exclusion constraint of migration 0007 can keep the client's two
bookings apart there (SQLite's ``IMMEDIATE`` write lock serialises them anyway). The
loser is retried, its re-check then sees the winner, and it is told ``client_busy``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection
from tests.reliability.support import LONDON, TUESDAY, london_at, london_open_day

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import guarded

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clinic():
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)


def _book(client: Client, start: dt.datetime, practitioner: str, room: str) -> Appointment:
    return services.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="scalp-hair"),
        start=start,
        practitioner=Practitioner.objects.get(code=practitioner),
        room=Room.objects.get(code=room),
        notify=False,
    )


def test_two_practitioners_booking_one_client_at_once_give_one_appointment(clinic, monkeypatch):
    # given: both bookings pass their re-check before either inserts
    client = Client.objects.get(email="freya.adeyemi@example.com")
    start = london_at(london_open_day(TUESDAY, days_ahead=35), 10)
    checked = guarded._choose_resources

    def slow_check(*args, **kwargs):
        chosen = checked(*args, **kwargs)
        time.sleep(0.5)  # hold the window between re-check and insert open
        return chosen

    monkeypatch.setattr(guarded, "_choose_resources", slow_check)
    racers = [("dr-patel", "room-1"), ("nurse-lewis", "room-2")]
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []
    messages: list[str] = []

    def book(practitioner: str, room: str) -> None:
        try:
            barrier.wait()
            _book(client, start, practitioner, room)
            outcomes.append("booked")
        except Conflict as error:
            outcomes.append(error.code)
            messages.append(error.message)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=book, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: one appointment; the loser is told when the client is already booked
    assert sorted(outcomes) == ["booked", "client_busy"]
    local = start.astimezone(LONDON)
    assert messages == [
        f"The client already has an appointment on {local:%Y-%m-%d} from 10:00 to 10:30: "
        "choose a time that does not overlap it."
    ]
    assert Appointment.objects.filter(client=client, status="booked").count() == 1


def test_the_database_guard_is_reported_as_client_busy(clinic, monkeypatch):
    # given: a re-check that misses the client's other appointment (as a racing one
    # would), and no retry, so only the database can refuse
    client = Client.objects.get(email="freya.adeyemi@example.com")
    start = london_at(london_open_day(TUESDAY, days_ahead=35), 14)
    _book(client, start, "dr-patel", "room-1")
    stranger = Client.objects.get(email="sophie.carter@example.com")
    checked = guarded._choose_resources
    monkeypatch.setattr(
        guarded,
        "_choose_resources",
        lambda placement, **kwargs: checked(placement, **kwargs | {"client": stranger}),
    )
    monkeypatch.setattr(guarded, "MAX_ATTEMPTS", 1)
    # when
    with pytest.raises(Conflict) as refused:
        _book(client, start + dt.timedelta(minutes=15), "nurse-lewis", "room-2")
    # then: client_busy, not slot_unavailable, and nothing written
    assert refused.value.code == "client_busy"
    assert refused.value.status == 409
    assert Appointment.objects.filter(client=client).count() == 1
