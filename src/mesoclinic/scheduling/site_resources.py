"""What a site offers, for availability searches and booking checks: opening hours,
closed days, the practitioners working there with their hours and absences, its rooms and
devices.

Every search and booking needs all of it and it changes rarely, so each process keeps it
in memory per site and re-reads it only after the ``resources`` revision clock moved
(triggers on every table it comes from advance that clock in the writing transaction,
migration 0004). Inside a transaction it is always read from the database.
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from mesoclinic.people.models import (
    Absence,
    ClosedDay,
    Device,
    OpeningHours,
    Practitioner,
    Room,
    Site,
    WorkingHours,
)
from mesoclinic.scheduling import revisions
from mesoclinic.scheduling.busy import minutes_of
from mesoclinic.scheduling.engine import OpenInterval

MAX_FRAMES = 2_000
"""Local days whose frames one site's resources keep (searches may ask for any dates)."""
Hours = tuple[dt.time, dt.time]
"""Opening or working hours of one weekday: ``(from, to)`` local wall-clock times."""


@dataclass(frozen=True, slots=True)
class DayFrame:
    """One local day of a site in epoch minutes: its opening intervals and, when it has
    any, each practitioner's working intervals there (hours only: absences are taken off
    per search)."""

    opening: tuple[OpenInterval, ...]
    working: dict[int, tuple[tuple[int, int], ...]]


@dataclass(frozen=True, slots=True, weakref_slot=True)
class SiteResources:
    """One site's opening hours and closed days, and its active practitioners (in code
    order, with their working hours there and all their absences), rooms and devices (in
    code order)."""

    time_zone: zoneinfo.ZoneInfo
    opening_hours: dict[int, tuple[Hours, ...]]
    closed_days: frozenset[dt.date]
    practitioners: tuple[Practitioner, ...]
    working_hours: dict[int, dict[int, tuple[Hours, ...]]]
    absences: dict[int, tuple[tuple[int, int], ...]]
    rooms: tuple[Room, ...]
    devices: tuple[Device, ...]
    _frames: dict[dt.date, DayFrame] = field(default_factory=dict, compare=False, repr=False)

    def day_frame(self, day: dt.date) -> DayFrame:
        """The local day's opening and working intervals, worked out once per day (a
        60-day search asks for some 1,300 local times; they only change with the hours,
        and then the resources are read again)."""
        frame = self._frames.get(day)
        if frame is None:
            if len(self._frames) >= MAX_FRAMES:
                self._frames.clear()
            # Two threads may both work a day out: they store equal frames.
            frame = self._frames[day] = self._frame_of(day)
        return frame

    def _frame_of(self, day: dt.date) -> DayFrame:
        weekday = day.weekday()
        opening = tuple(
            OpenInterval(
                self._minutes(day, opens),
                self._minutes(day, closes),
                day.toordinal(),
                opens.hour * 60 + opens.minute,
            )
            for opens, closes in self.opening_hours.get(weekday, ())
        )
        if not opening:
            return DayFrame((), {})
        working = {
            practitioner: tuple(
                (self._minutes(day, starts), self._minutes(day, ends))
                for starts, ends in hours.get(weekday, ())
            )
            for practitioner, hours in self.working_hours.items()
        }
        return DayFrame(opening, working)

    def _minutes(self, day: dt.date, time: dt.time) -> int:
        return minutes_of(dt.datetime.combine(day, time, tzinfo=self.time_zone))

    def practitioners_coded(self, codes: Sequence[str] | None) -> list[Practitioner]:
        """The practitioners, or only those with one of ``codes`` (in code order)."""
        if codes is None:
            return list(self.practitioners)
        wanted = set(codes)
        return [practitioner for practitioner in self.practitioners if practitioner.code in wanted]

    def works_through(self, practitioner_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether the practitioner works here for all of ``[start, end)`` (one local
        day): inside their hours at this site, and not absent."""
        first, last = minutes_of(start), minutes_of(end)
        hours = self.day_frame(start.astimezone(self.time_zone).date()).working
        inside = any(
            begins <= first and last <= ends for begins, ends in hours.get(practitioner_id, ())
        )
        return inside and not self.absences_between(practitioner_id, first, last)

    def devices_of_type(self, device_type: str) -> list[Device]:
        """Active devices of one type, in code order."""
        return [device for device in self.devices if device.device_type == device_type]

    def absences_between(
        self, practitioner_id: int, first: int, last: int
    ) -> list[tuple[int, int]]:
        """A practitioner's absences overlapping ``[first, last)`` (epoch minutes)."""
        return [
            (start, end)
            for start, end in self.absences.get(practitioner_id, ())
            if start < last and first < end
        ]


def _by_weekday(rows: Sequence[tuple[int, dt.time, dt.time]]) -> dict[int, tuple[Hours, ...]]:
    hours: defaultdict[int, list[Hours]] = defaultdict(list)
    for weekday, starts, ends in sorted(rows):
        hours[weekday].append((starts, ends))
    return {weekday: tuple(found) for weekday, found in hours.items()}


def load(site: Site) -> SiteResources:
    """Read a site's resources from the database (six queries)."""
    hours_rows: defaultdict[int, list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    for practitioner_id, weekday, starts, ends in WorkingHours.objects.filter(
        site=site, practitioner__active=True
    ).values_list("practitioner_id", "weekday", "starts", "ends"):
        hours_rows[practitioner_id].append((weekday, starts, ends))
    practitioners = tuple(Practitioner.objects.filter(pk__in=list(hours_rows)).order_by("code"))
    absences: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for practitioner_id, starts_at, ends_at in Absence.objects.filter(
        practitioner_id__in=list(hours_rows)
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        absences[practitioner_id].append((minutes_of(starts_at), minutes_of(ends_at)))
    return SiteResources(
        time_zone=zoneinfo.ZoneInfo(site.time_zone),
        opening_hours=_by_weekday(
            list(OpeningHours.objects.filter(site=site).values_list("weekday", "opens", "closes"))
        ),
        closed_days=frozenset(ClosedDay.objects.filter(site=site).values_list("date", flat=True)),
        practitioners=practitioners,
        working_hours={key: _by_weekday(rows) for key, rows in hours_rows.items()},
        absences={key: tuple(sorted(found)) for key, found in absences.items()},
        rooms=tuple(Room.objects.filter(site=site, active=True).order_by("code")),
        devices=tuple(Device.objects.filter(site=site, active=True).order_by("code")),
    )


class _Cache:
    """Each site's resources as of one stamp of the ``resources`` clock. The model
    instances it holds are shared between requests and threads: read them, never change
    them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: revisions.Stamp | None = None
        self._sites: dict[int, SiteResources] = {}

    def clear(self) -> None:
        with self._lock:
            self._stamp = None
            self._sites = {}

    def get(self, site: Site) -> SiteResources:
        stamp = revisions.read(revisions.RESOURCES)
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._sites = stamp, {}
            found = self._sites.get(site.pk)
            if found is None:
                found = self._sites[site.pk] = load(site)
            return found


_CACHE = _Cache()


def for_site(site: Site) -> SiteResources:
    """The site's resources: from memory outside transactions, else from the database."""
    if revisions.caches_may_answer():
        return _CACHE.get(site)
    return load(site)


def clear_cache() -> None:
    """Forget every site's resources (the next read reloads)."""
    _CACHE.clear()
