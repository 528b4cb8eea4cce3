"""Availability over every bookable site (or one), in growing chunks for a first page.

Each site's part is ``one_site``'s search. Outside transactions a part is answered from
memory when the same search was made on the same calendar (``remembered``): the key holds
everything the slots depend on, including a digest of the busy time inside the window, so
a booking months away leaves it valid and one inside the window does not.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import TypedDict, Unpack

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.models import Practitioner, Site
from mesoclinic.safety.policy import screening_config
from mesoclinic.safety.qualification import treatment_facts
from mesoclinic.scheduling import revisions
from mesoclinic.scheduling.engine import SlotTable
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.selectors.one_site import (
    AvailableSlot,
    PreparedSearch,
    SiteSlots,
    first_start_minute,
    prepare_search,
    run_search,
    treatment_timing,
)
from mesoclinic.scheduling.selectors.remembered import Remembered
from mesoclinic.scheduling.selectors.times import grid_minutes

FIRST_CHUNK_DAYS = 7
"""A limited search looks at this many days first, then doubles the chunk."""
MAX_WINDOW_DAYS = 800
"""Longest availability window one request may load (a long course's horizon)."""


_PAGES: Remembered[SiteSlots] = Remembered()
"""Recent searches' slots (``remembered``), for ``availability_tables``: shared by
requests and threads, so their columns are read, never changed."""
REMEMBERED_SLOTS = 1_000
"""Longest answer remembered (a first page, a week of one practitioner): a whole 60-day
calendar is not asked for twice in a row, and would hold megabytes."""


def _site_slots(
    *,
    treatment: Treatment,
    site: Site,
    date_from: dt.date,
    date_to: dt.date,
    practitioners: Sequence[str] | None,
    formulation: Formulation | None,
    not_before: dt.datetime | None,
    limit: int | None,
) -> SiteSlots:
    """``one_site.site_search(...).found()``, from memory when the same search was made
    on the same calendar (outside transactions only, like every cache of the calendar).
    "Now" is read once, so the key and the search agree on it."""
    not_before = not_before if not_before is not None else clock.now()
    prepared = prepare_search(
        treatment=treatment,
        site=site,
        date_from=date_from,
        date_to=date_to,
        practitioners=practitioners,
        exclude_appointment_ids=(),
        room=None,
        device=None,
        resources=None,
    )
    search = functools.partial(
        run_search,
        prepared,
        treatment=treatment,
        formulation=formulation,
        not_before=not_before,
        limit=limit,
    )
    if not revisions.caches_may_answer():
        return search().found()
    key = _page_key(
        prepared, treatment=treatment, formulation=formulation, not_before=not_before, limit=limit
    )
    found = _PAGES.get(key, prepared.resources)
    if found is None:
        found = search().found()
        if len(found.table) <= REMEMBERED_SLOTS:
            _read_only(found.table)
            _PAGES.put(key, prepared.resources, found)
    return SiteSlots(site, found.tz, found.table)


def _read_only(table: SlotTable) -> None:
    """Shared from now on: a caller changing a column in place would change every later
    answer, so numpy refuses it."""
    for column in (
        table.starts,
        table.treatment_starts,
        table.ends,
        table.practitioners,
        table.rooms,
        table.devices,
        table.resources,
    ):
        column.flags.writeable = False


def _page_key(
    prepared: PreparedSearch,
    *,
    treatment: Treatment,
    formulation: Formulation | None,
    not_before: dt.datetime,
    limit: int | None,
) -> tuple[object, ...]:
    """Everything a search's slots depend on besides the site's resources (the entry's
    owner): the site, window, open days (public holidays follow the ``Site`` row the
    caller read) and candidates, the busy time in the window, the treatment as timed and
    as the safety engine sees it, the clinic's screening settings, the grid, the limit
    and the first minute a slot may start (any moment before the window's first minute
    offers the same slots)."""
    first, _ = prepared.window
    return (
        prepared.site.pk,
        prepared.site.numbing_lounge_capacity,
        id(prepared.resources),
        prepared.date_from,
        prepared.date_to,
        tuple(day for day, _ in prepared.frames),
        tuple(practitioner.pk for practitioner in prepared.candidates),
        prepared.busy_digest(),
        treatment.pk,
        treatment_timing(treatment, device_pinned=prepared.device_pinned),
        treatment_facts(treatment, formulation),
        screening_config(),
        grid_minutes(),
        limit,
        max(first_start_minute(not_before), first),
    )


def forget_searches() -> None:
    """Forget every remembered search (the next ones run the engine again)."""
    _PAGES.clear()


def _check_window(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from:
        raise InvalidInput(
            Code.INVALID_RANGE,
            "'to' must not be before 'from'.",
            details={"from": date_from.isoformat(), "to": date_to.isoformat()},
        )
    if (date_to - date_from).days > MAX_WINDOW_DAYS:
        raise InvalidInput(
            Code.INVALID_RANGE,
            f"Search at most {MAX_WINDOW_DAYS} days at a time.",
            details={"from": date_from.isoformat(), "to": date_to.isoformat()},
        )


def bookable_sites(*, site: Site | None = None) -> list[Site]:
    """``[site]`` when given, else every site with an active room, by code."""
    if site is not None:
        return [site]
    return list(Site.objects.filter(rooms__active=True).distinct().order_by("code"))


class _AvailabilityWindow(TypedDict):
    treatment: Treatment
    date_from: dt.date
    date_to: dt.date


class AvailabilityQuestion(_AvailabilityWindow, total=False):
    """What an availability search asks (``availability_tables``' keywords; a test keeps
    the two lists equal). Required keys come from the base class: with postponed
    annotations, ``Required[...]`` would not be seen at run time."""

    site: Site | None
    practitioner: Practitioner | None
    limit: int | None
    formulation: Formulation | None
    not_before: dt.datetime | None


def availability_tables(
    *,
    treatment: Treatment,
    date_from: dt.date,
    date_to: dt.date,
    site: Site | None = None,
    practitioner: Practitioner | None = None,
    limit: int | None = None,
    formulation: Formulation | None = None,
    not_before: dt.datetime | None = None,
) -> list[SiteSlots]:
    """Bookable slots for ``treatment`` on local days ``date_from``..``date_to`` (inclusive)
    as columns, one part per site and searched chunk, each sorted by start (then
    practitioner); at most ``limit`` in all when only one site is searched, at least the
    first ``limit`` of every site otherwise (``availability_for`` merges them).

    Only qualified practitioners appear; slots before ``not_before`` (default: now) never
    do. ``to`` before ``from`` or a window over ``MAX_WINDOW_DAYS`` is a 400.

    With a ``limit`` the window is searched in growing chunks (a week, then two, four …)
    and the search stops once the limit is reached: the first page of a long window then
    costs one small query instead of loading months of bookings.
    """
    _check_window(date_from, date_to)
    codes = [practitioner.code] if practitioner is not None else None
    parts: list[SiteSlots] = []
    found = 0
    sites = bookable_sites(site=site)
    chunk_from, chunk_days = date_from, FIRST_CHUNK_DAYS if limit is not None else None
    while chunk_from <= date_to:
        chunk_to = (
            date_to
            if chunk_days is None
            else min(date_to, chunk_from + dt.timedelta(days=chunk_days - 1))
        )
        for candidate in sites:
            part = _site_slots(
                treatment=treatment,
                site=candidate,
                date_from=chunk_from,
                date_to=chunk_to,
                practitioners=codes,
                formulation=formulation,
                not_before=not_before,
                limit=None if limit is None else limit - found if len(sites) == 1 else limit,
            )
            parts.append(part)
            found += len(part.table)
        if limit is not None and found >= limit:
            break
        chunk_from = chunk_to + dt.timedelta(days=1)
        chunk_days = None if chunk_days is None else chunk_days * 2
    return parts


def availability_for(**question: Unpack[AvailabilityQuestion]) -> list[AvailableSlot]:
    """``availability_tables`` as one list of ``AvailableSlot``, sorted by start (then
    practitioner code), at most ``limit``: the portal's and the staff calendar's search.

    Each slot has ``start``, ``treatment_start``, ``end`` (aware), ``practitioner``,
    ``room`` and ``device`` (codes) and ``site``.
    """
    parts = availability_tables(**question)
    slots = [slot for part in parts for slot in part.slots()]
    if len({part.site.pk for part in parts}) > 1:
        # Each site's slots come sorted (and chunks in order): only sites interleave.
        slots.sort(key=lambda slot: (slot.start, slot.practitioner))
    limit = question.get("limit")
    return slots[:limit] if limit is not None else slots
