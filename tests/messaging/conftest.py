"""Fixtures for messaging tests: a booked appointment and a frozen clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mesoclinic.catalogue.models import Treatment
from mesoclinic.messaging import channels
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.scheduling.models import Appointment

LONDON = ZoneInfo("Europe/London")


class FrozenClock:
    """Moves ``mesoclinic.core.clock.now`` in tests, and Django's ``timezone.now`` with it
    (django-tasks-db's worker reads that to decide which tasks are due)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
        self.moment = moment
        monkeypatch.setattr("mesoclinic.core.clock.now", lambda: self.moment)
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.moment)

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch):
    """``frozen(datetime)`` fixes the clock; returns an object with ``set``/``advance``."""
    return lambda moment: FrozenClock(monkeypatch, moment)


@pytest.fixture(autouse=True)
def _sms_locmem(settings):
    settings.MESOCLINIC = {
        **settings.MESOCLINIC,
        "SMS_BACKEND": "mesoclinic.messaging.channels.LocmemSmsBackend",
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    channels.SMS_OUTBOX.clear()
    yield
    channels.SMS_OUTBOX.clear()


def make_appointment(
    *, start: dt.datetime, treatment_code: str = "face-revitalise", client: Client | None = None
) -> Appointment:
    """An appointment written straight to the table (the booking service is not under test)."""
    treatment = Treatment.objects.get(code=treatment_code)
    client = client or Client.objects.get(email="amelia.hart@example.com")
    if not client.phone:
        client.phone = "+447700900123"
        client.save(update_fields=["phone"])
    treatment_start = start + dt.timedelta(minutes=treatment.numbing_minutes)
    end = treatment_start + dt.timedelta(minutes=treatment.treatment_minutes)
    return Appointment.objects.create(
        client=client,
        treatment=treatment,
        site=Site.objects.get(code="london"),
        practitioner=Practitioner.objects.get(code="nurse-lewis"),
        room=Room.objects.get(code="room-1"),
        start=start,
        treatment_start=treatment_start,
        end=end,
        busy_until=end,
        price=treatment.price,
        booked_at=start - dt.timedelta(days=7),
    )


@pytest.fixture
def appointment(demo, frozen):
    """Face treatment on Monday 30 March 2026 at 10:00 London (after the spring change),
    booked on Monday 23 March at 12:00."""
    frozen(dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON))
    return make_appointment(start=dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON))
