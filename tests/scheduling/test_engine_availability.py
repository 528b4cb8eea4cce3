"""Tests of the pure availability engine (no Django): examples plus Hypothesis properties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.scheduling.engine import (
    AvailabilityQuery,
    CourseCalendar,
    Lounge,
    OpenInterval,
    PractitionerCalendar,
    Resource,
    Slot,
    TreatmentTiming,
    compute_availability,
    find_slots,
    naive_find_slots,
)

DAY_MINUTES = 1440
FIRST_DAY = date(2027, 3, 1).toordinal()  # a Monday
EPOCH_DAY = date(1970, 1, 1).toordinal()


def at(day: int, clock: str) -> int:
    """Epoch minute of ``clock`` (HH:MM) on day ``day`` after FIRST_DAY (UTC clinic)."""
    hours, minutes = clock.split(":")
    return (FIRST_DAY + day - EPOCH_DAY) * DAY_MINUTES + int(hours) * 60 + int(minutes)


def opening(day: int, start: str, end: str) -> OpenInterval:
    """An opening interval of day ``day`` (local time = UTC here)."""
    begin = at(day, start)
    return OpenInterval(begin, at(day, end), FIRST_DAY + day, begin - at(day, "00:00"))


def interval(day: int, start: str, end: str) -> tuple[int, int]:
    return at(day, start), at(day, end)


def clinic(
    *,
    timing: TreatmentTiming,
    open_intervals: Sequence[OpenInterval] = (),
    practitioners: Sequence[PractitionerCalendar] = (),
    rooms: Sequence[Resource] = (Resource("room-1"),),
    devices: Sequence[Resource] = (),
    lounge: Lounge | None = None,
    grid_minutes: int = 15,
    not_before: int | None = None,
    limit: int | None = None,
) -> AvailabilityQuery:
    """A query with sensible defaults: one day open 09:00–12:00, one practitioner."""
    return AvailabilityQuery(
        timing=timing,
        open_intervals=open_intervals or (opening(0, "09:00", "12:00"),),
        practitioners=practitioners
        or (PractitionerCalendar("dr-a", [interval(0, "09:00", "12:00")]),),
        rooms=rooms,
        devices=devices,
        lounge=lounge,
        grid_minutes=grid_minutes,
        not_before=not_before,
        limit=limit,
    )


def starts(slots: Sequence[Slot]) -> list[str]:
    """Slot starts as HH:MM (day 0) for readable assertions."""
    return [
        f"{(slot.start - at(0, '00:00')) // 60:02d}:{(slot.start - at(0, '00:00')) % 60:02d}"
        for slot in slots
    ]


# --- examples -------------------------------------------------------------------------


def test_slots_start_on_the_grid_and_end_inside_opening_hours():
    # given a 30-minute treatment without numbing, open 09:00-10:30
    query = clinic(timing=TreatmentTiming(30), open_intervals=[opening(0, "09:00", "10:30")])

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert slots[-1] == Slot(at(0, "10:00"), at(0, "10:00"), at(0, "10:30"), "dr-a", "room-1", None)


def test_grid_is_aligned_to_the_start_of_each_opening_interval():
    # given opening intervals that start off the quarter hour
    query = clinic(
        timing=TreatmentTiming(20),
        open_intervals=[opening(0, "09:10", "09:50"), opening(0, "11:05", "11:40")],
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:10", "09:25", "11:05", "11:20"]


def test_slot_has_numbing_phase_then_treatment_phase():
    # given 30 minutes of numbing and 30 of treatment
    query = clinic(
        timing=TreatmentTiming(30, numbing_minutes=30),
        open_intervals=[opening(0, "09:00", "10:00")],
    )

    # when
    slots = find_slots(query)

    # then
    assert slots == [Slot(at(0, "09:00"), at(0, "09:30"), at(0, "10:00"), "dr-a", "room-1", None)]


def test_practitioner_is_free_while_the_client_numbs():
    # given the practitioner is busy 09:00-09:30, during the numbing of a 09:00 arrival
    practitioner = PractitionerCalendar(
        "dr-a", [interval(0, "09:00", "12:00")], busy=[interval(0, "09:00", "09:30")]
    )
    query = clinic(
        timing=TreatmentTiming(30, numbing_minutes=30),
        open_intervals=[opening(0, "09:00", "10:00")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00"]


def test_treatment_must_be_inside_working_hours_but_numbing_need_not():
    # given the practitioner starts work at 09:30 while the clinic opens at 09:00
    practitioner = PractitionerCalendar("dr-a", [interval(0, "09:30", "10:30")])
    query = clinic(
        timing=TreatmentTiming(30, numbing_minutes=30),
        open_intervals=[opening(0, "09:00", "11:00")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00", "09:15", "09:30"]


def test_busy_practitioner_blocks_every_overlapping_start():
    # given a booking 10:00-10:30 and a 30-minute treatment
    practitioner = PractitionerCalendar(
        "dr-a", [interval(0, "09:00", "12:00")], busy=[interval(0, "10:00", "10:30")]
    )
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "11:30")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00", "09:15", "09:30", "10:30", "10:45", "11:00"]


def test_treatment_length_off_the_grid_is_checked_to_the_minute():
    # given a 20-minute treatment on a 15-minute grid and a booking from 09:50
    practitioner = PractitionerCalendar(
        "dr-a", [interval(0, "09:00", "12:00")], busy=[interval(0, "09:50", "10:05")]
    )
    query = clinic(
        timing=TreatmentTiming(20),
        open_intervals=[opening(0, "09:00", "10:45")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then 09:30-09:50 touches the booking without overlapping; 10:00 overlaps its end
    assert starts(slots) == ["09:00", "09:15", "09:30", "10:15"]


def test_buffer_keeps_practitioner_and_room_after_treatment_but_not_the_device():
    # given a 10-minute buffer; practitioner and room are free, device busy from 10:00
    query = clinic(
        timing=TreatmentTiming(30, buffer_minutes=10, needs_device=True),
        open_intervals=[opening(0, "09:00", "10:00")],
        devices=[Resource("gun-1", busy=[interval(0, "10:00", "11:00")])],
    )
    blocked_room = clinic(
        timing=TreatmentTiming(30, buffer_minutes=10),
        open_intervals=[opening(0, "09:00", "10:00")],
        rooms=[Resource("room-1", busy=[interval(0, "10:05", "11:00")])],
    )

    # when
    device_slots = find_slots(query)
    room_slots = find_slots(blocked_room)

    # then the device is free right up to 10:00; the room needs 10:00-10:10 for the buffer
    assert starts(device_slots) == ["09:00", "09:15", "09:30"]
    assert starts(room_slots) == ["09:00", "09:15"]


def test_buffer_need_not_fit_inside_opening_hours():
    # given a 15-minute buffer and closing at 10:00
    query = clinic(
        timing=TreatmentTiming(30, buffer_minutes=15), open_intervals=[opening(0, "09:00", "10:00")]
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots)[-1] == "09:30"


def test_first_free_room_is_chosen_in_the_order_given():
    # given room-1 busy 09:00-09:30 and room-2 always free
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "10:00")],
        rooms=[Resource("room-1", busy=[interval(0, "09:00", "09:30")]), Resource("room-2")],
    )

    # when
    slots = find_slots(query)

    # then
    assert [(start, slot.room) for start, slot in zip(starts(slots), slots, strict=True)] == [
        ("09:00", "room-2"),
        ("09:15", "room-2"),
        ("09:30", "room-1"),
    ]


def test_no_slot_when_every_room_is_taken():
    # given the only room busy all morning
    query = clinic(
        timing=TreatmentTiming(30), rooms=[Resource("room-1", busy=[interval(0, "08:00", "13:00")])]
    )

    # when
    slots = find_slots(query)

    # then
    assert slots == []


def test_device_of_the_required_type_is_booked_when_the_treatment_needs_one():
    # given two devices, the first busy 09:00-09:30
    query = clinic(
        timing=TreatmentTiming(30, needs_device=True),
        open_intervals=[opening(0, "09:00", "10:00")],
        devices=[Resource("pen-1", busy=[interval(0, "09:00", "09:30")]), Resource("pen-2")],
    )

    # when
    slots = find_slots(query)

    # then
    assert [slot.device for slot in slots] == ["pen-2", "pen-2", "pen-1"]


def test_treatment_needing_a_device_has_no_slot_without_devices():
    # given no device of the type
    query = clinic(timing=TreatmentTiming(30, needs_device=True))

    # when
    slots = find_slots(query)

    # then
    assert slots == []


def test_treatment_without_device_gets_none_even_if_devices_are_passed():
    # given devices that are all busy
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "09:30")],
        devices=[Resource("pen-1", busy=[interval(0, "08:00", "13:00")])],
    )

    # when
    slots = find_slots(query)

    # then
    assert slots == [Slot(at(0, "09:00"), at(0, "09:00"), at(0, "09:30"), "dr-a", "room-1", None)]


def test_lounge_at_capacity_blocks_arrivals_that_would_numb_then():
    # given a lounge of 2 places, two clients numbing 09:20-09:50 and one 09:50-10:20
    lounge = Lounge(
        2,
        [
            interval(0, "09:20", "09:50"),
            interval(0, "09:20", "09:50"),
            interval(0, "09:50", "10:20"),
        ],
    )
    query = clinic(
        timing=TreatmentTiming(30, numbing_minutes=30),
        open_intervals=[opening(0, "09:00", "11:00")],
        lounge=lounge,
    )

    # when
    slots = find_slots(query)

    # then arrivals whose numbing meets 09:20-09:50 are refused; from 09:50 one place is free
    assert starts(slots) == ["10:00"]


def test_treatment_without_numbing_ignores_a_full_lounge():
    # given a full lounge but no numbing
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "09:30")],
        lounge=Lounge(1, [interval(0, "08:00", "13:00")]),
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00"]


def test_touching_working_intervals_count_as_one():
    # given working time split at 10:00 into touching pieces
    practitioner = PractitionerCalendar(
        "dr-a", [interval(0, "10:00", "11:00"), interval(0, "09:00", "10:00")]
    )
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:45", "10:15")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then the 09:45-10:15 treatment spans both pieces
    assert starts(slots) == ["09:45"]


def test_touching_opening_intervals_merge_only_within_one_local_day():
    # given 09:00-10:00 + 10:00-11:00 on one day, and two days touching at midnight
    same_day = clinic(
        timing=TreatmentTiming(60),
        open_intervals=[opening(0, "09:00", "10:00"), opening(0, "10:00", "11:00")],
        practitioners=[PractitionerCalendar("dr-a", [interval(0, "00:00", "23:59")])],
    )
    midnight = at(1, "00:00")
    across_days = clinic(
        timing=TreatmentTiming(60),
        open_intervals=[
            OpenInterval(midnight - 30, midnight, FIRST_DAY, 1410),
            OpenInterval(midnight, midnight + 30, FIRST_DAY + 1, 0),
        ],
        practitioners=[PractitionerCalendar("dr-a", [(midnight - 600, midnight + 600)])],
        grid_minutes=30,
    )

    # when
    merged = find_slots(same_day)
    not_merged = find_slots(across_days)

    # then
    assert starts(merged) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert not_merged == []


def test_overlapping_opening_intervals_are_rejected():
    # given two opening intervals that overlap
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "10:00"), opening(0, "09:30", "11:00")],
    )

    # when / then
    with pytest.raises(ValueError, match="overlap"):
        find_slots(query)


def test_not_before_drops_earlier_starts_without_moving_the_grid():
    # given "now" is 09:20
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "10:30")],
        not_before=at(0, "09:20"),
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:30", "09:45", "10:00"]


def test_slots_are_sorted_by_start_then_practitioner_order_and_limited():
    # given two practitioners listed b before a
    working = [interval(0, "09:00", "12:00")]
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "10:00")],
        practitioners=[
            PractitionerCalendar("dr-b", working),
            PractitionerCalendar("dr-a", working),
        ],
        limit=3,
    )

    # when
    slots = find_slots(query)

    # then
    assert [
        (start, slot.practitioner) for start, slot in zip(starts(slots), slots, strict=True)
    ] == [
        ("09:00", "dr-b"),
        ("09:00", "dr-a"),
        ("09:15", "dr-b"),
    ]


def test_limit_zero_returns_nothing():
    # given
    query = clinic(timing=TreatmentTiming(30), limit=0)

    # when
    slots = find_slots(query)

    # then
    assert slots == []


def test_empty_and_reversed_busy_intervals_are_ignored():
    # given a zero-length and a reversed busy interval
    practitioner = PractitionerCalendar(
        "dr-a",
        [interval(0, "09:00", "12:00")],
        busy=[interval(0, "09:10", "09:10"), interval(0, "09:40", "09:20")],
    )
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "09:45")],
        practitioners=[practitioner],
    )

    # when
    slots = find_slots(query)

    # then
    assert starts(slots) == ["09:00", "09:15"]


def test_opening_intervals_on_different_grid_phases_keep_their_own_alignment():
    # given day 0 opens 09:00 and day 1 opens 09:10 (a 5-minute phase difference)
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "09:45"), opening(1, "09:10", "09:55")],
        practitioners=[
            PractitionerCalendar(
                "dr-a", [interval(0, "09:00", "10:00"), interval(1, "09:00", "10:00")]
            )
        ],
    )

    # when
    slots = find_slots(query)

    # then
    assert [slot.start for slot in slots] == [
        at(0, "09:00"),
        at(0, "09:15"),
        at(1, "09:10"),
        at(1, "09:25"),
    ]


def test_availability_grid_answers_per_practitioner_and_per_day():
    # given two days, dr-a busy on day 0 09:00-10:00
    working = [interval(0, "09:00", "11:00"), interval(1, "09:00", "11:00")]
    query = clinic(
        timing=TreatmentTiming(60),
        open_intervals=[opening(0, "09:00", "11:00"), opening(1, "09:00", "11:00")],
        practitioners=[
            PractitionerCalendar("dr-a", working, busy=[interval(0, "09:00", "10:00")]),
            PractitionerCalendar("dr-b", [interval(1, "09:00", "10:00")]),
        ],
        grid_minutes=30,
    )

    # when
    grid = compute_availability(query)

    # then
    assert grid.free_starts("dr-a") == [
        at(0, "10:00"),
        at(1, "09:00"),
        at(1, "09:30"),
        at(1, "10:00"),
    ]
    assert grid.free_starts("dr-b") == [at(1, "09:00")]
    assert grid.bookable_days() == [FIRST_DAY, FIRST_DAY + 1]
    assert [grid.cells.time_of(cell) for cell in grid.day_cells(0, FIRST_DAY)] == [at(0, "10:00")]
    assert grid.day_cells(1, FIRST_DAY) == []
    assert grid.practitioners_on(FIRST_DAY) == ["dr-a"]
    assert grid.slots(cells=grid.cells.cells_by_day[FIRST_DAY + 1], limit=2) == [
        Slot(at(1, "09:00"), at(1, "09:00"), at(1, "10:00"), "dr-a", "room-1", None),
        Slot(at(1, "09:00"), at(1, "09:00"), at(1, "10:00"), "dr-b", "room-1", None),
    ]


def test_course_calendar_from_grid_gives_local_day_and_time_of_day():
    # given a clinic whose local time is UTC+1 (opening 09:00 local = 08:00 UTC)
    start = at(0, "08:00")
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[OpenInterval(start, start + 60, FIRST_DAY, 540)],
        practitioners=[PractitionerCalendar("dr-a", [(start, start + 60)])],
        grid_minutes=30,
    )

    # when
    calendar = CourseCalendar.from_grid(compute_availability(query))

    # then
    assert calendar.bookable_days == frozenset({FIRST_DAY})
    assert [(option.day, option.minute_of_day) for option in calendar.options_on(FIRST_DAY)] == [
        (FIRST_DAY, 540),
        (FIRST_DAY, 570),
    ]
    assert calendar.options_on(FIRST_DAY + 1) == ()


def test_course_calendar_from_grid_builds_options_per_practitioner():
    # given two practitioners, dr-b only from 09:30
    query = clinic(
        timing=TreatmentTiming(30),
        open_intervals=[opening(0, "09:00", "10:00")],
        practitioners=[
            PractitionerCalendar("dr-a", [interval(0, "09:00", "10:00")]),
            PractitionerCalendar("dr-b", [interval(0, "09:30", "10:00")]),
        ],
        grid_minutes=30,
    )
    calendar = CourseCalendar.from_grid(compute_availability(query))

    # when
    practitioners = calendar.practitioners_on(FIRST_DAY)
    dr_b = calendar.options_of(FIRST_DAY, "dr-b")

    # then
    assert practitioners == ("dr-a", "dr-b")
    assert [(option.minute_of_day, option.slot) for option in dr_b] == [
        (570, Slot(at(0, "09:30"), at(0, "09:30"), at(0, "10:00"), "dr-b", "room-1", None))
    ]
    assert [
        option for option in calendar.options_on(FIRST_DAY) if option.practitioner == "dr-b"
    ] == list(dr_b)


def test_course_calendar_from_grid_reads_local_times_across_stretches_and_skips_full_days():
    # given a clinic on UTC-5 open 09:00-12:00 and 13:00-15:00 local for three days; the
    # practitioner is busy all of the middle day
    def local_opening(day: int, opens: str, closes: str) -> OpenInterval:
        begin, end = at(day, opens) + 300, at(day, closes) + 300
        return OpenInterval(begin, end, FIRST_DAY + day, at(day, opens) - at(day, "00:00"))

    opens = [
        local_opening(day, *hours)
        for day in range(3)
        for hours in (("09:00", "12:00"), ("13:00", "15:00"))
    ]
    query = clinic(
        timing=TreatmentTiming(60),
        open_intervals=opens,
        practitioners=[
            PractitionerCalendar(
                "dr-a",
                [(opening.start, opening.end) for opening in opens],
                busy=[(opens[2].start, opens[3].end)],
            )
        ],
        grid_minutes=60,
    )

    # when
    calendar = CourseCalendar.from_grid(compute_availability(query))

    # then
    assert calendar.bookable_days == frozenset({FIRST_DAY, FIRST_DAY + 2})
    assert [option.minute_of_day for option in calendar.options_on(FIRST_DAY + 2)] == [
        540,
        600,
        660,
        780,
        840,
    ]
    assert [option.slot.start - 300 for option in calendar.options_of(FIRST_DAY, "dr-a")] == [
        at(0, clock) for clock in ("09:00", "10:00", "11:00", "13:00", "14:00")
    ]
    assert calendar.options_on(FIRST_DAY + 1) == ()


def test_fast_search_matches_the_naive_scan_on_a_busy_clinic_day():
    # given three practitioners, two rooms, a device and a lounge on a busy day
    working = [interval(0, "09:00", "13:00"), interval(0, "14:00", "18:00")]
    query = clinic(
        timing=TreatmentTiming(40, numbing_minutes=30, buffer_minutes=10, needs_device=True),
        open_intervals=[opening(0, "08:30", "13:00"), opening(0, "14:00", "18:30")],
        practitioners=[
            PractitionerCalendar(
                "dr-a", working, busy=[interval(0, "09:30", "10:20"), interval(0, "15:00", "16:00")]
            ),
            PractitionerCalendar("dr-b", working[:1], busy=[interval(0, "11:00", "11:50")]),
            PractitionerCalendar("dr-c", working, busy=[interval(0, "09:00", "18:00")]),
        ],
        rooms=[
            Resource("room-1", busy=[interval(0, "09:30", "10:20"), interval(0, "16:00", "17:00")]),
            Resource("room-2", busy=[interval(0, "11:00", "11:50")]),
        ],
        devices=[Resource("gun-1", busy=[interval(0, "10:00", "10:40")])],
        lounge=Lounge(1, [interval(0, "09:00", "09:30"), interval(0, "10:30", "11:00")]),
    )

    # when
    fast = find_slots(query)

    # then (derived by hand: lounge, device, rooms and each practitioner's hours)
    assert fast == naive_find_slots(query)
    assert [
        (start, slot.practitioner, slot.room)
        for start, slot in zip(starts(fast), fast, strict=True)
    ] == [
        ("08:30", "dr-b", "room-2"),
        ("11:00", "dr-a", "room-1"),
        ("11:15", "dr-a", "room-1"),
        ("11:30", "dr-a", "room-1"),
        ("11:30", "dr-b", "room-1"),
        ("11:45", "dr-a", "room-1"),
        ("11:45", "dr-b", "room-1"),
        ("15:30", "dr-a", "room-2"),
        ("15:45", "dr-a", "room-2"),
        ("16:00", "dr-a", "room-2"),
        ("16:15", "dr-a", "room-2"),
        ("16:30", "dr-a", "room-1"),
        ("16:45", "dr-a", "room-1"),
    ]
    assert {slot.device for slot in fast} == {"gun-1"}


# --- properties -----------------------------------------------------------------------

BASE = at(0, "00:00")


def _spans(draw: st.DrawFn, count: st.SearchStrategy[int], days: int) -> list[tuple[int, int]]:
    """Random intervals around opening hours; some empty or reversed."""
    result = []
    for _ in range(draw(count)):
        day = draw(st.integers(0, days - 1))
        start = BASE + day * DAY_MINUTES + draw(st.integers(7 * 60, 13 * 60))
        result.append((start, start + draw(st.integers(-5, 90))))
    return result


def _working(draw: st.DrawFn, days: int) -> list[tuple[int, int]]:
    """A working block on most days (sometimes split, touching or not), plus noise."""
    working = _spans(draw, st.integers(0, 2), days)
    for day in range(days):
        if draw(st.integers(0, 9)) < 8:
            start = BASE + day * DAY_MINUTES + draw(st.integers(7 * 60, 9 * 60))
            end = start + draw(st.integers(30, 5 * 60))
            split = draw(st.integers(start, end))
            working += [(start, split), (split + draw(st.sampled_from([0, 0, 10])), end)]
    return working


@st.composite
def queries(draw: st.DrawFn, *, busy_lounge: bool = False) -> AvailabilityQuery:
    """Small random clinics: 1-2 days, odd grids, split and misaligned opening hours.

    ``busy_lounge`` forces numbing and a lounge with several occupied places.
    """
    days = draw(st.integers(1, 2))
    open_intervals = []
    for day in range(days):
        local = draw(st.integers(8 * 60, 9 * 60))
        end = local + draw(st.integers(0, 240))
        open_intervals.append(
            OpenInterval(
                BASE + day * DAY_MINUTES + local,
                BASE + day * DAY_MINUTES + end,
                FIRST_DAY + day,
                local,
            )
        )
        if draw(st.booleans()):
            start = end + draw(st.sampled_from([0, 0, 5, 30]))
            length = draw(st.integers(1, 120))
            open_intervals.append(
                OpenInterval(
                    BASE + day * DAY_MINUTES + start,
                    BASE + day * DAY_MINUTES + start + length,
                    FIRST_DAY + day,
                    start,
                )
            )
    timing = TreatmentTiming(
        draw(st.integers(1, 45)),
        numbing_minutes=draw(st.sampled_from([20, 30, 5] if busy_lounge else [20, 0, 30, 5])),
        buffer_minutes=draw(st.sampled_from([0, 0, 5, 13])),
        needs_device=draw(st.booleans()),
    )
    practitioners = [
        PractitionerCalendar(
            f"dr-{index}", _working(draw, days), _spans(draw, st.integers(0, 4), days)
        )
        for index in range(draw(st.integers(1, 3)))
    ]
    rooms = [
        Resource(f"room-{index}", _spans(draw, st.integers(0, 4), days))
        for index in range(draw(st.integers(1, 3)))
    ]
    devices = [
        Resource(f"pen-{index}", _spans(draw, st.integers(0, 3), days))
        for index in range(draw(st.integers(0, 2)))
    ]
    lounge = None
    if busy_lounge or draw(st.booleans()):
        occupied = _spans(draw, st.integers(4 if busy_lounge else 0, 12), days)
        lounge = Lounge(draw(st.sampled_from([1, 2, 3, 0])), occupied)
    not_before = None
    if draw(st.integers(0, 3)) == 3:
        not_before = draw(st.integers(BASE + 8 * 60, BASE + DAY_MINUTES + 10 * 60))
    return AvailabilityQuery(
        timing=timing,
        open_intervals=open_intervals,
        practitioners=practitioners,
        rooms=rooms,
        devices=devices,
        lounge=lounge,
        grid_minutes=draw(st.sampled_from([5, 7, 10, 15, 30])),
        not_before=not_before,
        limit=draw(st.integers(0, 6)) if draw(st.integers(0, 3)) == 3 else None,
    )


PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _covered(start: int, end: int, intervals: Sequence[tuple[int, int]]) -> bool:
    """Every minute of [start, end) is inside some interval (minute by minute)."""
    return all(any(low <= minute < high for low, high in intervals) for minute in range(start, end))


def _overlap(start: int, end: int, busy: Sequence[tuple[int, int]]) -> bool:
    return any(low < high and low < end and start < high for low, high in busy)


def _by_code(resources: Sequence[Resource], code: str | None) -> Resource:
    return next(resource for resource in resources if resource.code == code)


@PROPERTY_SETTINGS
@given(queries() | queries(busy_lounge=True))
def test_fast_search_equals_naive_reference(query: AvailabilityQuery):
    # given a random small clinic (from the strategy)
    # when
    fast = find_slots(query)

    # then
    assert fast == naive_find_slots(query)


@PROPERTY_SETTINGS
@given(queries() | queries(busy_lounge=True))
def test_busy_time_as_arrays_gives_the_same_slots_and_slot_table(query: AvailabilityQuery):
    # given the same random clinic with busy time as tuples and as arrays
    arrays = query.with_busy_arrays()

    # when
    slots = find_slots(query)
    table = compute_availability(arrays).table(limit=query.limit)

    # then
    assert find_slots(arrays) == slots
    assert naive_find_slots(arrays) == slots
    assert len(table) == len(slots)
    assert table.slots() == slots
    combinations = set(
        zip(
            table.resources.tolist(),
            table.practitioners.tolist(),
            table.rooms.tolist(),
            table.devices.tolist(),
            strict=True,
        )
    )
    # equal numbers exactly when practitioner, room and device are equal
    assert len(combinations) == len({number for number, *_ in combinations})
    assert len(combinations) == len({tuple(codes) for _, *codes in combinations})


@PROPERTY_SETTINGS
@given(queries())
def test_no_slot_overlaps_a_busy_interval_of_its_resources(query: AvailabilityQuery):
    # given a random small clinic
    buffer = query.timing.buffer_minutes
    practitioners = {practitioner.code: practitioner for practitioner in query.practitioners}

    # when
    slots = find_slots(query)

    # then
    for slot in slots:
        assert not _overlap(
            slot.treatment_start, slot.end + buffer, practitioners[slot.practitioner].busy
        )
        assert not _overlap(
            slot.treatment_start, slot.end + buffer, _by_code(query.rooms, slot.room).busy
        )
        if query.timing.needs_device:
            assert not _overlap(
                slot.treatment_start, slot.end, _by_code(query.devices, slot.device).busy
            )
        else:
            assert slot.device is None


@PROPERTY_SETTINGS
@given(queries())
def test_every_slot_lies_inside_opening_and_working_hours_on_the_grid(query: AvailabilityQuery):
    # given a random small clinic
    timing = query.timing
    practitioners = {practitioner.code: practitioner for practitioner in query.practitioners}

    # when
    slots = find_slots(query)

    # then
    for slot in slots:
        assert slot.treatment_start == slot.start + timing.numbing_minutes
        assert slot.end == slot.treatment_start + timing.treatment_minutes
        assert query.not_before is None or slot.start >= query.not_before
        day = next(
            opening.day
            for opening in query.open_intervals
            if opening.start <= slot.start < opening.end
        )
        day_openings = [
            (opening.start, opening.end) for opening in query.open_intervals if opening.day == day
        ]
        assert _covered(slot.start, slot.end, day_openings)
        stretch_start = _stretch_start(day_openings, slot.start)
        assert (slot.start - stretch_start) % query.grid_minutes == 0
        assert _covered(slot.treatment_start, slot.end, practitioners[slot.practitioner].working)


def _stretch_start(openings: list[tuple[int, int]], moment: int) -> int:
    """Start of the run of touching opening intervals containing ``moment``."""
    start = next(low for low, high in openings if low <= moment < high)
    while True:
        previous = next((low for low, high in openings if high == start and low < start), None)
        if previous is None:
            return start
        start = previous


@PROPERTY_SETTINGS
@given(queries(busy_lounge=True))
def test_lounge_capacity_is_never_exceeded(query: AvailabilityQuery):
    # given a random small clinic
    lounge = query.lounge

    # when
    slots = find_slots(query)

    # then
    if lounge is None:
        return
    for slot in slots:
        for minute in range(slot.start, slot.treatment_start):
            occupied = sum(1 for low, high in lounge.occupied if low <= minute < high)
            assert occupied + 1 <= lounge.capacity


@PROPERTY_SETTINGS
@given(queries())
def test_slots_are_unique_and_sorted_by_start_then_practitioner(query: AvailabilityQuery):
    # given a random small clinic
    order = {practitioner.code: index for index, practitioner in enumerate(query.practitioners)}

    # when
    slots = find_slots(query)

    # then
    keys = [(slot.start, order[slot.practitioner]) for slot in slots]
    assert keys == sorted(set(keys))
    assert query.limit is None or len(slots) <= query.limit
