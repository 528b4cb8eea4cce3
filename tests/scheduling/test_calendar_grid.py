"""The calendar layout (scheduling/calendar_grid.py) from plain data: no Django, no database."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

from mesoclinic.scheduling import calendar_grid as grid

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2027, 2, 1)
TUESDAY = dt.date(2027, 2, 2)
NOW = dt.datetime(2027, 1, 31, 8, 0, tzinfo=dt.UTC)
NINE_TO_SIX = ((dt.time(9), dt.time(18)),)
SITE = grid.SiteDay(
    code="london",
    time_zone=LONDON,
    opening_hours=dict.fromkeys(range(6), NINE_TO_SIX),
    closed_days=frozenset({dt.date(2027, 2, 6)}),
    lounge_places=3,
)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def staff(key: str = "dr-a", *, weekdays=range(5), credentials=()) -> grid.Staff:
    return grid.Staff(
        key=key,
        title=key.upper(),
        subtitle="Doctor",
        working=dict.fromkeys(weekdays, NINE_TO_SIX),
        credentials=credentials,
    )


def booking(start: dt.datetime, *, numbing: int = 0, who: str = "dr-a") -> grid.Booking:
    treatment_start = start + dt.timedelta(minutes=numbing)
    end = treatment_start + dt.timedelta(minutes=45)
    return grid.Booking(
        ref=f"{who}@{start:%H:%M}",
        start=start,
        treatment_start=treatment_start,
        end=end,
        busy_until=end + dt.timedelta(minutes=15),
        practitioner=who,
        room="room-1",
        treatment_name="Face",
        client_name="Amelia Hart",
        practitioner_name=who,
        room_name="Room 1",
    )


def day(people, bookings=(), *, by="practitioner", on=MONDAY):
    return grid.day_grid(
        site=SITE,
        day=on,
        by=by,
        staff=people,
        rooms=[grid.Place("room-1", "Room 1")],
        bookings=list(bookings),
        now=NOW,
        book_url="/calendar/book/",
    )


def kinds(column: grid.Column, kind: str) -> list[grid.Block]:
    return [block for block in column.blocks if block.kind == kind]


def test_a_working_day_offers_free_cells_and_numbing_lanes():
    layout = day([staff()], [booking(at(MONDAY, 10), numbing=30)])
    assert layout is not None
    (column,) = layout.columns
    assert column.tracks == 2
    assert kinds(column, "numbing")[0].appointment == "dr-a@10:00"
    free = {block.start.strftime("%H:%M") for block in kinds(column, "free") if block.start}
    assert "09:00" in free
    assert "10:30" not in free
    assert kinds(column, "free")[0].url.startswith("/calendar/book/?site=london&start=")


def test_a_practitioner_not_working_that_day_is_not_shown_free():
    layout = day([staff(weekdays=[1, 2, 3])])
    assert layout is not None
    (column,) = layout.columns
    assert kinds(column, "free") == []
    assert column.note == "Not working"
    (off,) = kinds(column, "off")
    assert off.label == "Not working"
    assert (off.first_row, off.last_row) == (2, 2 + 9 * 60 // grid.ROW_MINUTES)


def test_hours_outside_a_part_day_read_not_working():
    person = grid.Staff("dr-a", "DR A", "", {0: ((dt.time(13), dt.time(18)),)})
    layout = day([person])
    assert layout is not None
    (column,) = layout.columns
    (off,) = kinds(column, "off")
    assert off.last_row == 2 + 4 * 60 // grid.ROW_MINUTES
    assert min(block.start for block in kinds(column, "free") if block.start) == at(MONDAY, 13)


def test_an_expired_practitioner_is_not_bookable():
    expired = staff(credentials=(("Professional registration", dt.date(2027, 1, 15)),))
    current = staff("dr-b", credentials=(("Professional registration", MONDAY),))
    layout = day([expired, current])
    assert layout is not None
    lapsed, valid = layout.columns
    assert kinds(lapsed, "free") == []
    assert lapsed.note == "Professional registration expired on 15 January 2027: not bookable"
    assert kinds(valid, "free")
    assert valid.note == ""


def test_numbing_lanes_are_wide_enough_for_their_label():
    layout = day([staff()], [booking(at(MONDAY, 10), numbing=30)])
    assert layout is not None
    assert layout.track_sizes == [grid.NUMBING_TRACK, grid.MAIN_TRACK]
    assert float(grid.NUMBING_TRACK.removesuffix("rem")) * 16 >= 28


def test_rooms_and_the_lounge():
    layout = day([], [booking(at(MONDAY, 10), numbing=30)], by="room")
    assert layout is not None
    room, lounge = layout.columns
    assert kinds(room, "treatment")[0].label == "Face · Amelia Hart · dr-a · Room 1"
    assert lounge.subtitle == "3 places"
    assert kinds(lounge, "numbing")[0].label == "Numbing · Amelia Hart · Face"


def test_a_closed_day_has_no_grid():
    assert day([staff()], on=dt.date(2027, 2, 6)) is None
    assert day([staff()], on=dt.date(2027, 2, 7)) is None


def test_the_week_says_closed_not_working_or_lists_bookings():
    week = [MONDAY + dt.timedelta(days=n) for n in range(7)]
    rows = grid.week_rows(
        site=SITE,
        days=week,
        by="practitioner",
        staff=[staff(weekdays=[1, 2, 3, 4, 5])],
        rooms=[],
        bookings=[booking(at(TUESDAY, 10))],
    )
    states = [cell.state for cell in rows[0].days]
    assert states == ["off", "open", "open", "open", "open", "closed", "closed"]
    assert rows[0].days[1].appointments == ["dr-a@10:00"]
    assert rows[0].days[2].appointments == []


def test_the_week_says_away_for_a_day_of_absence():
    person = grid.Staff(
        "dr-a",
        "DR A",
        "",
        dict.fromkeys(range(5), NINE_TO_SIX),
        absences=(grid.Away(at(TUESDAY, 0), at(TUESDAY + dt.timedelta(days=1), 0)),),
    )
    rows = grid.week_rows(
        site=SITE, days=[MONDAY, TUESDAY], by="practitioner", staff=[person], rooms=[], bookings=[]
    )
    assert [cell.state for cell in rows[0].days] == ["open", "away"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_free_cell_labels_have_at_least_4_5_to_1_contrast():
    css = (Path(__file__).parents[2] / "src/mesoclinic/web/static/web/app.css").read_text(
        encoding="utf-8"
    )
    rule = re.search(r"^\.phase-free \{([^}]*)\}", css, re.MULTILINE)
    assert rule is not None
    background = re.search(r"background: (#[0-9a-fA-F]{6})", rule.group(1))
    colour = re.search(r"(?<!-)color: (#[0-9a-fA-F]{6})", rule.group(1))
    assert background is not None
    assert colour is not None
    light, dark = sorted((_luminance(background.group(1)), _luminance(colour.group(1))))
    assert (dark + 0.05) / (light + 0.05) >= 4.5
