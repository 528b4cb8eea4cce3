"""The naive availability search: the baseline for benchmarks and the oracle for tests.

It walks every candidate start and checks it against every busy interval of every
resource, the way most booking systems do.  It shares no code with the array search
beyond the data types, so agreement between the two is evidence that both are right.
Same semantics as ``availability.find_slots`` (see that module's docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .availability import AvailabilityQuery, OpenInterval, Resource, Slot
from .intervals import Intervals


def _as_pairs(intervals: Intervals) -> Sequence[Sequence[int]]:
    return intervals.tolist() if isinstance(intervals, np.ndarray) else intervals


def _overlaps(start: int, end: int, busy: Intervals) -> bool:
    return any(
        start < busy_end and busy_start < end and busy_start < busy_end
        for busy_start, busy_end in _as_pairs(busy)
    )


def _union_of(intervals: Sequence[tuple[int, int]]) -> list[list[int]]:
    pieces: list[list[int]] = []
    for start, end in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if pieces and start <= pieces[-1][1]:
            pieces[-1][1] = max(pieces[-1][1], end)
        else:
            pieces.append([start, end])
    return pieces


def _inside(start: int, end: int, pieces: Sequence[list[int]]) -> bool:
    return any(low <= start and end <= high for low, high in pieces)


def _open_stretches(open_intervals: Sequence[OpenInterval]) -> list[list[int]]:
    stretches: list[list[int]] = []
    for interval in sorted(open_intervals):
        if interval.start >= interval.end:
            continue
        if stretches and interval.start == stretches[-1][1] and interval.day == stretches[-1][2]:
            stretches[-1][1] = interval.end
        else:
            stretches.append([interval.start, interval.end, interval.day])
    return stretches


def _lounge_full(start: int, end: int, occupied: Intervals, capacity: int) -> bool:
    overlapping = [(s, e) for s, e in _as_pairs(occupied) if s < e and s < end and start < e]
    moments = [start] + [s for s, _ in overlapping if start < s < end]
    return any(sum(1 for s, e in overlapping if s <= moment < e) >= capacity for moment in moments)


def _first_free(resources: Sequence[Resource], start: int, end: int) -> str | None:
    for resource in resources:
        if not _overlaps(start, end, resource.busy):
            return resource.code
    return None


def naive_find_slots(query: AvailabilityQuery) -> list[Slot]:
    """Reference implementation of ``find_slots``: scan every candidate start against
    every busy interval (slow, obviously correct; for tests and benchmarks)."""
    timing = query.timing
    span = timing.numbing_minutes + timing.treatment_minutes
    working = [_union_of(practitioner.working) for practitioner in query.practitioners]
    slots: list[Slot] = []
    for stretch_start, stretch_end, _ in _open_stretches(query.open_intervals):
        start = stretch_start
        while start + span <= stretch_end:
            if query.not_before is None or start >= query.not_before:
                slots.extend(_slots_at(query, working, start))
            start += query.grid_minutes
    if query.limit is not None:
        return slots[: query.limit]
    return slots


def _slots_at(query: AvailabilityQuery, working: list[list[list[int]]], start: int) -> list[Slot]:
    timing = query.timing
    treatment_start = start + timing.numbing_minutes
    end = treatment_start + timing.treatment_minutes
    held_until = end + timing.buffer_minutes
    lounge = query.lounge
    if (
        lounge is not None
        and timing.numbing_minutes > 0
        and _lounge_full(start, treatment_start, lounge.occupied, lounge.capacity)
    ):
        return []
    room = _first_free(query.rooms, treatment_start, held_until)
    device = _first_free(query.devices, treatment_start, end) if timing.needs_device else None
    if room is None or (timing.needs_device and device is None):
        return []
    return [
        Slot(start, treatment_start, end, practitioner.code, room, device)
        for practitioner, pieces in zip(query.practitioners, working, strict=True)
        if _inside(treatment_start, end, pieces)
        and not _overlaps(treatment_start, held_until, practitioner.busy)
    ]


__all__ = ["naive_find_slots"]
