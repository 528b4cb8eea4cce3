"""The staff calendar's layout, from plain data: no Django, no queries.

The view hands over one site's day (opening hours, its staff with their working hours,
absences and credential expiries, its rooms) as read from the cached site resources, and
the bookings to show; this module works out the day grid (5-minute rows, lanes for
overlapping numbing phases, which 15-minute cells are free to click, when someone is not
working) and the week rows. Times are the site's wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

ROW_MINUTES = 5
CELL_MINUTES = 15
NUMBING_TRACK = "2rem"
"""Width of a practitioner's numbing lane: room for its "N" label (a 14 px strip cut it)."""
LOUNGE_TRACK = "minmax(3.5rem, 1fr)"
MAIN_TRACK = "minmax(7rem, 1fr)"

Hours = tuple[dt.time, dt.time]


# --- Input ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """An appointment as the calendar draws it; ``ref`` comes back on its blocks."""

    ref: Any
    start: dt.datetime
    treatment_start: dt.datetime
    end: dt.datetime
    busy_until: dt.datetime
    practitioner: str
    room: str
    treatment_name: str
    client_name: str
    practitioner_name: str
    room_name: str

    @property
    def description(self) -> str:
        return (
            f"{self.treatment_name} · {self.client_name} · {self.practitioner_name} · "
            f"{self.room_name}"
        )

    @property
    def numbs(self) -> bool:
        return self.start < self.treatment_start


@dataclass(frozen=True)
class Away:
    """An absence (aware moments)."""

    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Staff:
    """A practitioner at the site: weekly working hours there (by weekday), absences and
    the expiry dates of the credentials they need to be booked (``(what, expires_on)``)."""

    key: str
    title: str
    subtitle: str
    working: dict[int, tuple[Hours, ...]] = field(default_factory=dict)
    absences: tuple[Away, ...] = ()
    credentials: tuple[tuple[str, dt.date | None], ...] = ()

    def works_on(self, day: dt.date) -> bool:
        return bool(self.working.get(day.weekday()))

    def away_all_day(self, day: dt.date, tz: dt.tzinfo) -> bool:
        """Whether absences cover every working hour of ``day``."""
        hours = self.working.get(day.weekday(), ())
        return bool(hours) and all(
            any(
                away.starts_at <= dt.datetime.combine(day, starts, tzinfo=tz)
                and dt.datetime.combine(day, ends, tzinfo=tz) <= away.ends_at
                for away in self.absences
            )
            for starts, ends in hours
        )

    def not_bookable_on(self, day: dt.date) -> str:
        """Why no one may book this practitioner on ``day`` ("" when they may)."""
        for what, expires_on in self.credentials:
            if expires_on is not None and expires_on < day:
                return f"{what} expired on {expires_on.day} {expires_on:%B %Y}: not bookable"
        return ""


@dataclass(frozen=True)
class Place:
    """A room."""

    key: str
    title: str


@dataclass(frozen=True)
class SiteDay:
    """What the grid needs of the site: its code, time zone, opening hours by weekday,
    closed days and numbing lounge places."""

    code: str
    time_zone: dt.tzinfo
    opening_hours: dict[int, tuple[Hours, ...]]
    closed_days: frozenset[dt.date] = frozenset()
    lounge_places: int = 0

    def opening(self, day: dt.date) -> tuple[int, int] | None:
        """First opening and last closing minute of ``day``; ``None`` when closed."""
        hours = self.opening_hours.get(day.weekday(), ())
        if day in self.closed_days or not hours:
            return None
        return min(minute_of(opens) for opens, _ in hours), max(
            minute_of(closes) for _, closes in hours
        )


# --- Output ---------------------------------------------------------------------------------


@dataclass
class Block:
    """One thing drawn in the day grid: a phase of an appointment, a free cell, an
    absence, or time someone is not working (or not bookable)."""

    kind: str  # "treatment" | "numbing" | "free" | "absence" | "off"
    first_row: int
    last_row: int  # exclusive
    track: int
    label: str
    appointment: Any = None
    start: dt.datetime | None = None
    url: str = ""


@dataclass
class Column:
    """A practitioner, a room or the numbing lounge, with its grid tracks."""

    key: str
    title: str
    subtitle: str
    first_track: int
    tracks: int
    blocks: list[Block] = field(default_factory=list)
    note: str = ""


@dataclass
class DayGrid:
    """The day view: rows of ``ROW_MINUTES`` from opening to closing, columns of tracks."""

    day: dt.date
    opens: int
    closes: int
    columns: list[Column]
    times: list[tuple[int, str]]  # (grid row, "09:15")
    track_sizes: list[str]

    @property
    def rows(self) -> int:
        return (self.closes - self.opens) // ROW_MINUTES

    @property
    def template_columns(self) -> str:
        return " ".join(["4.5rem", *self.track_sizes])


@dataclass
class WeekCell:
    """One resource's day in the week view: ``closed`` (site), ``off`` (not working),
    ``away`` (absent all working day), else the day's bookings (refs)."""

    state: str  # "closed" | "off" | "away" | "open"
    appointments: list[Any] = field(default_factory=list)


@dataclass
class WeekRow:
    """A practitioner's or room's week."""

    title: str
    days: list[WeekCell]


# --- Layout ---------------------------------------------------------------------------------


def minute_of(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def local_minute(moment: dt.datetime, tz: dt.tzinfo) -> tuple[dt.date, int]:
    local = moment.astimezone(tz)
    return local.date(), local.hour * 60 + local.minute


def lanes(intervals: list[tuple[int, int]]) -> tuple[list[int], int]:
    """Greedy interval partitioning: a lane per interval so that no two in a lane overlap."""
    order = sorted(range(len(intervals)), key=lambda index: intervals[index])
    lane_ends: list[int] = []
    found = [0] * len(intervals)
    for index in order:
        start, end = intervals[index]
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= start:
                found[index] = lane
                lane_ends[lane] = end
                break
        else:
            found[index] = len(lane_ends)
            lane_ends.append(end)
    return found, max(1, len(lane_ends))


@dataclass(frozen=True)
class _Frame:
    site: SiteDay
    day: dt.date
    opens: int
    closes: int
    now: dt.datetime
    book_url: str

    def row(self, minute: int) -> int:
        return 2 + (min(max(minute, self.opens), self.closes) - self.opens) // ROW_MINUTES

    def span(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int] | None:
        tz = self.site.time_zone
        start_day, start_minute = local_minute(start, tz)
        end_day, end_minute = local_minute(end, tz)
        if start_day != self.day:
            start_minute = self.opens if start_day < self.day else self.closes
        if end_day != self.day:
            end_minute = self.closes if end_day > self.day else self.opens
        first, last = self.row(start_minute), self.row(end_minute + ROW_MINUTES - 1)
        return (first, last) if first < last else None

    def moment(self, minute: int) -> dt.datetime:
        return dt.datetime.combine(
            self.day, dt.time(minute // 60, minute % 60), tzinfo=self.site.time_zone
        )

    def free(
        self,
        *,
        busy: list[tuple[dt.datetime, dt.datetime]],
        working: Sequence[tuple[int, int]],
        track: int,
        link: dict[str, str],
        who: str,
    ) -> list[Block]:
        """15-minute cells inside working hours, not in the past and clear of ``busy``:
        each links to the quick-booking form (whether a treatment fits is the service's)."""
        blocks: list[Block] = []
        for minute in range(self.opens, self.closes, CELL_MINUTES):
            if not any(low <= minute and minute + CELL_MINUTES <= high for low, high in working):
                continue
            start = self.moment(minute)
            end = start + dt.timedelta(minutes=CELL_MINUTES)
            if start < self.now or any(low < end and start < high for low, high in busy):
                continue
            first = self.row(minute)
            query = "&".join(
                [f"site={self.site.code}", f"start={start:%Y-%m-%dT%H:%M}"]
                + [f"{key}={value}" for key, value in link.items()]
            )
            blocks.append(
                Block(
                    "free",
                    first,
                    first + CELL_MINUTES // ROW_MINUTES,
                    track,
                    f"Book {who} at {start:%H:%M}",
                    start=start,
                    url=f"{self.book_url}?{query}",
                )
            )
        return blocks

    def off(self, working: Sequence[tuple[int, int]], track: int, label: str) -> list[Block]:
        """Blocks over the opening hours outside ``working``, labelled ``label``."""
        blocks: list[Block] = []
        cursor = self.opens
        for low, high in sorted(working):
            if low > cursor:
                blocks.append(Block("off", self.row(cursor), self.row(low), track, label))
            cursor = max(cursor, high)
        if cursor < self.closes:
            blocks.append(Block("off", self.row(cursor), self.row(self.closes), track, label))
        return [block for block in blocks if block.first_row < block.last_row]


def day_grid(
    *,
    site: SiteDay,
    day: dt.date,
    by: str,
    staff: Sequence[Staff],
    rooms: Sequence[Place],
    bookings: Sequence[Booking],
    now: dt.datetime,
    book_url: str,
) -> DayGrid | None:
    """Lay out one day, by practitioner or by room; ``None`` when the site is closed."""
    opening = site.opening(day)
    if opening is None:
        return None
    frame = _Frame(site, day, opening[0], opening[1], now, book_url)
    columns, track_sizes = (
        _room_columns(frame, rooms, bookings)
        if by == "room"
        else _staff_columns(frame, staff, bookings)
    )
    for column in columns:
        column.blocks.sort(key=lambda block: (block.first_row, block.track))
    times = [
        (frame.row(minute), f"{minute // 60:02d}:{minute % 60:02d}")
        for minute in range(frame.opens, frame.closes, CELL_MINUTES)
    ]
    return DayGrid(day, frame.opens, frame.closes, columns, times, track_sizes)


def _numbing_lanes(
    frame: _Frame, bookings: Sequence[Booking]
) -> tuple[list[tuple[Booking, tuple[int, int], int]], int]:
    placed = [
        (booking, spot)
        for booking in bookings
        if booking.numbs and (spot := frame.span(booking.start, booking.treatment_start))
    ]
    found, count = lanes([spot for _, spot in placed])
    return [
        (booking, spot, lane) for (booking, spot), lane in zip(placed, found, strict=True)
    ], count


def _room_columns(
    frame: _Frame, rooms: Sequence[Place], bookings: Sequence[Booking]
) -> tuple[list[Column], list[str]]:
    columns: list[Column] = []
    track_sizes: list[str] = []
    track = 2
    for room in rooms:
        column = Column(f"room-{room.key}", room.title, "", track, 1)
        own = [booking for booking in bookings if booking.room == room.key]
        for booking in own:
            placed = frame.span(booking.treatment_start, booking.busy_until)
            if placed:
                column.blocks.append(
                    Block("treatment", *placed, track, booking.description, booking.ref)
                )
        column.blocks += frame.free(
            busy=[(b.treatment_start, b.busy_until) for b in own],
            working=[(frame.opens, frame.closes)],
            track=track,
            link={"room": room.key},
            who=room.title,
        )
        columns.append(column)
        track_sizes.append(MAIN_TRACK)
        track += 1
    numbing, count = _numbing_lanes(frame, bookings)
    lounge = Column("lounge", "Numbing lounge", f"{frame.site.lounge_places} places", track, count)
    for booking, (first, last), lane in numbing:
        lounge.blocks.append(
            Block(
                "numbing",
                first,
                last,
                track + lane,
                f"Numbing · {booking.client_name} · {booking.treatment_name}",
                booking.ref,
            )
        )
    columns.append(lounge)
    track_sizes += [LOUNGE_TRACK] * count
    return columns, track_sizes


def _staff_columns(
    frame: _Frame, staff: Sequence[Staff], bookings: Sequence[Booking]
) -> tuple[list[Column], list[str]]:
    columns: list[Column] = []
    track_sizes: list[str] = []
    track = 2
    for person in staff:
        own = [booking for booking in bookings if booking.practitioner == person.key]
        numbing, count = _numbing_lanes(frame, own)
        column = Column(person.key, person.title, person.subtitle, track, count + 1)
        for booking, (first, last), lane in numbing:
            column.blocks.append(
                Block(
                    "numbing",
                    first,
                    last,
                    track + lane,
                    f"Numbing (client in the lounge) · {booking.description}",
                    booking.ref,
                )
            )
        main = track + count
        for booking in own:
            placed = frame.span(booking.treatment_start, booking.end)
            if placed:
                column.blocks.append(
                    Block("treatment", *placed, main, booking.description, booking.ref)
                )
        for away in person.absences:
            placed = frame.span(away.starts_at, away.ends_at)
            if placed:
                column.blocks.append(Block("absence", *placed, main, "Away"))
        working = [
            (minute_of(starts), minute_of(ends))
            for starts, ends in person.working.get(frame.day.weekday(), ())
        ]
        column.note = person.not_bookable_on(frame.day)
        if not working and not column.note:
            column.note = "Not working"
        column.blocks += frame.off(working, main, "Not working")
        if not column.note:
            column.blocks += frame.free(
                busy=[(b.treatment_start, b.busy_until) for b in own]
                + [(a.starts_at, a.ends_at) for a in person.absences],
                working=working,
                track=main,
                link={"practitioner": person.key},
                who=person.title,
            )
        columns.append(column)
        track_sizes += [NUMBING_TRACK] * count + [MAIN_TRACK]
        track += count + 1
    return columns, track_sizes


def week_rows(
    *,
    site: SiteDay,
    days: Sequence[dt.date],
    by: str,
    staff: Sequence[Staff],
    rooms: Sequence[Place],
    bookings: Sequence[Booking],
) -> list[WeekRow]:
    """One row per practitioner (or room), one cell per day: closed, not working, or the
    day's bookings (by their local start day)."""
    tz = site.time_zone
    resources: list[tuple[str, str, Staff | None]]
    if by == "room":
        resources = [(room.key, room.title, None) for room in rooms]
    else:
        resources = [(person.key, person.title, person) for person in staff]
    rows = []
    for key, title, person in resources:
        cells: list[WeekCell] = []
        for day in days:
            if site.opening(day) is None:
                cells.append(WeekCell("closed"))
                continue
            if person is not None and not person.works_on(day):
                cells.append(WeekCell("off"))
                continue
            if person is not None and person.away_all_day(day, tz):
                cells.append(WeekCell("away"))
                continue
            cells.append(
                WeekCell(
                    "open",
                    [
                        booking.ref
                        for booking in bookings
                        if (booking.room if by == "room" else booking.practitioner) == key
                        and booking.start.astimezone(tz).date() == day
                    ],
                )
            )
        rows.append(WeekRow(title, cells))
    return rows
