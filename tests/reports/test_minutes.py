"""Working minutes left after absences (pure)."""

import datetime as dt

import pytest

from mesoclinic.reports.minutes import minutes_left

pytestmark = pytest.mark.pure

UTC = dt.UTC


def at(hour: int, minute: int = 0, day: int = 7) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_no_absence_leaves_the_whole_block():
    assert minutes_left([(at(9), at(17))], []) == 480


def test_overlapping_absences_are_taken_off_once():
    away = [(at(10), at(12)), (at(11), at(13)), (at(16, 30), at(20))]
    assert minutes_left([(at(9), at(17))], away) == 480 - 180 - 30


def test_an_absence_covering_several_blocks():
    blocks = [(at(9), at(12)), (at(13), at(17)), (at(9, day=8), at(17, day=8))]
    assert (
        minutes_left(blocks, [(at(11), at(9, day=8))]) == 120 + 480
    )  # 09:00-11:00 left on the first day
