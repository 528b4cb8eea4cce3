"""Turns the benchmark database into the engine's plain inputs.

The engine (``mesoclinic.scheduling.engine``) takes integer minutes; this module builds an
``AvailabilityQuery`` for a site, a treatment and a window of local days with **one**
indexed range query for every booking that can matter (``site, start`` index), the way
benchmarks.md asks, so the engine can be timed on real calendars independently of the
scheduling selectors (which the benchmarks also time, end to end, when they exist).

Conventions follow ``engine.availability``: practitioner and room busy intervals are
``[treatment_start, busy_until)``; the lounge holds ``[start, treatment_start)``.  Device
intervals are widened to ``[treatment_start - buffer, busy_until)``: the database's
exclusion constraint holds a device over ``[treatment_start, busy_until)`` while the engine
checks a new booking's device phase over ``[treatment_start, end)``, and widening the
existing intervals by the buffer makes the two agree exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from mesoclinic.scheduling.engine import (
    AvailabilityQuery,
    Lounge,
    OpenInterval,
    PractitionerCalendar,
    Resource,
    TreatmentTiming,
    subtract,
)

DEFAULT_BUFFER_MINUTES = 10


def epoch_minutes(moment: dt.datetime) -> int:
    """Whole minutes since the Unix epoch of an aware datetime."""
    return int(moment.timestamp()) // 60


@dataclass(frozen=True)
class SiteCalendar:
    """The slowly-changing part of a site's calendar (hours, people, rooms), loaded once."""

    site_id: int
    time_zone: str
    lounge_capacity: int
    opening: dict[int, list[tuple[dt.time, dt.time]]]  # weekday -> intervals
    working: dict[int, dict[int, list[tuple[dt.time, dt.time]]]]  # practitioner -> weekday
    practitioners: dict[int, str]  # id -> code, in preference order
    prescribers: frozenset[int]
    injectors: frozenset[int]
    rooms: dict[int, str]
    devices: dict[int, tuple[str, str]]  # id -> (code, device type)
    closed: frozenset[dt.date]


def site_calendar(site_code: str, years: Sequence[int]) -> SiteCalendar:
    """Load a site's opening hours, practitioners, rooms, devices and closed days."""
    import holidays

    from mesoclinic.people.models import (
        ClosedDay,
        Device,
        OpeningHours,
        Practitioner,
        Room,
        Site,
        WorkingHours,
    )

    site = Site.objects.get(code=site_code)
    opening: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for weekday, opens, closes in OpeningHours.objects.filter(site=site).values_list(
        "weekday", "opens", "closes"
    ):
        opening[weekday].append((opens, closes))
    working: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for practitioner, weekday, starts, ends in WorkingHours.objects.filter(site=site).values_list(
        "practitioner_id", "weekday", "starts", "ends"
    ):
        working[practitioner][weekday].append((starts, ends))
    practitioners = list(Practitioner.objects.filter(sites=site, active=True).order_by("code"))
    closed = set(
        holidays.country_holidays(
            site.holiday_country, subdiv=site.holiday_subdivision or None, years=years
        )
    )
    closed |= set(ClosedDay.objects.filter(site=site).values_list("date", flat=True))
    return SiteCalendar(
        site_id=site.pk,
        time_zone=site.time_zone,
        lounge_capacity=site.numbing_lounge_capacity,
        opening=dict(opening),
        working={key: dict(value) for key, value in working.items()},
        practitioners={p.pk: p.code for p in practitioners},
        prescribers=frozenset(p.pk for p in practitioners if p.is_prescriber),
        injectors=frozenset(p.pk for p in practitioners if p.profession in ("doctor", "nurse")),
        rooms=dict(
            Room.objects.filter(site=site, active=True).order_by("code").values_list("pk", "code")
        ),
        devices={
            pk: (code, kind)
            for pk, code, kind in Device.objects.filter(site=site, active=True)
            .order_by("code")
            .values_list("pk", "code", "device_type")
        },
        closed=frozenset(closed),
    )


def _local_intervals(
    day: dt.date, hours: Sequence[tuple[dt.time, dt.time]], tz: dt.tzinfo
) -> list[tuple[int, int, int]]:
    return [
        (
            epoch_minutes(dt.datetime.combine(day, opens, tzinfo=tz)),
            epoch_minutes(dt.datetime.combine(day, closes, tzinfo=tz)),
            opens.hour * 60 + opens.minute,
        )
        for opens, closes in hours
    ]


def availability_query(
    calendar: SiteCalendar,
    *,
    treatment_minutes: int,
    numbing_minutes: int,
    device_type: str,
    prescriber_only: bool,
    needs_needle: bool,
    first_day: dt.date,
    last_day: dt.date,
    practitioner: str | None = None,
    buffer_minutes: int = DEFAULT_BUFFER_MINUTES,
    grid_minutes: int = 15,
    limit: int | None = None,
) -> AvailabilityQuery:
    """The engine query for one treatment over ``[first_day, last_day]`` (local days),
    with one range query for the bookings of the window."""
    import zoneinfo

    from mesoclinic.people.models import Absence
    from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment

    tz = zoneinfo.ZoneInfo(calendar.time_zone)
    eligible = [
        pk
        for pk, code in calendar.practitioners.items()
        if (not needs_needle or pk in calendar.injectors)
        and (not prescriber_only or pk in calendar.prescribers)
        and (practitioner is None or code == practitioner)
    ]
    days = [
        first_day + dt.timedelta(days=n)
        for n in range((last_day - first_day).days + 1)
        if first_day + dt.timedelta(days=n) not in calendar.closed
    ]
    open_intervals = [
        OpenInterval(start, end, day.toordinal(), local_minute)
        for day in days
        for start, end, local_minute in _local_intervals(
            day, calendar.opening.get(day.weekday(), ()), tz
        )
    ]
    window_start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    practitioner_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    room_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    device_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    lounge: list[tuple[int, int]] = []
    buffer = buffer_minutes
    rows = Appointment.objects.filter(
        site_id=calendar.site_id,
        start__gte=window_start - dt.timedelta(days=1),
        start__lt=window_end,
        status__in=ACTIVE_STATUSES,
    ).values_list(
        "practitioner_id", "room_id", "device_id", "start", "treatment_start", "busy_until"
    )
    for practitioner_id, room_id, device_id, start, treatment_start, busy_until in rows:
        begins, held = epoch_minutes(treatment_start), epoch_minutes(busy_until)
        practitioner_busy[practitioner_id].append((begins, held))
        room_busy[room_id].append((begins, held))
        if device_id is not None:
            device_busy[device_id].append((begins - buffer, held))
        arrives = epoch_minutes(start)
        if arrives < begins:
            lounge.append((arrives, begins))
    absences: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for practitioner_id, starts_at, ends_at in Absence.objects.filter(
        practitioner_id__in=eligible, starts_at__lt=window_end, ends_at__gt=window_start
    ).values_list("practitioner_id", "starts_at", "ends_at"):
        absences[practitioner_id].append((epoch_minutes(starts_at), epoch_minutes(ends_at)))
    practitioners = [
        PractitionerCalendar(
            code=calendar.practitioners[pk],
            working=subtract(
                [
                    (start, end)
                    for day in days
                    for start, end, _ in _local_intervals(
                        day, calendar.working.get(pk, {}).get(day.weekday(), ()), tz
                    )
                ],
                absences.get(pk, []),
            ),
            busy=practitioner_busy.get(pk, []),
        )
        for pk in eligible
    ]
    return AvailabilityQuery(
        timing=TreatmentTiming(
            treatment_minutes=treatment_minutes,
            numbing_minutes=numbing_minutes,
            buffer_minutes=buffer_minutes,
            needs_device=bool(device_type),
        ),
        open_intervals=open_intervals,
        practitioners=practitioners,
        rooms=[Resource(code, room_busy.get(pk, [])) for pk, code in calendar.rooms.items()],
        devices=[
            Resource(code, device_busy.get(pk, []))
            for pk, (code, kind) in calendar.devices.items()
            if kind == device_type
        ],
        lounge=Lounge(calendar.lounge_capacity, lounge) if numbing_minutes else None,
        grid_minutes=grid_minutes,
        limit=limit,
    )


def treatment_query(
    calendar: SiteCalendar,
    treatment_code: str,
    first_day: dt.date,
    last_day: dt.date,
    **options: object,
) -> AvailabilityQuery:
    """``availability_query`` for a catalogue treatment by code."""
    from mesoclinic.catalogue.models import Treatment

    treatment = Treatment.objects.select_related("default_formulation").get(code=treatment_code)
    formulation = treatment.default_formulation
    return availability_query(
        calendar,
        treatment_minutes=treatment.treatment_minutes,
        numbing_minutes=treatment.numbing_minutes,
        device_type=treatment.device_type,
        prescriber_only=treatment.requires_prescriber
        or bool(formulation and formulation.regulatory_class == "pom"),
        needs_needle=treatment.needs_needle,
        first_day=first_day,
        last_day=last_day,
        **options,  # type: ignore[arg-type]
    )
