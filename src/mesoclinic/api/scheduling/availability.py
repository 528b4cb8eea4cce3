"""``GET /availability``: bookable slots, written out as JSON from the search's columns."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from mesoclinic.api.scheduling.parsing import _practitioner, parse_date
from mesoclinic.api.scheduling.schemas import AvailabilityOut
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.roles import Access, require
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.engine.cells import Ints
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code

router = Router(tags=["scheduling"])

MAX_LIMIT = 5000


_TEXTS_REMEMBERED = 100_000
_texts: dict[tuple[Any, ...], str] = {}
"""Remembered texts: times by (zone, start, treatment start, end), resource combinations
by (practitioner, room, device)."""


def _remember(key: tuple[Any, ...], text: str) -> str:
    """Keep ``text`` for ``key``: availability answers repeat the same few thousand times
    and few hundred resource combinations request after request."""
    if len(_texts) >= _TEXTS_REMEMBERED:
        _texts.clear()
    _texts[key] = text
    return text


def _times_json(zone: str, tz: dt.tzinfo, times: tuple[int, int, int]) -> str:
    """``{"start":…,"treatment_start":…,"end":…,`` for epoch minutes, in local ISO time."""
    key = (zone, *times)
    found = _texts.get(key)
    if found is None:
        start, treatment_start, end = (
            json.dumps(selectors.moment_of(minutes, tz).isoformat()) for minutes in times
        )
        found = _remember(
            key, f'{{"start":{start},"treatment_start":{treatment_start},"end":{end},'
        )
    return found


def _resources_json(codes: tuple[str, str, str | None]) -> str:
    """``"practitioner":…,"room":…,"device":…}``: the rest of a slot's object."""
    found = _texts.get(codes)
    if found is None:
        practitioner, room, device = map(json.dumps, codes)
        found = _remember(codes, f'"practitioner":{practitioner},"room":{room},"device":{device}}}')
    return found


def _start_groups(starts: Ints) -> tuple[Ints, Ints]:
    """For a non-empty array of starts in ascending order: the first row of each distinct
    start, and each row's group number."""
    new_start = np.empty(len(starts), dtype=np.bool_)
    new_start[0] = True
    np.not_equal(starts[1:], starts[:-1], out=new_start[1:])
    return np.flatnonzero(new_start), np.cumsum(new_start) - 1


def _combination_groups(numbers: Ints) -> tuple[Ints, Ints]:
    """For a non-empty array of small non-negative combination numbers: a row of each
    distinct number, and each row's group number (in linear time: no sort)."""
    size = int(numbers.max()) + 1
    a_row = np.empty(size, dtype=np.int64)
    a_row[numbers] = np.arange(len(numbers))  # any row of a number will do
    present = np.zeros(size, dtype=np.bool_)
    present[numbers] = True
    distinct = np.flatnonzero(present)
    group = np.zeros(size, dtype=np.int64)
    group[distinct] = np.arange(len(distinct))
    return a_row[distinct], group[numbers]


def _texts_of_rows(
    write: Callable[[Any], str], rows: Ints, columns: tuple[npt.NDArray[Any], ...]
) -> npt.NDArray[np.object_]:
    """``write`` of each of ``rows``' values in ``columns`` (a tuple per row), as an array
    that row numbers can pick from."""
    values = zip(*(column[rows].tolist() for column in columns), strict=True)
    return np.array([write(value) for value in values], dtype=object)


def _slots_json(part: selectors.SiteSlots) -> list[str]:
    """One site's slots as JSON objects, written from the columns of the search.

    A 60-day answer holds thousands of slots but a few thousand starts (each slot's other
    two times follow from its start) and a few hundred combinations of practitioner, room
    and device: each is written once (and remembered), and each slot is the concatenation
    of its start's text and its combination's, about fifty times cheaper than validating
    every slot with the response schema and encoding it again (the shape stays
    ``AvailabilityOut``'s)."""
    table = part.table
    if not len(table):
        return []
    start_rows, start_of_row = _start_groups(table.starts)
    times = _texts_of_rows(
        functools.partial(_times_json, str(part.tz), part.tz),
        start_rows,
        (table.starts, table.treatment_starts, table.ends),
    )
    combination_rows, combination_of_row = _combination_groups(table.resources)
    combinations = _texts_of_rows(
        _resources_json, combination_rows, (table.practitioners, table.rooms, table.devices)
    )
    rows: list[str] = (times[start_of_row] + combinations[combination_of_row]).tolist()
    return rows


def _availability_response(parts: list[selectors.SiteSlots], limit: int | None) -> HttpResponse:
    """``{"slots": [...]}`` as JSON, sorted by start then practitioner, at most ``limit``."""
    rows = [row for part in parts if len(part.table) for row in _slots_json(part)]
    if len({part.site.pk for part in parts}) > 1:
        # Each site's slots come sorted (and chunks in order): only sites interleave.
        keys = [
            key
            for part in parts
            for key in zip(
                part.table.starts.tolist(), part.table.practitioners.tolist(), strict=True
            )
        ]
        rows = [row for _, row in sorted(zip(keys, rows, strict=True), key=lambda pair: pair[0])]
    if limit is not None:
        rows = rows[:limit]
    return HttpResponse(f'{{"slots":[{",".join(rows)}]}}', content_type="application/json")


@router.get("/availability", response=AvailabilityOut)
def availability(
    request: HttpRequest,
    treatment: str = "",
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    practitioner: str | None = None,
    site: str | None = None,
    limit: int | None = None,
) -> HttpResponse:
    """Bookable slots for a treatment between two local dates (inclusive), sorted by start.

    Only qualified practitioners appear; slots in the past never do. ``to`` before
    ``from``, malformed dates, unknown codes → 400.
    """
    require(request.user, Access.STAFF)
    if not treatment:
        raise InvalidInput(
            Code.INVALID_INPUT, "'treatment' is required.", details={"field": "treatment"}
        )
    first = parse_date(date_from, "from")
    last = parse_date(date_to, "to")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'limit' must be 1 to {MAX_LIMIT}.", details={"field": "limit"}
        )
    parts = selectors.availability_tables(
        treatment=selectors.treatment_for_code(treatment),
        date_from=first,
        date_to=last,
        site=selectors.site_for_code(site) if site else None,
        practitioner=_practitioner(practitioner),
        limit=limit,
    )
    return _availability_response(parts, limit)
