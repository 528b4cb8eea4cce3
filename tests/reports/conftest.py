"""A small clinic whose report figures are computed by hand (shared by the report tests)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import (
    Absence,
    Client,
    Organisation,
    Practitioner,
    Room,
    Site,
    WorkingHours,
)
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2031, 3, 3)  # two quiet weeks far from the demo's bookings


def at(day: dt.date, time: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=LONDON)


@pytest.fixture
def small_clinic(demo):
    """One site, one practitioner working Mondays 09:00-17:00, away 10:00-12:00 on the
    first Monday; four appointments of 30 treatment minutes (after 30 of numbing)."""
    site = Site.objects.create(
        organisation=Organisation.objects.first(),
        code="small",
        name="Small",
        time_zone="Europe/London",
        holiday_country="",
        holiday_subdivision="",
    )
    room = Room.objects.create(site=site, code="small-room", name="Room")
    lewis = Practitioner.objects.get(code="nurse-lewis")
    WorkingHours.objects.create(
        practitioner=lewis, site=site, weekday=0, starts=dt.time(9), ends=dt.time(17)
    )
    Absence.objects.create(
        practitioner=lewis, starts_at=at(MONDAY, "10:00"), ends_at=at(MONDAY, "12:00")
    )
    client = Client.objects.first()
    treatment = Treatment.objects.get(code="face-revitalise")  # 30 + 30 minutes, £300
    made = {}
    for name, day, time, status in [
        ("attended", MONDAY, "09:00", AppointmentStatus.FULFILLED),
        ("cancelled", MONDAY, "13:00", AppointmentStatus.CANCELLED),
        ("no_show", MONDAY + dt.timedelta(days=7), "09:00", AppointmentStatus.NOSHOW),
        ("booked", MONDAY + dt.timedelta(days=7), "14:00", AppointmentStatus.BOOKED),
    ]:
        start = at(day, time)
        made[name] = Appointment.objects.create(
            client=client,
            treatment=treatment,
            site=site,
            practitioner=lewis,
            room=room,
            start=start,
            treatment_start=start + dt.timedelta(minutes=30),
            end=start + dt.timedelta(minutes=60),
            busy_until=start + dt.timedelta(minutes=60),
            status=status,
            price=Decimal("300"),
            booked_at=clock.now(),
        )
    payment_record(
        actor=None, appointment=made["attended"], kind="payment", method="card", amount="300"
    )
    payment_record(
        actor=None, appointment=made["cancelled"], kind="deposit", method="card", amount="60"
    )
    payment_record(
        actor=None, appointment=made["cancelled"], kind="refund", method="card", amount="60"
    )
    payment_record(
        actor=None, appointment=made["booked"], kind="deposit", method="card", amount="60"
    )
    return site
