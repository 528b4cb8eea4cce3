"""Planning a whole course (``course_plan``): nothing is written; ``services`` books it.

A course is planned with the engine's exact dynamic program (``plan_course``) over one
availability search covering the whole course horizon (one engine call, one busy query).
Protocol phases come from the catalogue; the open-ended maintenance phase takes its gap
from ``records.selectors.maintenance_interval_for`` (response-adaptive) when a decision has
been stored for the client, else from the protocol.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from mesoclinic.catalogue.models import Protocol, ProtocolPhase, Treatment
from mesoclinic.catalogue.pricing import course_packages, course_quote
from mesoclinic.core import clock
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.records.maintenance import MaintenanceReason
from mesoclinic.records.selectors import maintenance_interval_for
from mesoclinic.safety.models import ToxinAdministration
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.engine import (
    CourseCalendar,
    CourseOption,
    CoursePreferences,
    CourseRequest,
    PhaseRule,
    expand_phases,
    plan_course,
)
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import Appointment, Course

if TYPE_CHECKING:
    from mesoclinic.scheduling.selectors import AvailableSlot, SiteSearch


MAX_COURSE_SESSIONS = 40
FIRST_SESSION_HORIZON_DAYS = 28
"""How far after the requested start date the first session may be placed."""
FRIDAY = 4


@dataclass(frozen=True, slots=True)
class CourseWishes:
    """The client's soft preferences for a course (all optional)."""

    weekdays: frozenset[int] | None = None
    earliest_time: dt.time | None = None
    latest_time: dt.time | None = None
    preferred_practitioner: str | None = None


TIMES_OF_DAY: dict[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(8, 0), dt.time(11, 30)),
    "afternoon": (dt.time(12, 0), dt.time(16, 30)),
    "evening": (dt.time(17, 0), dt.time(21, 0)),
}
"""Arrival times each named time of day covers (a soft preference of the planner)."""


def time_of_day_window(value: str) -> tuple[dt.time, dt.time]:
    """``morning``, ``afternoon``, ``evening`` or a fixed ``HH:MM`` as the earliest and
    latest arrival the planner prefers; 400 otherwise."""
    text = value.strip().lower()
    if text in TIMES_OF_DAY:
        return TIMES_OF_DAY[text]
    try:
        fixed = dt.time.fromisoformat(text)
    except ValueError:
        fixed = None
    if fixed is None or len(text) != 5 or fixed.second or fixed.microsecond:
        raise InvalidInput(
            Code.INVALID_INPUT,
            "time_of_day is morning, afternoon, evening or a time as HH:MM (e.g. 14:30).",
            details={"field": "time_of_day", "value": value[:20]},
        )
    return fixed, fixed


@dataclass(slots=True)
class PlannedCourseSession:
    """One session of a plan: its window (local dates) and its slot, if placed."""

    number: int
    phase: str
    target_date: dt.date
    earliest: dt.date
    latest: dt.date
    slot: AvailableSlot | None
    option: CourseOption | None = None


@dataclass(slots=True)
class CoursePlanResult:
    """A planned course; ``appointments`` is filled once booked."""

    protocol: Protocol
    treatment: Treatment
    client: Client
    site: Site
    sessions: list[PlannedCourseSession]
    feasible: bool
    failed_session: int | None
    price: Decimal
    search: SiteSearch
    appointments: list[Appointment] = field(default_factory=list)


def _maintenance_gap(client: Client | None, treatment: Treatment | None) -> int | None:
    """A stored response-adaptive maintenance interval for this client and treatment."""
    if client is None or treatment is None:
        return None
    decision = maintenance_interval_for(client=client, treatment=treatment)
    if decision.reason == MaintenanceReason.NO_COMPARISON:
        return None
    return decision.interval_days


def protocol_phase_rules(
    *, protocol: Protocol, client: Client | None = None, treatment: Treatment | None = None
) -> list[PhaseRule]:
    """The protocol's phases as engine rules; ``min_gap_days`` is a hard floor (toxin 84).

    An open-ended phase that follows fixed phases (maintenance) uses the client's stored
    response-adaptive interval when there is one, keeping the phase's tolerance.
    """
    phases: list[ProtocolPhase] = list(protocol.phases.order_by("order"))
    rules: list[PhaseRule] = []
    for index, phase in enumerate(phases):
        gap, earliest, latest = phase.gap_days, phase.earliest_gap_days, phase.latest_gap_days
        if phase.count is None and index > 0:
            adapted = _maintenance_gap(client, treatment)
            if adapted is not None:
                gap = max(adapted, phase.min_gap_days or 0)
                earliest = max(gap - phase.tolerance_days, phase.min_gap_days or 0)
                latest = gap + phase.tolerance_days
        rules.append(PhaseRule(phase.name, phase.count, gap, earliest, latest))
    return rules


def toxin_days(client: Client, *, exclude_course: Course | None = None) -> list[dt.date]:
    """Days of the client's toxin administrations and active toxin bookings (but those of
    ``exclude_course``, being re-planned): a toxin course keeps the interval from each."""
    given = ToxinAdministration.objects.filter(client=client).values_list(
        "administered_on", flat=True
    )
    booked = selectors.toxin_booking_days(client=client, exclude_course=exclude_course)
    return sorted({*given, *booked})


def _toxin_free(calendar: CourseCalendar, days: list[dt.date], interval: int) -> CourseCalendar:
    """The calendar without the days closer than ``interval`` to any of ``days``."""
    blocked = {day.toordinal() + offset for day in days for offset in range(1 - interval, interval)}
    if not blocked & calendar.bookable_days:
        return calendar
    return CourseCalendar(
        calendar.bookable_days - blocked,
        calendar.options_on,
        load_practitioners=calendar.practitioners_on,
        load_practitioner_day=calendar.options_of,
    )


def course_price(treatment: Treatment, sessions: int) -> Decimal:
    """The course's price: the sessions at the treatment's price, less the best package
    discount (the same figure the public pages and the quote show)."""
    if sessions < 1:
        return Decimal("0.00")
    quote = course_quote(
        sessions=sessions, session_price=treatment.price, packages=course_packages()
    )
    return quote.total


def course_plan(
    *,
    client: Client,
    treatment: Treatment,
    start_date: dt.date,
    protocol: Protocol | None = None,
    practitioner: Practitioner | None = None,
    sessions: int | None = None,
    wishes: CourseWishes | None = None,
    site: Site | None = None,
    first_session_horizon_days: int = FIRST_SESSION_HORIZON_DAYS,
    exclude_course: Course | None = None,
) -> CoursePlanResult:
    """Plan a course: the fixed-count phases of the protocol (``meso-standard``: 10
    sessions), or ``sessions`` in total (maintenance sessions added, or the course cut).

    The first session is the earliest bookable slot on or after ``start_date`` from which
    the whole course fits; each later one is placed in its window after the *actual* date
    of the one before, as close to the target as possible, preferring one practitioner and
    a steady local time, Friday for swelling-expected treatments, and the client's wishes.
    Toxin courses start no earlier than the toxin interval after the last administration
    or toxin booking, and no session comes closer than the interval to any other toxin
    administration or active toxin booking of the client, before or after it
    (``exclude_course``: a course being re-planned, whose own sessions do not count).
    """
    from mesoclinic.safety.policy import screening_config

    protocol = protocol or treatment.default_protocol
    wishes = wishes or CourseWishes()
    site = site or (client.home_site if client.home_site_id else None)
    if site is None:
        sites = selectors.bookable_sites()
        if not sites:
            raise RuleRefused(Code.NO_SITE, "No site with a bookable room is set up.")
        site = sites[0]
    phase_rules = protocol_phase_rules(protocol=protocol, client=client, treatment=treatment)
    fixed = sum(rule.count or 0 for rule in phase_rules)
    total = sessions if sessions is not None else (fixed or 1)
    if not 1 <= total <= MAX_COURSE_SESSIONS:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"A course has 1 to {MAX_COURSE_SESSIONS} sessions.",
            details={"field": "sessions", "sessions": total},
        )
    if treatment.max_sessions is not None and total > treatment.max_sessions:
        raise RuleRefused(
            Code.TOO_MANY_SESSIONS,
            f"{treatment.name} allows at most {treatment.max_sessions} sessions.",
            details={"sessions": total, "max_sessions": treatment.max_sessions},
        )
    rules = expand_phases(
        phase_rules, sessions=total, first_session_horizon_days=first_session_horizon_days
    )
    if len(rules) < total:
        raise RuleRefused(
            Code.TOO_MANY_SESSIONS,
            f"The {protocol.code} protocol has {len(rules)} session(s); it has no open-ended "
            "maintenance phase to add more.",
            details={"sessions": total, "protocol_sessions": len(rules)},
        )
    today = clock.today(site.tzinfo)
    start = max(start_date, today)
    toxin: list[dt.date] = []
    interval = screening_config().toxin_interval_days
    if treatment.contains_toxin:
        toxin = toxin_days(client, exclude_course=exclude_course)
        gap = dt.timedelta(days=interval)
        for day in toxin:  # in order: the first session starts clear of each
            if day - gap < start < day + gap:
                start = day + gap
    preferences = CoursePreferences(
        swelling_expected=treatment.swelling_expected,
        allowed_weekdays=wishes.weekdays,
        earliest_minute=_minute(wishes.earliest_time),
        latest_minute=_minute(wishes.latest_time),
        preferred_practitioner=wishes.preferred_practitioner,
    )
    plain = CourseRequest(start_day=start.toordinal(), sessions=rules, preferences=preferences)
    requests = [plain]
    preferred_start = _preferred_first_day(start, treatment, wishes)
    if preferred_start != start:
        requests.insert(
            0,
            CourseRequest(
                start_day=preferred_start.toordinal(), sessions=rules, preferences=preferences
            ),
        )
    date_to = dt.date.fromordinal(max(request.latest_possible_day() for request in requests))
    if (date_to - start).days > selectors.MAX_WINDOW_DAYS:
        raise RuleRefused(
            Code.TOO_MANY_SESSIONS,
            "That course is too long to plan in one go: book fewer maintenance sessions.",
            details={"sessions": total},
        )
    search = selectors.site_search(
        treatment=treatment,
        site=site,
        date_from=start,
        date_to=date_to,
        practitioners=[practitioner.code] if practitioner is not None else None,
    )
    calendar = CourseCalendar.from_grid(search.grid)
    if toxin:
        calendar = _toxin_free(calendar, toxin, interval)
    for request in requests:
        plan = plan_course(request, calendar)
        if plan.feasible:
            break
    planned = [
        PlannedCourseSession(
            number=session.number,
            phase=session.phase,
            target_date=dt.date.fromordinal(session.target_day),
            earliest=dt.date.fromordinal(session.earliest_day),
            latest=dt.date.fromordinal(session.latest_day),
            slot=search.available(session.option.slot) if session.option is not None else None,
            option=session.option,
        )
        for session in plan.sessions
    ]
    return CoursePlanResult(
        protocol=protocol,
        treatment=treatment,
        client=client,
        site=site,
        sessions=planned,
        feasible=plan.feasible,
        failed_session=plan.failed_session,
        price=course_price(treatment, len(planned)),
        search=search,
    )


def slot_names(plan: CoursePlanResult, slot: AvailableSlot) -> dict[str, str | None]:
    """The names to show for a planned slot's practitioner, room and device."""
    practitioner = plan.search.practitioners.get(slot.practitioner)
    room = plan.search.rooms.get(slot.room)
    device = plan.search.devices.get(slot.device) if slot.device else None
    return {
        "practitioner_name": practitioner.display_name if practitioner else slot.practitioner,
        "room_name": room.name if room else slot.room,
        "device_name": device.name if device else None,
    }


def _preferred_first_day(start: dt.date, treatment: Treatment, wishes: CourseWishes) -> dt.date:
    """The first day on or after ``start`` that the soft preferences like for session 1.

    The engine places session 1 on the earliest bookable day, whatever its weekday; a
    client who only comes on Wednesdays, or a swelling-expected treatment (Friday, so the
    client can recover over the weekend), would rather start on such a day. The planner
    tries from this day first and falls back to ``start`` when no course fits from it.
    """
    weekdays = set(wishes.weekdays or range(7))
    if treatment.swelling_expected and FRIDAY in weekdays:
        weekdays = {FRIDAY}
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        if day.weekday() in weekdays:
            return day
    return start


def _minute(time: dt.time | None) -> int | None:
    return None if time is None else time.hour * 60 + time.minute
