"""W7's calendar and its two loaders: the generated calendar is exclusive and on the grid,
mesoclinic's selector on the loaded calendar returns exactly the free slots a naive scan of
the calendar finds, and (where the bench-only environment exists) so does
django-appointment's."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise

import pytest

from bench import w7
from mesoclinic.scheduling.models import Appointment

FIRST = dt.date(2027, 3, 1)  # a Monday; the window crosses the clocks going forward


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def naive_free(
    calendar: list[tuple[int, str, str]], staff: list[int], days: list[str]
) -> list[tuple[int, str]]:
    """Every grid start of a working day whose 45 minutes touch no appointment."""
    busy: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, day, start in calendar:
        busy[(index, day)].append(_minutes(start))
    opens, closes = w7.OPENS.hour * 60, w7.CLOSES.hour * 60
    free = []
    for index in staff:
        for day in days:
            for start in range(opens, closes - w7.SERVICE_MINUTES + 1, w7.GRID_MINUTES):
                end = start + w7.SERVICE_MINUTES
                if all(
                    end <= other or other + w7.SERVICE_MINUTES <= start
                    for other in busy[(index, day)]
                ):
                    free.append((index, f"{day}T{start // 60:02d}:{start % 60:02d}"))
    return sorted(free)


@pytest.mark.pure
@pytest.mark.parametrize("count", [2_000, 20_000])
def test_the_calendar_holds_count_appointments_on_the_grid_without_overlaps(count):
    calendar = w7.make_calendar(FIRST, count)

    assert len(calendar) == count
    assert w7.make_calendar(FIRST, count) == calendar  # seeded
    working = {day.isoformat() for day in w7.working_days(FIRST, w7.SPAN_DAYS)}
    per_staff_day: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, day, start in calendar:
        minute = _minutes(start)
        assert 0 <= index < w7.STAFF
        assert day in working
        assert minute % w7.GRID_MINUTES == 0
        assert w7.OPENS.hour * 60 <= minute <= w7.CLOSES.hour * 60 - w7.SERVICE_MINUTES
        per_staff_day[(index, day)].append(minute)
    for starts in per_staff_day.values():
        starts.sort()
        assert all(b - a >= w7.SERVICE_MINUTES for a, b in pairwise(starts))
    loads = Counter(len(starts) for starts in per_staff_day.values())
    assert max(loads) - min(loads) <= 1  # each staff-day holds its share


@pytest.mark.pure
def test_a_calendar_that_cannot_fit_is_refused():
    with pytest.raises(ValueError, match="do not fit"):
        w7.make_calendar(FIRST, 40_000)


@pytest.mark.pure
def test_picked_slots_never_share_a_staff_day():
    slots = [
        [index, f"2027-03-0{day}T{hour:02d}:00"]
        for index in range(3)
        for day in (1, 2)
        for hour in (9, 10, 11)
    ]
    taken: set[tuple[int, str]] = set()

    first = w7.pick_slots(slots, 4, 1, taken)
    second = w7.pick_slots(slots, 4, 2, taken)

    keys = [(index, moment[:10]) for index, moment in first + second]
    assert len(first) == 4
    assert len(second) == 2  # six staff-days in all
    assert len(set(keys)) == len(keys)


@pytest.fixture
def loaded_world(db, monkeypatch):
    """A small W7 calendar loaded into mesoclinic, with "now" before the window."""
    monkeypatch.setattr(
        "mesoclinic.core.clock.now",
        lambda: dt.datetime.combine(FIRST - dt.timedelta(days=2), dt.time(9), tzinfo=dt.UTC),
    )
    calendar = w7.make_calendar(FIRST, 1_500)
    return calendar, w7._load_mesoclinic(calendar, clients=4)


def test_mesoclinic_returns_the_naive_free_slots_of_the_loaded_calendar(loaded_world):
    calendar, world = loaded_world
    asked = w7.queries(FIRST)

    for name in ("day", "60d", "all"):
        query = asked[name]
        assert w7._slots(world, query) == naive_free(calendar, query["staff"], query["days"]), name


def test_a_booking_takes_a_free_slot_and_the_second_racer_loses(loaded_world):
    calendar, world = loaded_world
    query = w7.queries(FIRST)["day"]
    index, moment = naive_free(calendar, [0], query["days"])[0]

    assert w7._book(world, index, moment, world["clients"][0]) == (201, "")
    status, refusal = w7._book(world, index, moment, world["clients"][1])
    assert (status, refusal.split(":")[0]) == (409, "slot_unavailable")
    assert (index, moment) not in w7._slots(world, query)


def test_each_staff_member_books_into_their_own_room(loaded_world):
    # The calendar pairs staff i with room i (the peer has no rooms): the first free room
    # could be another's, who would then find no room for a slot both sides showed free.
    calendar, world = loaded_world
    query = w7.queries(FIRST)["day"]
    free_for_first = {moment for _, moment in naive_free(calendar, [0], query["days"])}
    index, moment = next(  # staff 0's room is free too: the first free room in order
        (index, moment)
        for index, moment in naive_free(calendar, [1], query["days"])
        if moment in free_for_first
    )

    assert w7._book(world, index, moment, world["clients"][0]) == (201, "")
    booked = Appointment.objects.filter(practitioner=world["practitioners"][index]).latest("pk")
    assert booked.room == world["rooms"][index]


@pytest.mark.pure
def test_the_peer_returns_the_same_free_slots(tmp_path):
    python = w7.peer_python()
    if not python.exists():
        pytest.skip("the bench-only environment (.venv-peer) is made by `make bench`")
    first = w7.local_today() + dt.timedelta(days=1)
    calendar = w7.make_calendar(first, 2_000)
    asked = w7.queries(first)
    spec = {
        "database": str(tmp_path / "peer.sqlite3"),
        "time_zone": w7.TIME_ZONE,
        "staff": w7.STAFF,
        "opens": "08:00",
        "closes": "20:00",
        "weekdays": [(weekday + 1) % 7 for weekday in w7.WEEKDAYS],
        "service_minutes": w7.SERVICE_MINUTES,
        "grid_minutes": w7.GRID_MINUTES,
        "appointments": calendar,
        "queries": {"60d": {**asked["60d"], "repeat": 1, "warmup": 0}},
        "book": [[1, f"{asked['60d']['days'][3]}T12:00"]],
        "races": [[2, f"{asked['60d']['days'][3]}T12:00"]],
    }

    peer = w7.run_peer(spec)

    theirs = sorted((index, moment) for index, moment in peer["slots"]["60d"])
    assert theirs == naive_free(calendar, [0], asked["60d"]["days"])
    assert len(peer["booking"]) == 1
    assert peer["races"] == [2]  # it checks nothing: both racers get the slot
