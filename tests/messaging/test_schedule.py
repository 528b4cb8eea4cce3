"""The pure reminder schedule: wall-clock offsets across DST, the send window, retries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from mesoclinic.messaging.schedule import (
    SendWindow,
    into_window,
    local_to_utc,
    next_in_window,
    plan_appointment_messages,
    retry_delay,
    wall_clock_before,
)

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def test_reminders_keep_the_wall_clock_time_across_the_spring_change():
    # given a Monday 10:00 BST appointment the day after the clocks go forward (29 March 2026)
    start = dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    # when
    plan = plan_appointment_messages(start=start, tz=LONDON, now=now, preparation_hours=None)
    # then both reminders go at 10:00 local: Saturday in GMT, Sunday in BST
    assert [(m.label, m.send_at) for m in plan] == [
        ("48h", dt.datetime(2026, 3, 28, 10, 0, tzinfo=UTC)),
        ("24h", dt.datetime(2026, 3, 29, 9, 0, tzinfo=UTC)),
    ]
    assert start - plan[0].send_at == dt.timedelta(hours=47)


def test_reminders_keep_the_wall_clock_time_across_the_autumn_change():
    # given a Monday 10:00 GMT appointment the day after the clocks go back (25 October 2026)
    start = dt.datetime(2026, 10, 26, 10, 0, tzinfo=LONDON)
    now = dt.datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    # when
    plan = plan_appointment_messages(start=start, tz=LONDON, now=now, preparation_hours=None)
    # then
    assert [(m.label, m.send_at) for m in plan] == [
        ("48h", dt.datetime(2026, 10, 24, 9, 0, tzinfo=UTC)),
        ("24h", dt.datetime(2026, 10, 25, 10, 0, tzinfo=UTC)),
    ]
    assert start - plan[0].send_at == dt.timedelta(hours=49)
    assert all(m.send_at.astimezone(LONDON).hour == 10 for m in plan)


def test_a_time_in_the_spring_gap_moves_forward_and_an_ambiguous_one_takes_summer_time():
    skipped = dt.datetime(2026, 3, 29, 1, 30)  # noqa: DTZ001 - naive local wall time
    ambiguous = dt.datetime(2026, 10, 25, 1, 30)  # noqa: DTZ001 - naive local wall time
    assert local_to_utc(skipped, LONDON) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local_to_utc(ambiguous, LONDON) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_wall_clock_before_lands_on_the_same_local_time():
    start = dt.datetime(2026, 10, 26, 9, 15, tzinfo=LONDON)
    assert wall_clock_before(start, LONDON, 72).astimezone(LONDON).time() == dt.time(9, 15)


def test_night_time_sends_move_earlier_to_the_evening_before():
    # 06:00 is before the window opens: send at 20:00 the evening before
    six_am = dt.datetime(2026, 6, 10, 6, 0, tzinfo=LONDON)
    assert into_window(six_am, LONDON).astimezone(LONDON) == dt.datetime(
        2026, 6, 9, 20, 0, tzinfo=LONDON
    )
    late = dt.datetime(2026, 6, 10, 22, 30, tzinfo=LONDON)
    assert into_window(late, LONDON).astimezone(LONDON) == dt.datetime(
        2026, 6, 10, 20, 0, tzinfo=LONDON
    )


def test_next_in_window_waits_for_the_morning():
    night = dt.datetime(2026, 6, 10, 23, 0, tzinfo=LONDON)
    assert next_in_window(night, LONDON, SendWindow()).astimezone(LONDON) == dt.datetime(
        2026, 6, 11, 8, 0, tzinfo=LONDON
    )


def test_reminders_already_past_are_dropped_but_preparation_goes_at_once():
    # given a booking made 30 hours ahead
    start = dt.datetime(2026, 6, 12, 10, 0, tzinfo=LONDON)
    now = start - dt.timedelta(hours=30)
    # when
    plan = plan_appointment_messages(start=start, tz=LONDON, now=now)
    # then
    assert [(m.kind, m.label) for m in plan] == [("preparation", ""), ("reminder", "24h")]
    assert plan[0].send_at == now


def test_nothing_is_planned_for_an_appointment_in_the_past():
    start = dt.datetime(2026, 6, 12, 10, 0, tzinfo=LONDON)
    assert plan_appointment_messages(start=start, tz=LONDON, now=start) == []


def test_reminder_hours_are_configurable_and_deduplicated():
    start = dt.datetime(2026, 6, 12, 10, 0, tzinfo=LONDON)
    now = start - dt.timedelta(days=10)
    plan = plan_appointment_messages(
        start=start, tz=LONDON, now=now, reminder_hours=(24, 24, 2), preparation_hours=None
    )
    assert [m.label for m in plan] == ["24h", "2h"]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        plan_appointment_messages(
            start=dt.datetime(2026, 6, 12, 10, 0),  # noqa: DTZ001
            tz=LONDON,
            now=dt.datetime(2026, 6, 1, tzinfo=UTC),
        )


def test_retry_delay_backs_off_then_gives_up():
    assert [retry_delay(n) for n in range(1, 6)] == [
        dt.timedelta(minutes=1),
        dt.timedelta(minutes=5),
        dt.timedelta(minutes=30),
        dt.timedelta(minutes=120),
        None,
    ]
