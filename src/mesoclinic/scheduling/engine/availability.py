"""Availability search: which appointment starts are bookable, and with which resources.

The model (all times are integer minutes, intervals half-open ``[start, end)``):

An appointment starting at ``t`` has two phases.  *Numbing* ``[t, t + numbing)`` takes one
place in the site's numbing lounge; the practitioner is free meanwhile.  *Treatment*
``[treatment_start, end)`` with ``treatment_start = t + numbing`` needs the practitioner,
a room and, when the treatment uses one, a device of the required type.  A slot at ``t``
is bookable when

* ``[t, end)`` lies inside one of the site's open intervals (opening hours minus closed
  days; touching intervals of the same local day are merged first);
* ``[treatment_start, end)`` lies inside the union of the practitioner's working
  intervals (working hours minus absences; they may touch or overlap);
* the practitioner and some room are free during ``[treatment_start, end + buffer)``;
* some device of the required type is free during ``[treatment_start, end)``;
* fewer than ``capacity`` lounge intervals overlap any minute of ``[t, treatment_start)``.

**Buffer convention.**  ``buffer_minutes`` is clean-up time after a treatment.  Busy
intervals passed in for practitioners and rooms must already include the buffer of the
appointments they come from (``[treatment_start, end + buffer)``); the new booking is
checked over ``[treatment_start, end + buffer)``.  Device busy intervals are plain
``[treatment_start, end)`` and the new booking's device phase has no buffer.  The buffer
need not fit inside opening or working hours.

**Grid.**  Candidate starts are ``open.start + k * grid_minutes`` for each merged open
interval, i.e. aligned to the start of the opening interval (09:00, 09:15, … for a site
opening at 09:00, and 14:00, 14:15, … after a lunch closure), never to the epoch.
``not_before`` drops earlier candidates without moving the grid.

Algorithm: the candidate starts of the whole window are cells of one uniform grid (the
grid step, or a divisor of it if opening intervals sit on different grid phases), and
every constraint becomes one row of flags over them (see ``cells``), computed for all
resources of a kind with a few numpy calls: practitioners (working time and busy
intervals together), rooms, devices, and the lounge.  Rooms and devices do not depend on
the practitioner, so the first free room/device (in the order given) is chosen per
cell.  Cost: a few tens of nanoseconds per busy interval plus a fraction of a
microsecond per returned slot.  ``naive_find_slots`` in ``reference`` is the
slot-by-slot baseline and the test oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import compress, repeat
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt

from .cells import (
    CellSpace,
    Flags,
    IntervalTable,
    Ints,
    blocked_rows,
    first_true,
    saturated_intervals,
    working_gaps,
)
from .intervals import Interval, Intervals


class OpenInterval(NamedTuple):
    """A stretch of opening time of the site, labelled with its local day.

    ``day`` is the local date's ordinal (``date.toordinal()``) and ``local_minute`` the
    local minute of day at ``start``; they let the engine give each slot a local day and
    time of day (used by the course planner) without time-zone arithmetic.  Opening
    intervals never span a DST change (clinics are closed at 01:00–02:00).
    """

    start: int
    end: int
    day: int
    local_minute: int


class Slot(NamedTuple):
    """One bookable appointment: arrival, treatment start, end and the resources."""

    start: int
    treatment_start: int
    end: int
    practitioner: str
    room: str
    device: str | None


Codes = npt.NDArray[np.object_]
"""Resource codes (``str``, or ``None`` for "no device") as an object array."""


@dataclass(frozen=True, slots=True)
class SlotTable:
    """Slots as columns: ``starts[i]``, ``treatment_starts[i]``, ``ends[i]`` (minutes) and
    the codes of slot ``i``'s practitioner, room and device (``None`` when none).

    What a search returns when its slots are only to be written out (an API answer of
    thousands of slots): building one ``Slot`` per row costs more than the search.
    ``resources[i]`` numbers slot ``i``'s combination of practitioner, room and device
    (equal numbers, equal codes) for writers that encode each combination once."""

    starts: Ints
    treatment_starts: Ints
    ends: Ints
    practitioners: Codes
    rooms: Codes
    devices: Codes
    resources: Ints

    def __len__(self) -> int:
        return len(self.starts)

    def slots(self) -> list[Slot]:
        """The rows as ``Slot`` tuples."""
        fields = zip(
            self.starts.tolist(),
            self.treatment_starts.tolist(),
            self.ends.tolist(),
            self.practitioners.tolist(),
            self.rooms.tolist(),
            self.devices.tolist(),
            strict=True,
        )
        # tuple.__new__ skips the NamedTuple's Python-level __new__: 3x faster per slot.
        return cast(list[Slot], list(map(tuple.__new__, repeat(Slot), fields)))


@dataclass(frozen=True, slots=True)
class TreatmentTiming:
    """Durations of the treatment being booked, in minutes."""

    treatment_minutes: int
    numbing_minutes: int = 0
    buffer_minutes: int = 0
    needs_device: bool = False

    def __post_init__(self) -> None:
        if self.treatment_minutes <= 0:
            raise ValueError("treatment_minutes must be positive")
        if self.numbing_minutes < 0 or self.buffer_minutes < 0:
            raise ValueError("numbing_minutes and buffer_minutes must not be negative")

    @property
    def total_minutes(self) -> int:
        """Minutes from arrival to the end of treatment (buffer excluded)."""
        return self.numbing_minutes + self.treatment_minutes


@dataclass(frozen=True, slots=True)
class Resource:
    """A room or a device with its busy intervals (any order, may overlap)."""

    code: str
    busy: Intervals = ()


@dataclass(frozen=True, slots=True)
class PractitionerCalendar:
    """A practitioner's working intervals (hours minus absences) and busy intervals."""

    code: str
    working: Sequence[tuple[int, int]]
    busy: Intervals = ()


@dataclass(frozen=True, slots=True)
class Lounge:
    """The numbing lounge: ``capacity`` places, each occupied interval takes one."""

    capacity: int
    occupied: Intervals = ()


@dataclass(frozen=True, slots=True)
class AvailabilityQuery:
    """Everything the search needs; the shell fills it from one batched query.

    ``practitioners``, ``rooms`` and ``devices`` are in preference order: results are
    ordered by practitioner order and the first free room/device is chosen.  ``devices``
    are the devices of the type the treatment needs (ignored unless
    ``timing.needs_device``).  ``lounge=None`` means no lounge constraint.  Only busy
    intervals near the searched window need to be passed in.
    """

    timing: TreatmentTiming
    open_intervals: Sequence[OpenInterval]
    practitioners: Sequence[PractitionerCalendar]
    rooms: Sequence[Resource]
    devices: Sequence[Resource] = ()
    lounge: Lounge | None = None
    grid_minutes: int = 15
    not_before: int | None = None
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.grid_minutes <= 0:
            raise ValueError("grid_minutes must be positive")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")

    def with_busy_arrays(self) -> AvailabilityQuery:
        """The same query with every busy list as an ``(n, 2)`` array, the form the shell
        passes busy time read in bulk in (the answer is the same)."""

        def array(intervals: Intervals) -> Ints:
            return np.asarray(intervals, dtype=np.int64).reshape(-1, 2)

        return replace(
            self,
            practitioners=[
                replace(practitioner, busy=array(practitioner.busy))
                for practitioner in self.practitioners
            ],
            rooms=[replace(room, busy=array(room.busy)) for room in self.rooms],
            devices=[replace(device, busy=array(device.busy)) for device in self.devices],
            lounge=replace(self.lounge, occupied=array(self.lounge.occupied))
            if self.lounge
            else None,
        )


@dataclass(frozen=True, slots=True)
class CandidateCells:
    """The candidate starts of a query on a uniform grid of cells.

    ``space.step`` is the grid, or a divisor of it when opening intervals are not all
    aligned to the same grid phase; ``candidates`` flags the cells that are real grid
    starts fitting inside a merged opening interval.
    """

    space: CellSpace
    candidates: Flags
    stretches: tuple[OpenInterval, ...]
    cells_by_day: dict[int, range]
    stretch_starts: Ints = field(init=False)
    stretch_offsets: Ints = field(init=False)
    """Per stretch, its start and what turns a minute inside it into a local minute of day."""

    def __post_init__(self) -> None:
        count = len(self.stretches)
        starts = np.fromiter((stretch.start for stretch in self.stretches), np.int64, count)
        local = np.fromiter((stretch.local_minute for stretch in self.stretches), np.int64, count)
        object.__setattr__(self, "stretch_starts", starts)
        object.__setattr__(self, "stretch_offsets", local - starts)

    def time_of(self, cell: int) -> int:
        """Start minute of a cell."""
        return self.space.origin + cell * self.space.step

    def local_minutes(self, starts: Ints) -> list[int]:
        """Local minute of day of each start minute of a candidate cell."""
        which = np.searchsorted(self.stretch_starts, starts, side="right") - 1
        minutes: list[int] = (starts + self.stretch_offsets[which]).tolist()
        return minutes


@dataclass(frozen=True, slots=True)
class AvailabilityGrid:
    """The result of a search over ``cells``: ``available[p, k]`` is set when
    practitioner ``p`` can take a booking starting at ``cells.time_of(k)``, and
    ``room_choice[k]`` / ``device_choice[k]`` index the first free room / device there
    (``-1``: none; ``device_choice`` is ``None`` when the treatment needs no device).

    Cheap to build and to query by day; ``slots()`` turns it into ``Slot`` objects.
    """

    timing: TreatmentTiming
    cells: CandidateCells
    practitioners: tuple[str, ...]
    available: Flags
    rooms: tuple[str, ...]
    room_choice: Ints
    devices: tuple[str, ...]
    device_choice: Ints | None

    def slots(self, limit: int | None = None, cells: range | None = None) -> list[Slot]:
        """All slots, sorted by start then practitioner order, at most ``limit``.

        ``cells`` restricts the result to a range of cells (e.g. one local day, see
        ``cells.cells_by_day``).
        """
        return self.table(limit, cells).slots()

    def table(self, limit: int | None = None, cells: range | None = None) -> SlotTable:
        """The same slots as ``slots`` as columns of arrays (no Python object per slot)."""
        span = cells if cells is not None else range(self.cells.space.size)
        # Transposed, the flags are read cell by cell, practitioners in order.
        cell_offsets, practitioner_indexes = np.nonzero(self.available[:, span.start : span.stop].T)
        if limit is not None:
            cell_offsets = cell_offsets[:limit]
            practitioner_indexes = practitioner_indexes[:limit]
        return self._table(cell_offsets + span.start, practitioner_indexes)

    def _table(self, cells: Ints, practitioner_indexes: Ints) -> SlotTable:
        space = self.cells.space
        starts = space.origin + cells * space.step
        treatment_starts = starts + self.timing.numbing_minutes
        rooms = self.room_choice[cells]
        device_indexes = (
            self.device_choice[cells]
            if self.device_choice is not None
            else np.full(len(cells), -1, dtype=np.int64)
        )
        # Room and device indexes run from -1 (none) up: shifted by one, unique per row.
        room_count, device_count = len(self.rooms) + 1, len(self.devices) + 1
        return SlotTable(
            starts=starts,
            treatment_starts=treatment_starts,
            ends=treatment_starts + self.timing.treatment_minutes,
            practitioners=_codes(self.practitioners)[practitioner_indexes],
            rooms=_codes(self.rooms)[rooms],
            devices=_codes(self.devices)[device_indexes],
            resources=(practitioner_indexes * room_count + rooms + 1) * device_count
            + device_indexes
            + 1,
        )

    def free_starts(self, practitioner: str) -> list[int]:
        """Bookable start minutes for one practitioner, ascending."""
        row = self.available[self.practitioners.index(practitioner)]
        space = self.cells.space
        return (space.origin + np.flatnonzero(row) * space.step).tolist()

    def day_cells(self, practitioner_index: int, day: int) -> list[int]:
        """A practitioner's bookable cells on one local day, ascending."""
        return self._day_cells(practitioner_index, day).tolist()

    def day_table(self, day: int, practitioner_index: int | None = None) -> SlotTable:
        """One local day's slots as columns: every practitioner's (as ``table``) or one's."""
        cells = self.cells.cells_by_day.get(day, range(0))
        if practitioner_index is None:
            return self.table(cells=cells)
        found = self._day_cells(practitioner_index, day)
        return self._table(found, np.full(len(found), practitioner_index))

    def _day_cells(self, practitioner_index: int, day: int) -> Ints:
        cells = self.cells.cells_by_day.get(day)
        if cells is None:
            return np.zeros(0, dtype=np.int64)
        row = self.available[practitioner_index, cells.start : cells.stop]
        return np.flatnonzero(row) + cells.start

    def practitioners_on(self, day: int) -> list[str]:
        """Practitioners with a bookable cell on the local day, in preference order."""
        cells = self.cells.cells_by_day.get(day)
        if cells is None:
            return []
        free = cast(Flags, self.available[:, cells.start : cells.stop].any(axis=1))
        return list(compress(self.practitioners, free.tolist()))

    def bookable_days(self) -> list[int]:
        """Local days with at least one bookable slot, ascending."""
        days = sorted(self.cells.cells_by_day.items())
        # Free cells before each cell: a day is bookable when the count grows across it.
        free_before = np.concatenate(([0], np.cumsum(self.available.any(axis=0))))
        firsts = np.fromiter((cells.start for _, cells in days), np.int64, len(days))
        stops = np.fromiter((cells.stop for _, cells in days), np.int64, len(days))
        bookable = free_before[stops] > free_before[firsts]
        return list(compress((day for day, _ in days), bookable.tolist()))


def _codes(codes: Sequence[str]) -> Codes:
    """Codes as an object array that cell indexes can pick from; index ``-1`` (no free
    resource) picks the appended ``None``."""
    array = np.empty(len(codes) + 1, dtype=object)
    array[: len(codes)] = codes
    return array


def candidate_cells(
    open_intervals: Sequence[OpenInterval],
    span_minutes: int,
    grid_minutes: int,
    not_before: int | None,
) -> CandidateCells:
    """Grid starts ``t`` with ``[t, t + span_minutes)`` inside a merged open interval."""
    stretches = _merge_open_intervals(open_intervals)
    runs = [
        (stretch, first, (stretch.end - span_minutes - first) // grid_minutes + 1)
        for stretch, first in (
            (stretch, _first_start(stretch, grid_minutes, not_before)) for stretch in stretches
        )
    ]
    runs = [run for run in runs if run[2] > 0]
    origin = runs[0][1] if runs else 0
    step = math.gcd(grid_minutes, *(first - origin for _, first, _ in runs))
    stride = grid_minutes // step
    size = 0
    if runs:
        _, first, count = runs[-1]
        size = (first - origin) // step + (count - 1) * stride + 1
    candidates = np.zeros(size, dtype=np.bool_)
    cells_by_day: dict[int, range] = {}
    for stretch, first, count in runs:
        cell = (first - origin) // step
        last = cell + (count - 1) * stride
        candidates[cell : last + 1 : stride] = True
        day_cells = cells_by_day.get(stretch.day, range(cell, cell))
        cells_by_day[stretch.day] = range(day_cells.start, last + 1)
    space = CellSpace(origin, step, size)
    return CandidateCells(space, candidates, tuple(stretches), cells_by_day)


def _first_start(stretch: OpenInterval, grid_minutes: int, not_before: int | None) -> int:
    if not_before is None or not_before <= stretch.start:
        return stretch.start
    return stretch.start - (stretch.start - not_before) // grid_minutes * grid_minutes


def _merge_open_intervals(open_intervals: Sequence[OpenInterval]) -> list[OpenInterval]:
    merged: list[OpenInterval] = []
    for interval in sorted(i for i in open_intervals if i.start < i.end):
        if merged and interval.start < merged[-1].end:
            raise ValueError("open intervals overlap")
        if merged and interval.start == merged[-1].end and interval.day == merged[-1].day:
            merged[-1] = merged[-1]._replace(end=interval.end)
        else:
            merged.append(interval)
    return merged


def compute_availability(query: AvailabilityQuery) -> AvailabilityGrid:
    """Search the query and return the bookable cells (see module doc).

    Practitioners come first; rooms, devices and the lounge only matter on cells some
    practitioner can take.
    """
    timing = query.timing
    cells = candidate_cells(
        query.open_intervals, timing.total_minutes, query.grid_minutes, query.not_before
    )
    space = cells.space
    treatment_start = timing.numbing_minutes
    treatment_end = timing.total_minutes
    held_until = treatment_end + timing.buffer_minutes
    available = _practitioner_rows(query.practitioners, space, timing) & cells.candidates
    common = available.any(axis=0)
    rooms = IntervalTable.of([room.busy for room in query.rooms])
    room_choice = first_true(~blocked_rows(space, rooms, treatment_start, held_until) & common)
    common &= room_choice >= 0
    device_choice = None
    if timing.needs_device:
        devices = IntervalTable.of([device.busy for device in query.devices])
        device_choice = first_true(
            ~blocked_rows(space, devices, treatment_start, treatment_end) & common
        )
        common &= device_choice >= 0
    if query.lounge is not None and common.any():
        common &= ~_lounge_full(query.lounge, space, treatment_start)
    return AvailabilityGrid(
        timing=timing,
        cells=cells,
        practitioners=tuple(practitioner.code for practitioner in query.practitioners),
        available=available & common,
        rooms=tuple(room.code for room in query.rooms),
        room_choice=room_choice,
        devices=tuple(device.code for device in query.devices) if timing.needs_device else (),
        device_choice=device_choice,
    )


def _practitioner_rows(
    practitioners: Sequence[PractitionerCalendar], space: CellSpace, timing: TreatmentTiming
) -> Flags:
    """Per practitioner, the cells inside their working time and clear of their busy
    intervals (buffer included).

    Both become one list of blocking intervals for the treatment phase
    ``[t + numbing, t + numbing + treatment)``: the gaps between working intervals, and
    the busy intervals started ``buffer`` earlier (so the new booking's clean-up time
    cannot overlap them).
    """
    gaps = working_gaps([practitioner.working for practitioner in practitioners])
    busy = IntervalTable.of([practitioner.busy for practitioner in practitioners])
    blocking = gaps + busy.shifted(timing.buffer_minutes)
    return ~blocked_rows(space, blocking, timing.numbing_minutes, timing.total_minutes)


def _lounge_full(lounge: Lounge, space: CellSpace, numbing_minutes: int) -> Flags:
    """Cells whose numbing phase ``[t, t + numbing)`` meets a full lounge."""
    if numbing_minutes <= 0:
        return np.zeros(space.size, dtype=np.bool_)
    if lounge.capacity <= 0:
        return np.ones(space.size, dtype=np.bool_)
    if len(lounge.occupied) < lounge.capacity:
        return np.zeros(space.size, dtype=np.bool_)
    full = saturated_intervals(lounge.occupied, lounge.capacity)
    blocked: Flags = blocked_rows(space, full, 0, numbing_minutes)[0]
    return blocked


def find_slots(query: AvailabilityQuery) -> list[Slot]:
    """Bookable slots, one per (start, practitioner), sorted by start then practitioner
    order, with the first free room and device in the order given; at most
    ``query.limit`` of them."""
    return compute_availability(query).slots(limit=query.limit)


__all__ = [
    "AvailabilityGrid",
    "AvailabilityQuery",
    "CandidateCells",
    "Interval",
    "Intervals",
    "Lounge",
    "OpenInterval",
    "PractitionerCalendar",
    "Resource",
    "Slot",
    "SlotTable",
    "TreatmentTiming",
    "candidate_cells",
    "compute_availability",
    "find_slots",
]
