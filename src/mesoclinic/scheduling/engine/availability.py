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
every constraint becomes one bitmask over them (see ``bitmasks``): per practitioner
(working time and busy intervals in one pass), per room, per device, and the lounge.  A
practitioner's bookable starts are then a few big-integer ``&``.  Rooms and devices do
not depend on the practitioner, so the first free room/device (in the order given) is
chosen per cell.  Cost: about a microsecond per busy interval plus one per returned
slot.  ``naive_find_slots`` in ``reference`` is the slot-by-slot baseline and the test
oracle.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from typing import NamedTuple, cast

from .bitmasks import (
    CellSpace,
    blocked_cells,
    flags_from_mask,
    full_mask,
    saturated_cells,
    set_cells,
    unavailable_cells,
)
from .intervals import Interval

_AFTER_ANY = 1 << 62
"""Sorts after any real interval end: ``(start, _AFTER_ANY)`` bisects after ``start``."""
_LIMITED_CHUNK_CELLS = 512
"""Cells materialised at a time when a result is limited."""
_MAX_TABLE_RESOURCES = 255
"""Most resources a per-cell byte table can name."""


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
    busy: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True, slots=True)
class PractitionerCalendar:
    """A practitioner's working intervals (hours minus absences) and busy intervals."""

    code: str
    working: Sequence[tuple[int, int]]
    busy: Sequence[tuple[int, int]] = ()


@dataclass(frozen=True, slots=True)
class Lounge:
    """The numbing lounge: ``capacity`` places, each occupied interval takes one."""

    capacity: int
    occupied: Sequence[tuple[int, int]] = ()


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


@dataclass(frozen=True, slots=True)
class CandidateCells:
    """The candidate starts of a query on a uniform grid of cells.

    ``space.step`` is the grid, or a divisor of it when opening intervals are not all
    aligned to the same grid phase; ``candidates`` marks the cells that are real grid
    starts fitting inside a merged opening interval.
    """

    space: CellSpace
    candidates: int
    stretches: tuple[OpenInterval, ...]
    cells_by_day: dict[int, range]

    def time_of(self, cell: int) -> int:
        """Start minute of a cell."""
        return self.space.origin + cell * self.space.step

    def local_time_of(self, cell: int) -> tuple[int, int]:
        """Local ``(day, minute of day)`` of a candidate cell."""
        start = self.time_of(cell)
        stretch = self.stretches[bisect_right(self.stretches, (start, _AFTER_ANY)) - 1]
        return stretch.day, stretch.local_minute + start - stretch.start


@dataclass(frozen=True, slots=True)
class AvailabilityGrid:
    """The result of a search as bitmasks over ``cells``: bit ``k`` of
    ``practitioner_masks[p]`` is set when practitioner ``p`` can take a booking
    starting at ``cells.time_of(k)``.

    Cheap to build and to query by day; ``slots()`` turns it into ``Slot`` objects.
    """

    timing: TreatmentTiming
    cells: CandidateCells
    practitioners: tuple[str, ...]
    practitioner_masks: tuple[int, ...]
    rooms: tuple[str, ...]
    room_masks: tuple[int, ...]
    devices: tuple[str | None, ...]
    device_masks: tuple[int, ...]
    _first_free_tables: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def any_practitioner_mask(self) -> int:
        """Cells where at least one practitioner can start."""
        return _union(self.practitioner_masks)

    def slot_at(self, cell: int, practitioner_index: int) -> Slot:
        """The slot starting in ``cell`` with the given practitioner and the first free
        room and device (the cell must be set in that practitioner's mask)."""
        start = self.cells.time_of(cell)
        treatment_start = start + self.timing.numbing_minutes
        return Slot(
            start,
            treatment_start,
            treatment_start + self.timing.treatment_minutes,
            self.practitioners[practitioner_index],
            self._first_free("room", self.rooms, self.room_masks, cell) or "",
            self._first_free("device", self.devices, self.device_masks, cell),
        )

    def _first_free(
        self, kind: str, codes: Sequence[str | None], masks: Sequence[int], cell: int
    ) -> str | None:
        """The resource chosen for a cell, from a per-cell table built on first use
        (testing a bit of a long mask costs a copy of the mask)."""
        table = self._first_free_tables.get(kind)
        if table is None:
            table = self._first_free_tables[kind] = _first_free_table(masks, self.cells.space.size)
        if not table:
            return _first_free(codes, masks, cell)
        chosen = table[cell]
        return codes[chosen - 1] if chosen else None

    def slots(self, limit: int | None = None, cells: range | None = None) -> list[Slot]:
        """All slots, sorted by start then practitioner order, at most ``limit``.

        ``cells`` restricts the result to a range of cells (e.g. one local day, see
        ``cells.cells_by_day``).  With a limit, cells are materialised a chunk at a time.
        """
        span = cells if cells is not None else range(self.cells.space.size)
        if limit == 0 or not span:
            return []
        chunk = len(span) if limit is None else _LIMITED_CHUNK_CELLS
        result: list[Slot] = []
        for low in range(span.start, span.stop, chunk):
            wanted = None if limit is None else limit - len(result)
            result.extend(self._slots_between(low, min(low + chunk, span.stop), wanted))
            if limit is not None and len(result) >= limit:
                return result[:limit]
        return result

    def _slots_between(self, low: int, high: int, limit: int | None = None) -> list[Slot]:
        window = full_mask(high - low)
        masks = [(mask >> low) & window for mask in self.practitioner_masks]
        union = _union(masks)
        if not union:
            return []
        width = union.bit_length()
        in_union = flags_from_mask(union, width)
        rows = [bytes(compress(flags_from_mask(mask, width), in_union)) for mask in masks]
        result: list[Slot] = []
        for offset, column in zip(set_cells(union), zip(*rows, strict=True), strict=True):
            result.extend(self._slots_of_cell(low + offset, column))
            if limit is not None and len(result) >= limit:
                break
        return result

    def _slots_of_cell(self, cell: int, column: Sequence[int]) -> list[Slot]:
        start, treatment_start, end, _, room, device = self.slot_at(cell, column.index(1))
        fields = zip(
            repeat(start),
            repeat(treatment_start),
            repeat(end),
            compress(self.practitioners, column),
            repeat(room),
            repeat(device),
            strict=False,
        )
        # tuple.__new__ skips the NamedTuple's Python-level __new__: 3x faster per slot.
        return cast(list[Slot], list(map(tuple.__new__, repeat(Slot), fields)))

    def free_starts(self, practitioner: str) -> list[int]:
        """Bookable start minutes for one practitioner, ascending."""
        mask = self.practitioner_masks[self.practitioners.index(practitioner)]
        return [self.cells.time_of(cell) for cell in set_cells(mask)]

    def day_mask(self, practitioner_index: int, day: int) -> int:
        """A practitioner's bookable cells on one local day, bit 0 = the day's first
        cell (``cells.cells_by_day[day].start``)."""
        cells = self.cells.cells_by_day.get(day)
        if cells is None:
            return 0
        return (self.practitioner_masks[practitioner_index] >> cells.start) & full_mask(len(cells))

    def bookable_days(self) -> list[int]:
        """Local days with at least one bookable slot, ascending."""
        union = self.any_practitioner_mask
        return [
            day
            for day, cells in self.cells.cells_by_day.items()
            if (union >> cells.start) & full_mask(len(cells))
        ]


def _first_free_table(masks: Sequence[int], size: int) -> bytes:
    """Per cell, 1 + the index of the resource whose (disjoint) mask holds it, or 0;
    empty when there are too many resources for a byte."""
    if len(masks) > _MAX_TABLE_RESOURCES:
        return b""
    combined = 0
    for number, mask in enumerate(masks, start=1):
        flags = flags_from_mask(mask, size).translate(bytes.maketrans(b"\x01", bytes([number])))
        combined |= int.from_bytes(flags, "little")
    return combined.to_bytes(size, "little")


def _first_free(codes: Sequence[str | None], masks: Sequence[int], cell: int) -> str | None:
    for code, mask in zip(codes, masks, strict=True):
        if mask >> cell & 1:
            return code
    return None


def _union(masks: Iterable[int]) -> int:
    union = 0
    for mask in masks:
        union |= mask
    return union


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
    candidates = 0
    cells_by_day: dict[int, range] = {}
    for stretch, first, count in runs:
        cell = (first - origin) // step
        candidates |= _progression(count, stride) << cell
        day_cells = cells_by_day.get(stretch.day, range(cell, cell))
        cells_by_day[stretch.day] = range(day_cells.start, cell + (count - 1) * stride + 1)
    space = CellSpace(origin, step, candidates.bit_length())
    return CandidateCells(space, candidates, tuple(stretches), cells_by_day)


def _first_start(stretch: OpenInterval, grid_minutes: int, not_before: int | None) -> int:
    if not_before is None or not_before <= stretch.start:
        return stretch.start
    return stretch.start - (stretch.start - not_before) // grid_minutes * grid_minutes


def _progression(count: int, stride: int) -> int:
    """Mask with bits ``0, stride, 2 * stride, …`` (``count`` of them)."""
    return full_mask(count * stride) // full_mask(stride)


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


def _first_free_masks(
    resources: Sequence[Resource], space: CellSpace, wanted: int, first: int, last: int
) -> tuple[int, ...]:
    """Per resource, the ``wanted`` cells where it is the first free one in the given
    order.  Once every wanted cell has a resource, later ones are never chosen, so their
    busy lists are not even read."""
    taken = 0
    masks: list[int] = []
    for resource in resources:
        still_wanted = wanted & ~taken
        free = (
            still_wanted & ~blocked_cells(space, resource.busy, first, last) if still_wanted else 0
        )
        masks.append(free)
        taken |= free
    return tuple(masks)


def compute_availability(query: AvailabilityQuery) -> AvailabilityGrid:
    """Search the query and return the bookable cells as bitmasks (see module doc).

    Practitioners come first: rooms, devices and the lounge are then only examined on
    cells some practitioner can take, which lets the room scan stop early.
    """
    timing = query.timing
    cells = candidate_cells(
        query.open_intervals, timing.total_minutes, query.grid_minutes, query.not_before
    )
    space = cells.space
    treatment_start = timing.numbing_minutes
    treatment_end = timing.total_minutes
    held_until = treatment_end + timing.buffer_minutes
    practitioner_masks = [
        _practitioner_mask(practitioner, space, cells.candidates, timing)
        for practitioner in query.practitioners
    ]
    wanted = _union(practitioner_masks)
    room_masks = _first_free_masks(query.rooms, space, wanted, treatment_start, held_until)
    common = _union(room_masks)
    devices: tuple[str | None, ...] = (None,)
    device_masks: tuple[int, ...] = (common,)
    if timing.needs_device:
        devices = tuple(device.code for device in query.devices)
        device_masks = _first_free_masks(
            query.devices, space, common, treatment_start, treatment_end
        )
        common = _union(device_masks)
    if query.lounge is not None and common:
        lounge = query.lounge
        common &= ~saturated_cells(space, lounge.occupied, lounge.capacity, treatment_start)
    return AvailabilityGrid(
        timing=timing,
        cells=cells,
        practitioners=tuple(practitioner.code for practitioner in query.practitioners),
        practitioner_masks=tuple(mask & common for mask in practitioner_masks),
        rooms=tuple(room.code for room in query.rooms),
        room_masks=room_masks,
        devices=devices,
        device_masks=device_masks,
    )


def _practitioner_mask(
    practitioner: PractitionerCalendar, space: CellSpace, candidates: int, timing: TreatmentTiming
) -> int:
    """Candidate cells inside the practitioner's working time and clear of their busy
    intervals (buffer included)."""
    unavailable = unavailable_cells(
        space,
        practitioner.working,
        practitioner.busy,
        timing.numbing_minutes,
        timing.total_minutes,
        busy_extension=timing.buffer_minutes,
    )
    return candidates & ~unavailable


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
    "Lounge",
    "OpenInterval",
    "PractitionerCalendar",
    "Resource",
    "Slot",
    "TreatmentTiming",
    "candidate_cells",
    "compute_availability",
    "find_slots",
]
