"""Holds racing with holds and with bookings for one slot, in threads with their own
database connections (SQLite or PostgreSQL): exactly one wins, every other gets 409
``slot_unavailable`` (or 503 ``busy``, nothing written), never an error."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from tests.reliability.support import TUESDAY, london_at, london_open_day

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Practitioner, Site
from mesoclinic.people.services import client_create
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, HoldStatus, SlotHold

pytestmark = [pytest.mark.django_db(transaction=True)]

RACERS = 6


def _run_together(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except DomainError as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _hold_call(start):
    def call():
        return services.slot_hold(
            actor=None,
            treatment=Treatment.objects.get(code="face-revitalise"),
            site=Site.objects.get(code="london"),
            start=start,
            minutes=15,
            purpose="race",
            practitioner=Practitioner.objects.get(code="dr-patel"),
        )

    return call


def _book_call(start, client):
    def call():
        return services.appointment_book(
            actor=None,
            client=client,
            treatment=Treatment.objects.get(code="face-revitalise"),
            start=start,
            practitioner=Practitioner.objects.get(code="dr-patel"),
            notify=False,
        )

    return call


def _refusals_are_clean(results):
    for result in results:
        if isinstance(result, DomainError):
            assert result.code in {"slot_unavailable", "busy"}, result


def test_holds_racing_for_one_slot_leave_exactly_one_hold(demo):
    # given
    start = london_at(london_open_day(TUESDAY, days_ahead=21), 10)
    # when
    results = _run_together([_hold_call(start) for _ in range(RACERS)])
    # then
    winners = [result for result in results if isinstance(result, SlotHold)]
    assert len(winners) == 1
    _refusals_are_clean(results)
    assert SlotHold.objects.filter(status=HoldStatus.HELD, start=start).count() == 1


def test_holds_and_bookings_racing_for_one_slot_leave_exactly_one_winner(demo):
    # given
    start = london_at(london_open_day(TUESDAY, days_ahead=21), 10)
    clients = [
        client_create(
            actor=None,
            given_name="Racer",
            family_name=f"Number {index}",
            birth_date=dt.date(1990, 1, 1),
            email=f"hold.racer.{index}@example.com",
        )
        for index in range(RACERS // 2)
    ]
    calls = [_hold_call(start) for _ in range(RACERS // 2)]
    calls += [_book_call(start, client) for client in clients]
    # when
    results = _run_together(calls)
    # then
    winners = [result for result in results if not isinstance(result, DomainError)]
    assert len(winners) == 1
    _refusals_are_clean(results)
    held = SlotHold.objects.filter(status=HoldStatus.HELD, start=start).count()
    booked = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, start=start, practitioner__code="dr-patel"
    ).count()
    assert held + booked == 1
