"""Availability searches remembered per process (``selectors.availability``): the same
search is answered from memory, and every change that could alter its slots is seen at
once, because the key holds all the search depends on.

These tests commit (``transaction=True``): memory answers only outside transactions.
Each compares the remembered answer with the same search inside a transaction, which
always reads the database and runs the engine.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Absence, Practitioner, Site
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.selectors import availability

from .conftest import NOW, london

pytestmark = pytest.mark.django_db(transaction=True)

MARCH = {"date_from": dt.date(2027, 3, 1), "date_to": dt.date(2027, 3, 14)}


@pytest.fixture(autouse=True)
def engine_runs(monkeypatch):
    """How many times a site's search ran the engine (memory answers without it)."""
    runs: list[dt.date] = []
    real = availability.run_search

    def counted(prepared, **question):
        runs.append(prepared.date_from)
        return real(prepared, **question)

    monkeypatch.setattr(availability, "run_search", counted)
    selectors.forget_searches()
    yield runs
    selectors.forget_searches()


def _treatment(code: str = "face-revitalise") -> Treatment:
    return Treatment.objects.get(code=code)


def _search(**extra):
    return selectors.availability_for(treatment=_treatment(), **{**MARCH, **extra})


def _from_database(**extra):
    with transaction.atomic():
        return _search(**extra)


def _book(client_named, start: dt.datetime, practitioner: str | None = None):
    return services.appointment_book(
        actor=None,
        client=client_named("Amelia", "Hart"),
        treatment=_treatment(),
        start=start,
        practitioner=Practitioner.objects.get(code=practitioner) if practitioner else None,
        notify=False,
    )


def test_the_same_search_again_is_answered_from_memory(demo, engine_runs):
    # given
    first = _search()
    runs = len(engine_runs)
    # when
    again = _search()
    # then: the same slots, and the engine did not run again
    assert again == first
    assert len(engine_runs) == runs
    assert again == _from_database()


def test_a_first_page_is_remembered_chunk_by_chunk(demo, engine_runs):
    # given: one site's page that needs more than the first week's chunk
    london_site = Site.objects.get(code="london")
    first_week = _from_database(site=london_site, date_to=dt.date(2027, 3, 7))
    limit = len(first_week) + 1
    engine_runs.clear()
    page = _search(limit=limit, site=london_site)
    chunks = list(engine_runs)
    assert chunks == [MARCH["date_from"], MARCH["date_from"] + dt.timedelta(days=7)]
    # when: asked again
    again = _search(limit=limit, site=london_site)
    # then: from memory, and equal to the database's page
    assert engine_runs == chunks
    assert again == page == _from_database(limit=limit, site=london_site)


def test_a_booking_inside_the_window_is_seen_at_once(demo, client_named, engine_runs):
    # given: a remembered search and its first slot
    before = _search()
    slot = before[0]
    # when: that slot is booked
    _book(client_named, slot.start, slot.practitioner)
    # then: the next search runs the engine again and no longer offers it
    runs = len(engine_runs)
    after = _search()
    assert len(engine_runs) > runs
    assert (slot.start, slot.practitioner) not in {(s.start, s.practitioner) for s in after}
    assert after == _from_database()


def test_a_booking_months_away_keeps_the_memory(demo, client_named, engine_runs):
    # given
    before = _search()
    runs = len(engine_runs)
    # when: a booking outside the searched days (the calendar's clock moves)
    _book(client_named, london("2027-06-02", "10:00"))
    # then: the busy time of the window is unchanged, so memory still answers
    assert _search() == before
    assert len(engine_runs) == runs


def test_a_cancellation_frees_the_slot_again(demo, client_named):
    # given: a booked first slot, searched while booked
    slot = _search()[0]
    appointment = _book(client_named, slot.start, slot.practitioner)
    booked = _search()
    # when
    services.appointment_cancel(actor=None, appointment=appointment)
    # then
    freed = _search()
    assert slot in freed
    assert slot not in booked
    assert freed == _from_database()


def test_a_hold_inside_the_window_is_seen(demo):
    # given
    slot = _search()[0]
    # when: the portal holds that practitioner's slot
    services.slot_hold(
        actor=None,
        treatment=_treatment(),
        site=Site.objects.get(code=slot.site),
        start=slot.start,
        minutes=15,
        purpose="test",
        practitioner=Practitioner.objects.get(code=slot.practitioner),
    )
    # then
    after = _search()
    assert slot not in after
    assert after == _from_database()


def test_an_absence_is_seen_at_once(demo):
    # given: a practitioner offered on the window's first open day
    slot = _search()[0]
    day = slot.start.date()
    # when: they are away that day
    Absence.objects.create(
        practitioner=Practitioner.objects.get(code=slot.practitioner),
        starts_at=london(day.isoformat(), "00:00"),
        ends_at=london((day + dt.timedelta(days=1)).isoformat(), "00:00"),
    )
    # then
    after = _search()
    assert not [s for s in after if s.practitioner == slot.practitioner and s.start.date() == day]
    assert after == _from_database()


def test_a_longer_treatment_is_seen_at_once(demo):
    # given
    before = _search()
    # when: the clinic makes the treatment longer
    Treatment.objects.filter(code="face-revitalise").update(
        treatment_minutes=_treatment().treatment_minutes + 30
    )
    # then: every slot ends 30 minutes later than before
    after = _search()
    assert after == _from_database()
    assert after[0].end - after[0].treatment_start == (
        before[0].end - before[0].treatment_start + dt.timedelta(minutes=30)
    )


def test_a_lapsed_registration_is_seen_at_once(demo):
    # given: a practitioner offered in the window
    slot = _search()[0]
    # when: their registration lapses before it
    Practitioner.objects.filter(code=slot.practitioner).update(
        registration_expires_on=dt.date(2027, 2, 20)
    )
    # then
    after = _search()
    assert slot.practitioner not in {s.practitioner for s in after}
    assert after == _from_database()


def test_a_new_grid_is_seen_at_once(demo, settings):
    # given
    before = _search()
    # when
    settings.MESOCLINIC = {**settings.MESOCLINIC, "SLOT_GRID_MINUTES": 30}
    # then
    after = _search()
    assert after == _from_database()
    assert len(after) < len(before)
    assert {s.start.minute for s in after} <= {0, 30}


def test_the_clock_reaching_the_window_drops_the_passed_starts(demo, monkeypatch):
    # given: today's search at 08:00 (the fixed "now")
    today = {"date_from": NOW.date(), "date_to": NOW.date()}
    morning = _search(**today)
    assert morning
    # when: it is 13:00
    later = NOW + dt.timedelta(hours=5)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)
    # then
    afternoon = _search(**today)
    assert afternoon == [s for s in morning if s.start >= later]
    assert len(afternoon) < len(morning)


def test_inside_a_transaction_the_engine_always_runs(demo, engine_runs):
    # given
    _search()
    runs = len(engine_runs)
    # when
    with transaction.atomic():
        _search()
        _search()
    # then
    assert len(engine_runs) >= runs + 2


def test_a_long_answer_is_not_remembered(demo, engine_runs, monkeypatch):
    # given: answers of more than ten slots are too long to keep
    monkeypatch.setattr(availability, "REMEMBERED_SLOTS", 10)
    long_answer = _search()
    assert len(long_answer) > 10
    runs = len(engine_runs)
    # when/then: asked again, the engine runs again; a ten-slot page is remembered
    assert _search() == long_answer
    assert len(engine_runs) > runs
    _search(limit=10)
    runs = len(engine_runs)
    _search(limit=10)
    assert len(engine_runs) == runs


def test_public_holidays_follow_the_site_row_the_caller_read(demo):
    # given: a window with Good Friday and Easter Monday 2027, searched for a site that
    # keeps no country's holidays
    easter = {"date_from": dt.date(2027, 3, 25), "date_to": dt.date(2027, 3, 30)}
    site = Site.objects.get(code="london")
    site.holiday_country = ""
    open_every_day = _search(site=site, **easter)
    # when: the same search for the row as it is now (England's holidays)
    site.holiday_country = "GB"
    site.holiday_subdivision = "ENG"
    with_holidays = _search(site=site, **easter)
    # then: no slot on either holiday, as a fresh search says
    holidays = {dt.date(2027, 3, 26), dt.date(2027, 3, 29)}
    assert holidays <= {slot.start.date() for slot in open_every_day}
    assert not holidays & {slot.start.date() for slot in with_holidays}
    assert with_holidays == _from_database(site=site, **easter)


def test_a_remembered_answer_cannot_be_changed_by_a_caller(demo):
    # given: a remembered search's columns
    parts = selectors.availability_tables(treatment=_treatment(), limit=5, **MARCH)
    # when/then: changing one in place is refused, so later answers stay as searched
    with pytest.raises(ValueError, match="read-only"):
        parts[0].table.starts[0] = 0
    assert (
        selectors.availability_tables(treatment=_treatment(), limit=5, **MARCH)[0].table.starts[0]
        == parts[0].table.starts[0]
    )
