"""One site's availability: the Django shell around the pure engine (``scheduling.engine``).

For one site and a window of local days it loads

* the site's opening hours per local day, minus public holidays (``holidays`` package,
  ``site.holiday_country``/``holiday_subdivision``) and ``ClosedDay`` rows;
* each qualified practitioner's working hours at the site, minus their absences;
* with **one** batched, index-friendly query, every active appointment that keeps a
  practitioner, room, device or lounge place busy in the window (the site's appointments
  through the ``(site, start)`` index, the practitioners' appointments elsewhere through
  ``(practitioner, treatment_start)``; both branches are bounded ranges);

converts everything to integer minutes since the Unix epoch (UTC), and calls the engine.
Local days and DST are handled here, never in the engine.

Only practitioners qualified for the treatment appear. Qualification is decided by the
safety engine's own practitioner rules (``practitioner_not_qualified`` and
``practitioner_registration_expired``), so booking and screening never disagree; a
registration that expires inside the window ends the practitioner's availability on the
day it expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Device, Practitioner, Room, Site, WorkingHours
from mesoclinic.safety.qualification import qualified_practitioners
from mesoclinic.scheduling import busy, site_resources
from mesoclinic.scheduling.busy import minutes_of
from mesoclinic.scheduling.engine import (
    AvailabilityGrid,
    AvailabilityQuery,
    Lounge,
    OpenInterval,
    PractitionerCalendar,
    Resource,
    Slot,
    SlotTable,
    TreatmentTiming,
    compute_availability,
    subtract,
)
from mesoclinic.scheduling.engine.cells import Ints
from mesoclinic.scheduling.selectors.times import (
    _days,
    buffer_minutes,
    ceil_minutes_of,
    closed_days_in,
    grid_minutes,
    local_midnight,
    moment_of,
)

MAX_APPOINTMENT_SPAN = dt.timedelta(minutes=busy.MAX_APPOINTMENT_SPAN_MINUTES)
"""No appointment (numbing + treatment + buffer) lasts longer: bounds the busy query."""


class AvailableSlot(NamedTuple):
    """A bookable appointment: aware datetimes in the site's time zone, resource codes.

    ``start`` is the client's arrival (numbing begins), ``treatment_start`` when the
    practitioner starts and ``end`` when the treatment is over.
    """

    start: dt.datetime
    treatment_start: dt.datetime
    end: dt.datetime
    practitioner: str
    room: str
    device: str | None
    site: str


@dataclass(slots=True)
class SiteSlots:
    """Slots of one site as columns (``engine.SlotTable``), with the site's time zone to
    turn their minutes into aware datetimes."""

    site: Site
    tz: dt.tzinfo
    table: SlotTable

    def slots(self) -> list[AvailableSlot]:
        """The rows as ``AvailableSlot`` tuples (aware datetimes in the site's zone)."""
        table = self.table
        if not len(table):
            return []
        starts, treatment_starts, ends = (
            table.starts.tolist(),
            table.treatment_starts.tolist(),
            table.ends.tolist(),
        )
        # Thousands of slots share a few thousand moments: each is converted once, and the
        # slots are built column by column, with no Python call per slot.
        moments = {
            minutes: moment_of(minutes, self.tz) for minutes in {*starts, *treatment_starts, *ends}
        }
        moment = moments.__getitem__
        fields = zip(
            map(moment, starts),
            map(moment, treatment_starts),
            map(moment, ends),
            table.practitioners.tolist(),
            table.rooms.tolist(),
            table.devices.tolist(),
            repeat(self.site.code),
            strict=False,
        )
        return cast(list[AvailableSlot], list(map(tuple.__new__, repeat(AvailableSlot), fields)))


@dataclass(slots=True)
class SiteSearch:
    """One engine search over one site and window, with what it needs to convert back."""

    site: Site
    tz: dt.tzinfo
    grid: AvailabilityGrid
    practitioners: dict[str, Practitioner]
    rooms: dict[str, Room]
    devices: dict[str, Device]
    limit: int | None = None

    def available(self, slot: Slot) -> AvailableSlot:
        """An engine slot as aware datetimes in the site's time zone."""
        return AvailableSlot(
            moment_of(slot.start, self.tz),
            moment_of(slot.treatment_start, self.tz),
            moment_of(slot.end, self.tz),
            slot.practitioner,
            slot.room,
            slot.device,
            self.site.code,
        )

    def found(self) -> SiteSlots:
        """Every bookable slot (up to the search's limit), sorted by start."""
        return SiteSlots(self.site, self.tz, self.grid.table(limit=self.limit))

    def slots_starting(self, start: dt.datetime) -> list[Slot]:
        """Engine slots starting exactly at ``start``, in practitioner preference order."""
        minute = minutes_of(start)
        space = self.grid.cells.space
        offset = minute - space.origin
        if offset < 0 or offset % space.step or offset // space.step >= space.size:
            return []
        cell = offset // space.step
        return self.grid.slots(cells=range(cell, cell + 1))


@dataclass(slots=True)
class _Busy:
    """Busy intervals (``(n, 2)`` arrays of minutes) by practitioner, room and device id,
    and the lounge's occupied intervals."""

    practitioners: dict[int, Ints]
    rooms: dict[int, Ints]
    devices: dict[int, Ints]
    lounge: Ints


_NOTHING_BUSY = np.zeros((0, 2), dtype=np.int64)
_NO_BUSY_ROWS = busy.BusyRows.of([])


def _by_id(ids: Ints, starts: Ints, ends: Ints, wanted: Iterable[int]) -> dict[int, Ints]:
    """``{id: its (start, end) rows}`` for each wanted id (one stable sort, then a binary
    search per id: a mask per id cost a pass over every row)."""
    order = np.argsort(ids, kind="stable")
    pairs = np.column_stack((starts[order], ends[order]))
    sorted_ids = ids[order]
    wanted = list(wanted)
    lows = np.searchsorted(sorted_ids, wanted, side="left").tolist()
    highs = np.searchsorted(sorted_ids, wanted, side="right").tolist()
    return {key: pairs[low:high] for key, low, high in zip(wanted, lows, highs, strict=True)}


@dataclass(frozen=True, slots=True)
class _WindowBounds:
    """Which rows of ``scheduling.busy`` can keep a search busy: those of the site's
    rooms, devices and lounge, and of the candidate practitioners (anywhere), that reach
    into the window."""

    site_id: int
    practitioner_ids: Sequence[int]
    first: int
    last: int

    @property
    def earliest(self) -> int:
        """No row starting before this reaches into the window."""
        return self.first - busy.MAX_APPOINTMENT_SPAN_MINUTES

    def mine(self, rows: busy.BusyRows) -> npt.NDArray[np.bool_]:
        """The candidates' rows (bounded by treatment start, which is when they begin)."""
        return (
            np.isin(rows.practitioners, self.practitioner_ids)
            & (rows.treatment_starts >= self.earliest)
            & (rows.treatment_starts < self.last)
            & (rows.busy_untils > self.first)
        )

    def here(self, rows: busy.BusyRows) -> npt.NDArray[np.bool_]:
        """The site's rows (rooms, devices, lounge), bounded by arrival."""
        return (
            (rows.sites == self.site_id)
            & (rows.starts >= self.earliest)
            & (rows.starts < self.last)
            & (rows.busy_untils > self.first)
        )


def _window_rows(
    *,
    site: Site,
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
    exclude_ids: Iterable[int] = (),
) -> busy.BusyRows:
    """The rows of ``scheduling.busy`` (memory or one query) that can keep the site's
    rooms, devices and lounge or the given practitioners busy during the window."""
    rows = busy.for_window(
        site_id=site.pk,
        practitioner_ids=practitioner_ids,
        window_start=window_start,
        window_end=window_end,
        exclude_ids=exclude_ids,
    )
    bounds = _WindowBounds(
        site.pk, practitioner_ids, minutes_of(window_start), minutes_of(window_end)
    )
    return rows.where(bounds.mine(rows) | bounds.here(rows))


def _digest(rows: busy.BusyRows) -> bytes:
    """A fingerprint of the rows' busy time (everything but the ids, in row order): equal
    digests, equal rows, so equal busy time for the same candidates and resources."""
    found = hashlib.blake2b(digest_size=16)
    found.update(len(rows).to_bytes(8, "little"))
    for column in rows.columns()[1:]:  # all but the ids
        found.update(np.ascontiguousarray(column, dtype=np.int64).tobytes())
    return found.digest()


def _busy_intervals(
    rows: busy.BusyRows,
    bounds: _WindowBounds,
    *,
    room_ids: Iterable[int],
    device_ids: Iterable[int],
) -> _Busy:
    """The window's rows (``_window_rows``) as busy intervals by whose they are."""
    mine = rows.where(bounds.mine(rows))
    here = rows.where(bounds.here(rows))
    # The database guards devices over [treatment_start, busy_until) of both bookings
    # while the engine checks a new booking's device over [treatment_start, end):
    # widening the busy interval by the buffer at the front makes the two agree exactly
    # (see the report on the engine).
    numbing = here.starts < here.treatment_starts
    return _Busy(
        practitioners=_by_id(
            mine.practitioners, mine.treatment_starts, mine.busy_untils, bounds.practitioner_ids
        ),
        rooms=_by_id(here.rooms, here.treatment_starts, here.busy_untils, room_ids),
        devices=_by_id(
            here.devices, here.treatment_starts - buffer_minutes(), here.busy_untils, device_ids
        ),
        lounge=np.column_stack((here.starts[numbing], here.treatment_starts[numbing])),
    )


def site_practitioners(*, site: Site, codes: Sequence[str] | None = None) -> list[Practitioner]:
    """Active practitioners with working hours at ``site`` (optionally only ``codes``),
    in code order, each with those working hours as ``site_hours`` (one query)."""
    hours = WorkingHours.objects.filter(site=site, practitioner__active=True).select_related(
        "practitioner"
    )
    if codes is not None:
        hours = hours.filter(practitioner__code__in=list(codes))
    practitioners: dict[int, Practitioner] = {}
    for row in hours.order_by("practitioner__code", "weekday", "starts"):
        practitioner = practitioners.setdefault(row.practitioner_id, row.practitioner)
        if not hasattr(practitioner, "site_hours"):
            practitioner.site_hours = []  # type: ignore[attr-defined]
        practitioner.site_hours.append(row)  # type: ignore[attr-defined]
    return list(practitioners.values())


@dataclass(slots=True)
class PreparedSearch:
    """What a search of one site and window reads before it asks who is qualified: the
    site's resources and open days, the candidate practitioners (qualified or not), the
    rooms and devices, and the busy time of all of them."""

    site: Site
    resources: site_resources.SiteResources
    date_from: dt.date
    date_to: dt.date
    window: tuple[int, int]
    """The window's first and last (excluded) epoch minute."""
    frames: list[tuple[dt.date, site_resources.DayFrame]]
    candidates: list[Practitioner]
    rooms: list[Room]
    devices: list[Device]
    device_pinned: bool
    busy_rows: busy.BusyRows
    """The rows that can keep any of them busy in the window (``_window_rows``)."""

    @property
    def open_intervals(self) -> list[OpenInterval]:
        """The site's opening intervals on the open days of the window."""
        return [interval for _, frame in self.frames for interval in frame.opening]

    def busy_digest(self) -> bytes:
        """A fingerprint of the busy time in the window (for a remembered search's key:
        cheaper than grouping the rows, which only a search needs)."""
        return _digest(self.busy_rows)

    def busy_time(self) -> _Busy:
        """The busy rows as intervals by practitioner, room and device, and the lounge's."""
        return _busy_intervals(
            self.busy_rows,
            _WindowBounds(self.site.pk, [p.pk for p in self.candidates], *self.window),
            room_ids=[room.pk for room in self.rooms],
            device_ids=[device.pk for device in self.devices],
        )


def prepare_search(
    *,
    treatment: Treatment,
    site: Site,
    date_from: dt.date,
    date_to: dt.date,
    practitioners: Sequence[str] | None,
    exclude_appointment_ids: Iterable[int],
    room: Room | None,
    device: Device | None,
    resources: site_resources.SiteResources | None,
) -> PreparedSearch:
    """Read what a search needs (``site_search``'s arguments); the busy time is that of
    every candidate, so the same reading serves whoever turns out to be qualified."""
    resources = resources or site_resources.for_site(site)
    # The resources' zone, not the caller's Site object's: the day frames are in it.
    tz = resources.time_zone
    window_start = local_midnight(date_from, tz)
    window_end = local_midnight(date_to + dt.timedelta(days=1), tz)
    closed = closed_days_in(site, resources, date_from, date_to)
    frames = [
        (day, resources.day_frame(day)) for day in _days(date_from, date_to) if day not in closed
    ]
    candidates = resources.practitioners_coded(practitioners)
    rooms = [room] if room is not None else list(resources.rooms)
    devices: list[Device] = []
    if device is not None:  # pinned: the treatment's type, or an optional injector asked for
        devices = [device]
    elif treatment.device_type:
        devices = resources.devices_of_type(treatment.device_type)
    busy_rows = _NO_BUSY_ROWS
    if candidates and any(frame.opening for _, frame in frames):
        busy_rows = _window_rows(
            site=site,
            practitioner_ids=[practitioner.pk for practitioner in candidates],
            window_start=window_start,
            window_end=window_end,
            exclude_ids=exclude_appointment_ids,
        )
    return PreparedSearch(
        site,
        resources,
        date_from,
        date_to,
        (minutes_of(window_start), minutes_of(window_end)),
        frames,
        candidates,
        rooms,
        devices,
        device is not None,
        busy_rows,
    )


def run_search(
    prepared: PreparedSearch,
    *,
    treatment: Treatment,
    formulation: Formulation | None,
    not_before: dt.datetime | None,
    limit: int | None,
) -> SiteSearch:
    """The engine's search over what ``prepare_search`` read, with the qualified practitioners."""
    site, resources = prepared.site, prepared.resources
    qualified = qualified_practitioners(
        prepared.candidates,
        treatment=treatment,
        date_from=prepared.date_from,
        date_to=prepared.date_to,
        formulation=formulation,
    )
    busy_time = prepared.busy_time()
    first, last = prepared.window
    frames = prepared.frames
    calendars = []
    open_days = [day for day, _ in frames]
    for practitioner, through in qualified:
        pk = practitioner.pk
        working = subtract(
            chain.from_iterable(
                frame.working.get(pk, ()) for _, frame in frames[: bisect_right(open_days, through)]
            ),
            resources.absences_between(pk, first, last),
        )
        calendars.append(
            PractitionerCalendar(
                practitioner.code,
                sorted(working),
                busy_time.practitioners.get(practitioner.pk, _NOTHING_BUSY),
            )
        )
    lounge = None
    if treatment.numbing_minutes > 0 and site.numbing_lounge_capacity > 0:
        lounge = Lounge(site.numbing_lounge_capacity, busy_time.lounge)
    query = AvailabilityQuery(
        timing=treatment_timing(treatment, device_pinned=prepared.device_pinned),
        open_intervals=prepared.open_intervals,
        practitioners=calendars,
        rooms=[
            Resource(room.code, busy_time.rooms.get(room.pk, _NOTHING_BUSY))
            for room in prepared.rooms
        ],
        devices=[
            Resource(device.code, busy_time.devices.get(device.pk, _NOTHING_BUSY))
            for device in prepared.devices
        ],
        lounge=lounge,
        grid_minutes=grid_minutes(),
        not_before=first_start_minute(not_before),
        limit=limit,
    )
    return SiteSearch(
        site=site,
        tz=resources.time_zone,
        grid=compute_availability(query),
        practitioners={practitioner.code: practitioner for practitioner, _ in qualified},
        rooms={room.code: room for room in prepared.rooms},
        devices={device.code: device for device in prepared.devices},
        limit=limit,
    )


def treatment_timing(treatment: Treatment, *, device_pinned: bool) -> TreatmentTiming:
    return TreatmentTiming(
        treatment_minutes=treatment.treatment_minutes,
        numbing_minutes=treatment.numbing_minutes,
        buffer_minutes=buffer_minutes(),
        needs_device=bool(treatment.device_type) or device_pinned,
    )


def first_start_minute(moment: dt.datetime | None) -> int:
    """The first minute a slot may start: ``moment``, or now, rounded up."""
    return ceil_minutes_of(moment if moment is not None else clock.now())


def site_search(
    *,
    treatment: Treatment,
    site: Site,
    date_from: dt.date,
    date_to: dt.date,
    practitioners: Sequence[str] | None = None,
    formulation: Formulation | None = None,
    not_before: dt.datetime | None = None,
    exclude_appointment_ids: Iterable[int] = (),
    room: Room | None = None,
    device: Device | None = None,
    limit: int | None = None,
    resources: site_resources.SiteResources | None = None,
) -> SiteSearch:
    """Search one site for ``treatment`` over local days ``date_from``..``date_to``.

    ``practitioners`` restricts the search to those codes (unqualified ones are dropped);
    ``not_before`` (default: now) drops earlier starts; ``exclude_appointment_ids`` are
    ignored as busy time (to move an appointment); ``room``/``device`` pin a resource (a
    pinned device is reserved even when the treatment needs none: an optional injector);
    ``resources`` are the site's when the caller has read them already.
    """
    prepared = prepare_search(
        treatment=treatment,
        site=site,
        date_from=date_from,
        date_to=date_to,
        practitioners=practitioners,
        exclude_appointment_ids=exclude_appointment_ids,
        room=room,
        device=device,
        resources=resources,
    )
    return run_search(
        prepared, treatment=treatment, formulation=formulation, not_before=not_before, limit=limit
    )
