"""The numbing lounge under concurrent bookings, with the race window held open.

No exclusion constraint can express "at most N clients numbing at once", so the booking
service serialises lounge-using bookings of a site (``SELECT … FOR UPDATE`` on the site
row on PostgreSQL, the ``IMMEDIATE`` write lock on SQLite) before re-checking. Here each
booking sleeps between its re-check and its insert: without the lock, every racer would
pass the re-check and the lounge would over-fill.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from tests.reliability.support import TUESDAY, london_at, london_open_day

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import Conflict
from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import guarded

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_one_lounge_place_admits_one_of_three_concurrent_bookings(monkeypatch):
    # given: a one-place lounge, three free practitioners and rooms
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)
    Site.objects.filter(code="london").update(numbing_lounge_capacity=1)
    treatment = Treatment.objects.get(code="face-revitalise")
    start = london_at(london_open_day(TUESDAY, days_ahead=28), 10)
    practitioners = list(
        Practitioner.objects.filter(code__in=["dr-patel", "nurse-lewis", "nurse-okafor"])
    )
    rooms = {
        p.pk: room for p, room in zip(practitioners, Room.objects.order_by("code"), strict=False)
    }
    # three clients: one client's bookings would be kept apart by the client guard
    emails = ["freya.adeyemi@example.com", "sophie.carter@example.com", "amelia.hart@example.com"]
    clients = {
        p.pk: Client.objects.get(email=email)
        for p, email in zip(practitioners, emails, strict=True)
    }
    checked = guarded._choose_resources

    def slow_check(*args, **kwargs):
        chosen = checked(*args, **kwargs)
        time.sleep(0.5)  # hold the window between re-check and insert open
        return chosen

    monkeypatch.setattr(guarded, "_choose_resources", slow_check)
    barrier = threading.Barrier(len(practitioners))
    outcomes: list[str] = []

    def book(practitioner: Practitioner) -> None:
        try:
            barrier.wait()
            services.appointment_book(
                actor=None,
                client=clients[practitioner.pk],
                treatment=treatment,
                start=start,
                practitioner=practitioner,
                room=rooms[practitioner.pk],  # no client, room or practitioner in common
                notify=False,
            )
            outcomes.append("booked")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=book, args=(p,)) for p in practitioners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(outcomes) == ["booked", "slot_unavailable", "slot_unavailable"]
    assert Appointment.objects.filter(start=start, status="booked").count() == 1


def test_the_lounge_lock_does_not_hold_up_other_bookings_of_the_site():
    # A lounge booking locks the site row against other lounge bookings only. Every
    # appointment insert takes FOR KEY SHARE on its site (the foreign key check, at commit):
    # with the lock taken FOR UPDATE that waited, and with the exclusion constraints' waits
    # it formed deadlocks (503 busy under W2's eight writers).
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write with its database lock")
    # given: a lounge booking holding the lock in another connection
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)
    site = Site.objects.get(code="london")
    treatment = Treatment.objects.get(code="face-revitalise")
    locked, release = threading.Event(), threading.Event()

    def hold_the_lounge() -> None:
        try:
            with transaction.atomic():
                guarded._lock_lounge(site, treatment)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lounge)
    holder.start()
    assert locked.wait(10)
    # when another booking of the site commits, giving up on any lock after two seconds
    start = london_at(london_open_day(TUESDAY, days_ahead=28), 10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            Appointment.objects.create(
                client=Client.objects.get(email="freya.adeyemi@example.com"),
                treatment=treatment,
                site=site,
                practitioner=Practitioner.objects.get(code="dr-patel"),
                room=Room.objects.get(code="room-1"),
                start=start,
                treatment_start=start + dt.timedelta(minutes=treatment.numbing_minutes),
                end=start + dt.timedelta(minutes=treatment.total_minutes),
                busy_until=start + dt.timedelta(minutes=treatment.total_minutes),
                price=treatment.price,
                booked_at=start - dt.timedelta(days=7),
            )
    finally:
        release.set()
        holder.join()
    # then it was not held up
    assert Appointment.objects.filter(start=start, site=site).count() == 1
