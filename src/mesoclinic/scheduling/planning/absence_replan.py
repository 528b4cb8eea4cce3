"""Re-planning after an absence (``absence_replan_preview``): which booked appointments
it hits and where each could go; and the window a course session may move within.
Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mesoclinic.core import clock
from mesoclinic.people.models import Absence
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.engine import Slot, expand_phases
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from mesoclinic.scheduling.planning.courses import protocol_phase_rules

if TYPE_CHECKING:
    from mesoclinic.scheduling.selectors import AvailableSlot, SiteSearch


REPLAN_WINDOW_DAYS = 7
"""Outside a course, an appointment may move this many days either way."""


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
