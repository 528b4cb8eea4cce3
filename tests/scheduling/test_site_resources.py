"""A site's resources kept in memory (``scheduling.site_resources``): any write to the
tables they come from, by any path or connection, reaches the next search.

These tests commit (``transaction=True``): the cache answers only outside transactions.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Absence, OpeningHours, Practitioner, Room, Site
from mesoclinic.scheduling import busy, selectors, site_resources

from .conftest import london

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2027, 3, 1)  # a Monday


@pytest.fixture(autouse=True)
def empty_cache():
    site_resources.clear_cache()
    yield
    site_resources.clear_cache()


def _slots() -> list[selectors.AvailableSlot]:
    return selectors.availability_for(
        treatment=Treatment.objects.get(code="face-revitalise"), date_from=DAY, date_to=DAY
    )


def test_shorter_opening_hours_reach_the_next_search(demo):
    # given: a search that filled the cache
    before = _slots()
    assert max(slot.end for slot in before) > london("2027-03-01", "13:00")
    # when: Monday's hours end at 13:00 (a bulk update: no model signal)
    OpeningHours.objects.filter(site__code="london", weekday=0).update(closes=dt.time(13, 0))
    # then
    after = _slots()
    assert after
    assert max(slot.end for slot in after) <= london("2027-03-01", "13:00")


def test_an_absence_recorded_by_another_connection_reaches_the_next_search(demo):
    # given
    patel = Practitioner.objects.get(code="dr-patel")
    assert any(slot.practitioner == "dr-patel" for slot in _slots())

    def record_absence() -> None:
        try:
            Absence.objects.create(
                practitioner=patel,
                starts_at=london("2027-03-01", "00:00"),
                ends_at=london("2027-03-02", "00:00"),
                reason="Training",
            )
        finally:
            connection.close()

    # when: another thread (its own connection, as another worker's) records it
    worker = threading.Thread(target=record_absence)
    worker.start()
    worker.join()
    # then
    assert not any(slot.practitioner == "dr-patel" for slot in _slots())


def test_a_room_taken_out_of_use_is_no_longer_offered(demo):
    # given
    rooms = {slot.room for slot in _slots()}
    room = Room.objects.get(code=sorted(rooms)[0])
    # when
    room.active = False
    room.save()
    # then
    assert room.code not in {slot.room for slot in _slots()}


def test_the_cache_holds_each_site_once_per_revision(demo, django_assert_max_num_queries):
    # given
    site = Site.objects.get(code="london")
    site_resources.for_site(site)
    # when: read again with nothing changed
    with django_assert_max_num_queries(1):
        again = site_resources.for_site(site)
    # then: the one query is the clock's
    assert again is site_resources.for_site(site)


def test_day_frames_give_local_hours_in_epoch_minutes_either_side_of_the_clock_change(demo):
    # given: London's clocks go forward on Sunday 28 March 2027
    site = Site.objects.get(code="london")
    resources = site_resources.for_site(site)
    opening = OpeningHours.objects.get(site=site, weekday=4)
    patel = Practitioner.objects.get(code="dr-patel")
    patel_hours = resources.working_hours[patel.pk][4]
    for day in ("2027-03-26", "2027-04-02"):  # the Fridays before and after
        # when
        frame = resources.day_frame(dt.date.fromisoformat(day))
        # then: the same wall-clock hours, an hour apart in UTC
        assert [(interval.start, interval.end) for interval in frame.opening] == [
            (
                busy.minutes_of(london(day, opening.opens.isoformat())),
                busy.minutes_of(london(day, opening.closes.isoformat())),
            )
        ]
        assert frame.working[patel.pk] == tuple(
            (
                busy.minutes_of(london(day, starts.isoformat())),
                busy.minutes_of(london(day, ends.isoformat())),
            )
            for starts, ends in patel_hours
        )
    # and a weekday the site does not open has no frame to speak of
    closed_weekday = next(day for day in range(7) if day not in resources.opening_hours)
    sunday_or_so = DAY + dt.timedelta(days=closed_weekday)
    assert resources.day_frame(sunday_or_so) == site_resources.DayFrame((), {})
