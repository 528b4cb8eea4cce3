"""The owner's report arithmetic (pure)."""

import datetime as dt

import pytest

from mesoclinic.reports.figures import bar_width, notice_bucket, notice_counts, session_steps, share

pytestmark = pytest.mark.pure
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("notice", "bucket"),
    [
        (-HOUR, "after the start"),
        (dt.timedelta(0), "under 24 hours"),
        (23 * HOUR, "under 24 hours"),
        (24 * HOUR, "24 to 48 hours"),
        (48 * HOUR, "2 to 7 days"),
        (7 * 24 * HOUR, "over 7 days"),
    ],
)
def test_a_notice_falls_in_one_bucket_by_its_lower_bound(notice, bucket):
    assert notice_bucket(notice) == bucket


def test_notice_counts_list_every_bucket_in_order():
    counts = notice_counts([HOUR, 30 * HOUR, 31 * HOUR])

    assert counts == [
        ("after the start", 0),
        ("under 24 hours", 1),
        ("24 to 48 hours", 2),
        ("2 to 7 days", 0),
        ("over 7 days", 0),
    ]


def test_session_steps_count_due_and_given_by_number():
    steps = session_steps([(1, True), (1, True), (2, True), (2, False), (3, False)])

    assert [(s.number, s.due, s.given, s.completion) for s in steps] == [
        (1, 2, 2, 1.0),
        (2, 2, 1, 0.5),
        (3, 1, 0, 0.0),
    ]


def test_share_and_bars_of_nothing_are_zero():
    assert share(1, 0) == 0.0
    assert share(1, 3) == 0.333
    assert bar_width(5, 0) == 0
    assert bar_width(5, 10) == 50
    assert bar_width(10, 10) == 100
