"""Reads that plan: whole courses (``course_plan``) and re-plans after an absence
(``absence_replan_preview``). Nothing here writes; ``services`` books what is planned.

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
from mesoclinic.people.models import Absence, Client, Practitioner, Site
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
    Slot,
    expand_phases,
    plan_course,
)
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Course

if TYPE_CHECKING:
    from mesoclinic.scheduling.selectors import AvailableSlot, SiteSearch

MAX_COURSE_SESSIONS = 40
FIRST_SESSION_HORIZON_DAYS = 28
"""How far after the requested start date the first session may be placed."""
FRIDAY = 4
REPLAN_WINDOW_DAYS = 7
"""Outside a course, an appointment may move this many days either way."""


# --- Courses --------------------------------------------------------------------------------


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


# --- Re-planning after an absence -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplanProposal:
    """Move ``appointment`` to ``slot``: ``kind`` is ``other_practitioner`` (same time,
    another qualified practitioner), ``other_time`` (same day) or ``other_date`` (another
    day inside its course window)."""

    appointment: Appointment
    kind: str
    slot: AvailableSlot


@dataclass(frozen=True, slots=True)
class ReplanPhone:
    """An appointment no re-plan could place: reception calls the client."""

    appointment: Appointment
    reason: str


@dataclass(slots=True)
class ReplanPreview:
    """The booked appointments an absence hits, and what to do with each."""

    absence: Absence
    affected: list[Appointment]
    proposals: list[ReplanProposal]
    phone: list[ReplanPhone]


def affected_appointments(*, absence: Absence) -> list[Appointment]:
    """Booked appointments of the absent practitioner whose treatment overlaps the absence."""
    return appointments_during(
        practitioner_id=absence.practitioner_id,
        starts_at=absence.starts_at,
        ends_at=absence.ends_at,
    )


def appointments_during(
    *, practitioner_id: int, starts_at: dt.datetime, ends_at: dt.datetime
) -> list[Appointment]:
    """Booked appointments of a practitioner whose treatment overlaps ``[starts_at,
    ends_at)``: what an absence over that time would hit (shown before it is recorded)."""
    return list(
        selectors.appointment_queryset()
        .filter(
            practitioner_id=practitioner_id,
            status=AppointmentStatus.BOOKED,
            treatment_start__lt=ends_at,
            busy_until__gt=starts_at,
        )
        .order_by("start", "pk")
    )


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """The local days a course session may be on: inside its protocol window from the
    previous active session and from the next one, and strictly between them (order)."""

    number: int
    earliest: dt.date | None
    latest: dt.date | None

    def holds(self, day: dt.date) -> bool:
        """Whether ``day`` keeps the course a course."""
        return (self.earliest is None or self.earliest <= day) and (
            self.latest is None or day <= self.latest
        )

    def in_words(self) -> str:
        """ "Session 3 must be between Mon 21 Dec and Wed 23 Dec" (or "on or after …")."""
        if self.earliest is not None and self.latest is not None:
            if self.latest < self.earliest:
                return f"Session {self.number} has no day left between its neighbours"
            if self.earliest == self.latest:
                return f"Session {self.number} must be on {day_in_words(self.earliest)}"
            return (
                f"Session {self.number} must be between {day_in_words(self.earliest)} and "
                f"{day_in_words(self.latest)}"
            )
        if self.earliest is not None:
            return f"Session {self.number} must be on or after {day_in_words(self.earliest)}"
        if self.latest is not None:
            return f"Session {self.number} must be on or before {day_in_words(self.latest)}"
        return f"Session {self.number} may be on any day"


def day_in_words(day: dt.date) -> str:
    """ "Mon 21 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


def course_session_window(appointment: Appointment) -> SessionWindow | None:
    """The window of a course session (``None`` outside a course), from the actual days
    of its nearest active neighbours: the protocol's gap window when the neighbour is the
    adjacent session, and in any case strictly after the previous one and before the next."""
    number = appointment.session_number
    course = appointment.course
    if course is None or not number:
        return None
    tz = appointment.site.tzinfo
    others: list[tuple[int, dt.datetime]] = [
        (other_number, other_start)
        for other_number, other_start in Appointment.objects.filter(
            course=course, status__in=ACTIVE_STATUSES
        )
        .exclude(pk=appointment.pk)
        .exclude(session_number=None)
        .values_list("session_number", "start")
        if other_number is not None
    ]
    before = max((o for o in others if o[0] < number), default=None)
    after = min((o for o in others if o[0] > number), default=None)
    needed = max(number, after[0] if after else 0)
    rules = expand_phases(
        protocol_phase_rules(
            protocol=course.protocol, client=appointment.client, treatment=course.treatment
        ),
        sessions=needed,
    )
    earliest: dt.date | None = None
    latest: dt.date | None = None
    if before is not None:
        previous = before[1].astimezone(tz).date()
        earliest = previous + dt.timedelta(days=1)
        if before[0] == number - 1 and number - 1 < len(rules):
            rule = rules[number - 1]
            earliest = previous + dt.timedelta(days=max(rule.min_days, 1))
            latest = previous + dt.timedelta(days=rule.max_days)
    if after is not None:
        following = after[1].astimezone(tz).date()
        last = following - dt.timedelta(days=1)
        first: dt.date | None = None
        if after[0] == number + 1 and number < len(rules):
            rule = rules[number]
            last = following - dt.timedelta(days=max(rule.min_days, 1))
            first = following - dt.timedelta(days=rule.max_days)
        latest = last if latest is None else min(latest, last)
        if first is not None:
            earliest = first if earliest is None else max(earliest, first)
    return SessionWindow(number, earliest, latest)


def _course_window(appointment: Appointment, today: dt.date) -> tuple[dt.date, dt.date]:
    """Local days an appointment may move to: its course window (after the previous
    session, before the next one) or ±``REPLAN_WINDOW_DAYS`` outside a course."""
    tz = appointment.site.tzinfo
    day = appointment.start.astimezone(tz).date()
    earliest = day - dt.timedelta(days=REPLAN_WINDOW_DAYS)
    latest = day + dt.timedelta(days=REPLAN_WINDOW_DAYS)
    window = course_session_window(appointment)
    if window is not None:
        earliest = window.earliest or earliest
        latest = window.latest or latest
    return max(earliest, today), latest


_Reserved = tuple[str, str, str | None, int, int]


def _clashes(slot: Slot, buffer: int, reserved: list[_Reserved]) -> bool:
    held_until = slot.end + buffer
    for practitioner, room, device, start, until in reserved:
        if slot.treatment_start < until and start < held_until:
            if slot.practitioner == practitioner or slot.room == room:
                return True
            if device is not None and slot.device == device:
                return True
    return False


def absence_replan_preview(*, absence: Absence) -> ReplanPreview:
    """Which booked appointments the absence hits, and a proposal for each: the same
    time with another qualified practitioner, else the nearest slot inside its course
    window (same practitioner and local time preferred); the rest go on the phone list.

    Proposals never collide with each other. Nothing is written.
    """
    affected = affected_appointments(absence=absence)
    proposals: list[ReplanProposal] = []
    phone: list[ReplanPhone] = []
    reserved: list[_Reserved] = []
    moved_ids: list[int] = []
    buffer = selectors.buffer_minutes()
    now = clock.now()
    for appointment in affected:
        if appointment.start <= now:
            phone.append(ReplanPhone(appointment, "It has already started."))
            continue
        site = appointment.site
        tz = site.tzinfo
        day = appointment.start.astimezone(tz).date()
        exclude = [*moved_ids, appointment.pk]
        search = selectors.site_search(
            treatment=appointment.treatment,
            site=site,
            date_from=day,
            date_to=day,
            formulation=appointment.formulation,
            exclude_appointment_ids=exclude,
        )
        same_time = [
            slot
            for slot in search.slots_starting(appointment.start)
            if slot.practitioner != appointment.practitioner.code
            and not _clashes(slot, buffer, reserved)
        ]
        kind = "other_practitioner"
        chosen: tuple[SiteSearch, Slot] | None = (search, same_time[0]) if same_time else None
        if chosen is None:
            chosen = _nearest_other_date(appointment, exclude, reserved, buffer, now)
            if chosen is not None:
                moved_day = selectors.moment_of(chosen[1].start, tz).date()
                kind = "other_time" if moved_day == day else "other_date"
        if chosen is None:
            phone.append(
                ReplanPhone(
                    appointment,
                    "No qualified practitioner is free at the same time, and no slot is free "
                    "inside its window.",
                )
            )
            continue
        found_search, slot = chosen
        reserved.append(
            (slot.practitioner, slot.room, slot.device, slot.treatment_start, slot.end + buffer)
        )
        moved_ids.append(appointment.pk)
        proposals.append(ReplanProposal(appointment, kind, found_search.available(slot)))
    return ReplanPreview(absence=absence, affected=affected, proposals=proposals, phone=phone)


def _nearest_other_date(
    appointment: Appointment,
    exclude: list[int],
    reserved: list[_Reserved],
    buffer: int,
    now: dt.datetime,
) -> tuple[SiteSearch, Slot] | None:
    site = appointment.site
    tz = site.tzinfo
    local = appointment.start.astimezone(tz)
    earliest, latest = _course_window(appointment, clock.today(tz))
    if latest < earliest:
        return None
    search = selectors.site_search(
        treatment=appointment.treatment,
        site=site,
        date_from=earliest,
        date_to=latest,
        formulation=appointment.formulation,
        exclude_appointment_ids=exclude,
        not_before=now,
    )
    original_minute = local.hour * 60 + local.minute
    best: tuple[tuple[int, int, int], Slot] | None = None
    for slot in search.grid.slots():
        if _clashes(slot, buffer, reserved):
            continue
        start = selectors.moment_of(slot.start, tz)
        score = (
            abs((start.date() - local.date()).days),
            int(slot.practitioner != appointment.practitioner.code),
            abs(start.hour * 60 + start.minute - original_minute),
        )
        if best is None or score < best[0]:
            best = (score, slot)
    return (search, best[1]) if best is not None else None


# --- Re-planning the rest of a course -------------------------------------------------------


@dataclass(slots=True)
class CourseReplan:
    """The later sessions of a course after ``after_session`` moved or was cancelled:
    each booked one with its new slot (``None`` if it cannot be placed)."""

    course: Course
    after_session: int
    anchor: Appointment | None
    moves: list[tuple[Appointment, AvailableSlot | None]]
    feasible: bool
    search: SiteSearch | None = None


def course_replan_preview(*, course: Course, after_session: int) -> CourseReplan:
    """Re-plan the booked sessions after ``after_session`` from the actual day of the last
    active session up to it (the anchor), with the planner's rules and preferences (the
    anchor's practitioner and time of day). Nothing is written."""
    active = list(
        selectors.appointment_queryset()
        .filter(course=course, status__in=ACTIVE_STATUSES)
        .exclude(session_number=None)
        .order_by("session_number", "pk")
    )
    now = clock.now()
    anchor = next((a for a in reversed(active) if (a.session_number or 0) <= after_session), None)
    later = [
        a
        for a in active
        if (a.session_number or 0) > after_session
        and a.status == AppointmentStatus.BOOKED
        and a.start > now
    ]
    if anchor is None or not later:
        return CourseReplan(course, after_session, anchor, [(a, None) for a in later], not later)
    site = anchor.site
    tz = site.tzinfo
    rules = expand_phases(
        protocol_phase_rules(
            protocol=course.protocol, client=course.client, treatment=course.treatment
        ),
        sessions=max(a.session_number or 0 for a in later),
    )
    sub_rules = tuple(rules[(a.session_number or 1) - 1] for a in later)
    local = anchor.start.astimezone(tz)
    minute = local.hour * 60 + local.minute
    preferences = CoursePreferences(
        swelling_expected=course.treatment.swelling_expected,
        earliest_minute=minute,
        latest_minute=minute,
        preferred_practitioner=anchor.practitioner.code,
    )
    anchor_day = local.date()
    request = CourseRequest(
        start_day=anchor_day.toordinal(), sessions=sub_rules, preferences=preferences
    )
    date_to = dt.date.fromordinal(request.latest_possible_day())
    search = selectors.site_search(
        treatment=course.treatment,
        site=site,
        date_from=anchor_day + dt.timedelta(days=1),
        date_to=date_to,
        formulation=later[0].formulation,
        exclude_appointment_ids=[a.pk for a in later],
        not_before=now,
    )
    calendar = CourseCalendar.from_grid(search.grid)
    if course.treatment.contains_toxin:
        from mesoclinic.safety.policy import screening_config

        interval = screening_config().toxin_interval_days
        calendar = _toxin_free(calendar, toxin_days(course.client, exclude_course=course), interval)
    plan = plan_course(request, calendar)
    moves = [
        (appointment, search.available(session.option.slot) if session.option else None)
        for appointment, session in zip(later, plan.sessions, strict=True)
    ]
    return CourseReplan(course, after_session, anchor, moves, plan.feasible, search)
