"""Writes for scheduling: book, reschedule and cancel appointments; book whole courses;
record absences and apply re-plans.

How a booking can never double-book:

1. Outside any lock, the engine validates the start (in the future, inside opening and
   working hours, on the grid, free) and screening runs (``refused`` → 422
   ``screening_refused``).
2. Inside one transaction the resources are re-checked with one small query and the row
   is written. On SQLite the transaction is ``BEGIN IMMEDIATE`` (settings), so the
   re-check runs under the database's write lock and nothing can slip in between. On
   PostgreSQL the exclusion constraints of migration 0002 are the backstop for
   practitioners, rooms and devices: a concurrent insert that wins makes ours fail with
   SQLSTATE 23P01 (or 40P01/40001), which is retried with fresh data (another free room)
   and finally reported as 409 ``slot_unavailable``. The same re-check refuses a client
   who already has an active appointment overlapping ``[start, end)`` (409
   ``client_busy``, naming its time); migration 0007's constraint (PostgreSQL) or
   triggers (SQLite) catch the race of two bookings of one client, and the retry's
   re-check then reports it as ``client_busy`` too. The numbing lounge holds several
   clients, which no exclusion constraint can express, so lounge-using bookings of a site
   are serialised with ``SELECT … FOR NO KEY UPDATE`` on the site row before the re-check.

Every service takes keyword-only arguments, runs in one transaction, writes an audit
entry and schedules messages through ``messaging.services`` (idempotent, sent after
commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q

from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_entry, audit_record, audit_record_many
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput, RuleRefused
from mesoclinic.messaging import services as messaging
from mesoclinic.people.models import (
    Absence,
    Client,
    Device,
    DeviceType,
    Practitioner,
    Room,
    Site,
)
from mesoclinic.safety import engine as safety_engine
from mesoclinic.safety.presentation import next_step_for
from mesoclinic.safety.services import screening_as_dict, screening_run
from mesoclinic.scheduling import selectors, site_resources
from mesoclinic.scheduling.engine import Slot
from mesoclinic.scheduling.errors import Busy, ClientBusy
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Course,
    CourseStatus,
)
from mesoclinic.scheduling.planning import (
    CoursePlanResult,
    CourseWishes,
    ReplanPreview,
    absence_replan_preview,
    course_plan,
    course_replan_preview,
    course_session_window,
    day_in_words,
)

_R = TypeVar("_R", Room, Device)

MAX_ATTEMPTS = 3
"""Inserts retried after losing a race on PostgreSQL (with a fresh re-check each time)."""
CLIENT_OVERLAP_CONSTRAINT = "appointment_no_client_overlap"
"""Migration 0007's PostgreSQL exclusion constraint (and SQLite trigger name prefix)."""
_CONFLICT_SQLSTATES = frozenset({"23P01", "40P01", "40001"})
_BUSY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57014"})
MAX_REASON_LENGTH = 300

__all__ = [
    "Placement",
    "absence_record",
    "absence_replan_apply",
    "absence_replan_preview",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "course_book",
    "course_cancel",
    "course_plan",
]


# --- Validation -----------------------------------------------------------------------------


def _require_aware(moment: dt.datetime, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            Code.NAIVE_DATETIME,
            f"{field} needs a time zone offset, e.g. 2027-03-05T10:00:00+00:00.",
            details={"field": field},
        )


def _default_site(client: Client | None = None) -> Site:
    if client is not None and client.home_site_id:
        return client.home_site  # type: ignore[return-value]
    site = next(iter(selectors.bookable_sites()), None)
    if site is None:
        raise RuleRefused(Code.NO_SITE, "No site with a bookable room is set up.")
    return site


def _check_start(
    *, treatment: Treatment, site: Site, start: dt.datetime
) -> site_resources.SiteResources:
    """422 when ``start`` is in the past, outside the site's opening hours (or on a closed
    day) or off the booking grid; else the site's resources (for the search that follows)."""
    _require_aware(start, "start")
    now = clock.now()
    if start < now:
        raise RuleRefused(
            Code.START_IN_PAST,
            "That time has already passed: choose a time in the future.",
            details={"start": start.isoformat(), "now": now.isoformat()},
        )
    tz = site.tzinfo
    local_start = start.astimezone(tz)
    day = local_start.date()
    resources = site_resources.for_site(site)
    closed = selectors.closed_days_in(site, resources, day, day)
    finish = start + dt.timedelta(minutes=treatment.total_minutes)
    if day not in closed:
        for opens_at, closes_at in resources.opening_hours.get(day.weekday(), ()):
            opens = dt.datetime.combine(day, opens_at, tzinfo=tz)
            closes = dt.datetime.combine(day, closes_at, tzinfo=tz)
            if opens <= start and finish <= closes:
                offset = int((start - opens).total_seconds())
                if offset % (selectors.grid_minutes() * 60):
                    raise RuleRefused(
                        Code.OFF_GRID,
                        f"Appointments start every {selectors.grid_minutes()} minutes from "
                        f"{opens_at:%H:%M}.",
                        details={"start": start.isoformat()},
                    )
                return resources
    raise RuleRefused(
        Code.OUTSIDE_OPENING_HOURS,
        f"{site.name} is not open for the whole of a {treatment.total_minutes}-minute "
        f"appointment starting {local_start:%A %d %B %Y %H:%M}.",
        details={
            "start": start.isoformat(),
            "closed_day": day in closed,
            "site": site.code,
        },
    )


def _screen(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    formulation: Formulation | None,
    practitioner: Practitioner | None,
    start: dt.datetime,
    site: Site,
    moving: Appointment | None = None,
    toxin_days: Sequence[dt.date] = (),
) -> safety_engine.ScreeningResult:
    """Screen for the booking; ``refused`` → 422 ``screening_refused`` with the reasons,
    then a ``toxin_interval`` reason not overridden → 422 ``toxin_interval``.

    The client's other active toxin bookings count (``moving``, the appointment being
    rescheduled, is left out); ``toxin_days`` adds days about to be booked with it (the
    other sessions of a course)."""
    result = screening_run(
        actor=actor,
        client=client,
        treatment=treatment,
        formulation=formulation,
        practitioner=practitioner,
        on=start.astimezone(site.tzinfo).date(),
        at=start,
        audit=False,
        toxin_bookings=(
            (*selectors.toxin_booking_days(client=client, exclude=moving), *toxin_days)
            if (formulation.contains_toxin if formulation else treatment.contains_toxin)
            else ()
        ),
    )
    refused = safety_engine.blocks_booking(result)
    toxin = [r for r in result.reasons if r.code == safety_engine.ReasonCode.TOXIN_INTERVAL]
    if refused or toxin:
        details = screening_as_dict(result)
        audit_record(
            actor=actor,
            action="appointment.book_refused",
            obj=client,
            client_id=client.pk,
            summary=f"{treatment.code}: " + ("screening refused" if refused else "toxin interval"),
            data={
                "treatment": treatment.code,
                "practitioner": practitioner.code if practitioner else None,
                "start": start.isoformat(),
                "codes": [reason["code"] for reason in details["reasons"]],
            },
        )
        if not refused:
            raise RuleRefused(
                Code.TOXIN_INTERVAL, _toxin_message(toxin[0].details), details=details
            )
        raise RuleRefused(
            Code.SCREENING_REFUSED,
            "Screening refuses this treatment for this client: "
            + "; ".join(reason.message for reason in result.reasons if reason.severity == "refuse"),
            details=details,
        )
    return result


def _toxin_message(found: Mapping[str, Any]) -> str:
    """The refusal in words a front desk may read (no doses or history, only days)."""
    interval = found.get("interval_days", 84)
    choices = []
    if found.get("latest_on"):
        choices.append(f"on or before {found['latest_on']}")
    if found.get("earliest_on"):
        choices.append(f"on or after {found['earliest_on']}")
    return (
        f"Toxin treatments of one client must be at least {interval} days apart (booked or "
        "given, before or after this one): choose a day "
        + " or ".join(choices)
        + ", or a practitioner must record an override."
    )


def _check_course_window(appointment: Appointment, start: dt.datetime) -> None:
    """422 ``outside_course_window`` when a course session would leave its window or
    its order between its neighbours."""
    window = course_session_window(appointment)
    if window is None:
        return
    day = start.astimezone(appointment.site.tzinfo).date()
    if window.holds(day):
        return
    raise RuleRefused(
        Code.OUTSIDE_COURSE_WINDOW,
        f"{window.in_words()} (not {day_in_words(day)}), to stay in its course: choose a "
        "day inside the window, or re-plan the later sessions.",
        details={
            "session_number": window.number,
            "earliest": window.earliest.isoformat() if window.earliest else None,
            "latest": window.latest.isoformat() if window.latest else None,
            "requested": day.isoformat(),
        },
    )


# --- Guarded writes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    """Where and when an appointment goes: the times and the preferred resources."""

    site: Site
    start: dt.datetime
    treatment_start: dt.datetime
    end: dt.datetime
    practitioner: Practitioner
    room: Room | None
    device: Device | None

    @property
    def busy_until(self) -> dt.datetime:
        """End plus the clinic's buffer: practitioner and room are held until then."""
        return self.end + dt.timedelta(minutes=selectors.buffer_minutes())


def _slot_unavailable(message: str = "", **details: Any) -> Conflict:
    return Conflict(
        Code.SLOT_UNAVAILABLE,
        message or "That time is no longer free: choose another slot.",
        details=details,
    )


def _placement(search: selectors.SiteSearch, slot: Slot) -> Placement:
    available = search.available(slot)
    return Placement(
        site=search.site,
        start=available.start,
        treatment_start=available.treatment_start,
        end=available.end,
        practitioner=search.practitioners[slot.practitioner],
        room=search.rooms.get(slot.room),
        device=search.devices.get(slot.device) if slot.device else None,
    )


def _candidates(
    *,
    treatment: Treatment,
    site: Site,
    start: dt.datetime,
    practitioner: Practitioner | None,
    formulation: Formulation | None,
    resources: site_resources.SiteResources | None = None,
    room: Room | None = None,
    device: Device | None = None,
    exclude_ids: Sequence[int] = (),
) -> list[Placement]:
    """The placements the engine offers at exactly ``start`` (409 when none)."""
    day = start.astimezone(site.tzinfo).date()
    search = selectors.site_search(
        treatment=treatment,
        site=site,
        resources=resources,
        date_from=day,
        date_to=day,
        practitioners=[practitioner.code] if practitioner is not None else None,
        formulation=formulation,
        exclude_appointment_ids=exclude_ids,
        room=room,
        device=device,
    )
    slots = search.slots_starting(start)
    if not slots:
        named = _named_refusal(
            treatment=treatment, site=site, start=start, device=device, exclude_ids=exclude_ids
        )
        if named is not None:
            raise named
        raise _slot_unavailable(
            "That time is not free"
            + (f" for {practitioner.display_name}" if practitioner is not None else "")
            + " (the practitioner, a room, a device or the numbing lounge is taken): "
            "choose another slot.",
            start=start.isoformat(),
        )
    return [_placement(search, slot) for slot in slots]


OPTIONAL_DEVICE_TYPES = frozenset({DeviceType.VITAL_INJECTOR, DeviceType.MESOTHERAPY_GUN})
"""Injectors a needle treatment needing no device may still be given with, when asked."""


def _check_device(treatment: Treatment, site: Site, device: Device | None) -> None:
    """400 ``unsuitable_device`` when the requested device cannot serve this booking: of
    another type than the treatment needs, not an injector for a needle treatment that
    needs no device, or at another site. A suitable one is then reserved (or the booking
    refused with 409 naming it)."""
    if device is None:
        return
    if device.site_id != site.pk:
        reason = f"{device.name} is kept at another site than {site.name}."
    elif treatment.device_type and device.device_type != treatment.device_type:
        reason = (
            f"{treatment.name} needs a {DeviceType(treatment.device_type).label}; "
            f"{device.name} is a {DeviceType(device.device_type).label}."
        )
    elif not treatment.device_type and not (
        treatment.needs_needle and device.device_type in OPTIONAL_DEVICE_TYPES
    ):
        reason = f"{treatment.name} is not given with {device.name}."
    else:
        return
    raise InvalidInput(
        Code.UNSUITABLE_DEVICE,
        f"{reason} Choose a suitable device, or none.",
        details={"device": device.code, "treatment": treatment.code, "field": "device"},
    )


def _named_refusal(
    *,
    treatment: Treatment,
    site: Site,
    start: dt.datetime,
    device: Device | None,
    exclude_ids: Sequence[int],
) -> Conflict | None:
    """When no slot starts at ``start``, say what is taken if it is the numbing lounge or
    the requested device (one query; only on this failure path)."""
    treatment_start = start + dt.timedelta(minutes=treatment.numbing_minutes)
    end = treatment_start + dt.timedelta(minutes=treatment.treatment_minutes)
    busy_until = end + dt.timedelta(minutes=selectors.buffer_minutes())
    rows = Appointment.objects.filter(
        site=site,
        status__in=ACTIVE_STATUSES,
        start__lt=busy_until,
        busy_until__gt=start,
    ).exclude(pk__in=list(exclude_ids))
    found = list(rows.values_list("start", "treatment_start", "busy_until", "device_id"))
    at = f"{start.astimezone(site.tzinfo):%H:%M}"
    capacity = site.numbing_lounge_capacity
    lounge = [
        (other, other_treatment)
        for other, other_treatment, _, _ in found
        if other < other_treatment
    ]
    if (
        treatment.numbing_minutes > 0
        and capacity > 0
        and _lounge_full(lounge, start, treatment_start, capacity)
    ):
        return _slot_unavailable(
            f"The numbing lounge is full at {at}: choose another time.",
            start=start.isoformat(),
            resource="numbing_lounge",
        )
    if device is not None and any(
        device_id == device.pk and _overlaps(treatment_start, busy_until, (other, until))
        for _, other, until, device_id in found
    ):
        return _slot_unavailable(
            f"{device.name} is in use at {at}: choose another time, or another device.",
            start=start.isoformat(),
            resource="device",
            device=device.code,
        )
    return None


def _overlaps(start: dt.datetime, end: dt.datetime, other: tuple[dt.datetime, dt.datetime]) -> bool:
    return other[0] < end and start < other[1]


def _lounge_full(
    intervals: Iterable[tuple[dt.datetime, dt.datetime]],
    start: dt.datetime,
    end: dt.datetime,
    capacity: int,
) -> bool:
    """Whether some moment of ``[start, end)`` already has ``capacity`` clients numbing."""
    events: list[tuple[dt.datetime, int]] = []
    for other_start, other_end in intervals:
        if _overlaps(start, end, (other_start, other_end)):
            events.append((max(other_start, start), 1))
            events.append((min(other_end, end), -1))
    events.sort(key=lambda event: (event[0], event[1]))
    occupied = 0
    for _, change in events:
        occupied += change
        if occupied >= capacity:
            return True
    return False


def _client_busy(
    placement: Placement, other_id: int, other_start: dt.datetime, other_end: dt.datetime
) -> ClientBusy:
    zone = placement.site.tzinfo
    start, end = other_start.astimezone(zone), other_end.astimezone(zone)
    return ClientBusy(
        f"The client already has an appointment on {start:%Y-%m-%d} from {start:%H:%M} "
        f"to {end:%H:%M}: choose a time that does not overlap it.",
        appointment=other_id,
        start=other_start.isoformat(),
        end=other_end.isoformat(),
    )


def _choose_resources(
    placement: Placement,
    *,
    client: Client,
    treatment: Treatment,
    exclude_ids: Sequence[int],
    pinned_room: bool,
    pinned_device: bool,
) -> tuple[Room, Device | None]:
    """Re-check the placement against committed bookings (one query) and pick a free room
    and device, preferring the engine's choice. Raises 409 when it no longer fits:
    ``client_busy`` (first) when the client has an overlapping active appointment at any
    site, else ``slot_unavailable``. The client's appointments come in the same query."""
    site = placement.site
    treatment_start, busy_until = placement.treatment_start, placement.busy_until
    earliest = placement.start - selectors.MAX_APPOINTMENT_SPAN
    rows = Appointment.objects.filter(
        Q(site=site, start__gte=earliest, start__lt=busy_until)
        | Q(
            practitioner=placement.practitioner,
            treatment_start__gte=earliest,
            treatment_start__lt=busy_until,
        )
        | Q(client=client, start__gte=earliest, start__lt=placement.end),
        status__in=ACTIVE_STATUSES,
        busy_until__gt=placement.start,
    )
    if exclude_ids:
        rows = rows.exclude(pk__in=list(exclude_ids))
    found = list(
        rows.values_list(
            "practitioner_id",
            "site_id",
            "room_id",
            "device_id",
            "start",
            "treatment_start",
            "busy_until",
            "client_id",
            "end",
            "pk",
        )
    )
    for row in found:
        if row[7] == client.pk and _overlaps(placement.start, placement.end, (row[4], row[8])):
            raise _client_busy(placement, row[9], row[4], row[8])
    held_rooms: set[int] = set()
    held_devices: set[int] = set()
    lounge: list[tuple[dt.datetime, dt.datetime]] = []
    for (
        practitioner_id,
        site_id,
        room_id,
        device_id,
        start,
        other_start,
        other_until,
        *_,
    ) in found:
        held = _overlaps(treatment_start, busy_until, (other_start, other_until))
        if held and practitioner_id == placement.practitioner.pk:
            raise _slot_unavailable(
                f"{placement.practitioner.code} has just been booked at that time.",
                start=placement.start.isoformat(),
            )
        if site_id != site.pk:
            continue
        if held:
            held_rooms.add(room_id)
            if device_id is not None:
                held_devices.add(device_id)
        if start < other_start:
            lounge.append((start, other_start))
    capacity = site.numbing_lounge_capacity
    if (
        treatment.numbing_minutes > 0
        and capacity > 0
        and _lounge_full(lounge, placement.start, treatment_start, capacity)
    ):
        raise _slot_unavailable(
            f"The numbing lounge is full at {placement.start.astimezone(site.tzinfo):%H:%M}: "
            "choose another time.",
            start=placement.start.isoformat(),
            resource="numbing_lounge",
        )
    room = _first_free(
        placement.room,
        [] if pinned_room else Room.objects.filter(site=site, active=True),
        held_rooms,
    )
    if room is None:
        raise _slot_unavailable("No room is free at that time.", start=placement.start.isoformat())
    device: Device | None = None
    if pinned_device and placement.device is not None and placement.device.pk in held_devices:
        raise _slot_unavailable(
            f"{placement.device.name} has just been booked at that time.",
            start=placement.start.isoformat(),
            resource="device",
            device=placement.device.code,
        )
    if treatment.device_type or (pinned_device and placement.device is not None):
        device = _first_free(
            placement.device,
            []
            if pinned_device
            else Device.objects.filter(site=site, active=True, device_type=treatment.device_type),
            held_devices,
        )
        if device is None:
            raise _slot_unavailable(
                "No device of the type this treatment needs is free at that time.",
                start=placement.start.isoformat(),
            )
    return room, device


def _first_free(preferred: _R | None, others: Iterable[_R], held: set[int]) -> _R | None:
    """``preferred`` when it is not held, else the first of ``others`` that is not (the
    others are read only then: usually the engine's choice is still free)."""
    if preferred is not None and preferred.pk not in held:
        return preferred
    return next((other for other in others if other.pk not in held), None)


def _is_lost_race(error: Exception) -> bool:
    """Whether a database error means "someone else took it": an exclusion violation,
    deadlock or serialisation failure (PostgreSQL), the SQLite trigger, or SQLite's busy
    timeout."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in _CONFLICT_SQLSTATES:
        return True
    text = str(error)
    return "slot_unavailable" in text or "database is locked" in text or _is_client_busy(error)


def _is_client_busy(error: Exception) -> bool:
    """Whether a database error is migration 0007's guard: the client has an overlapping
    active appointment (the PostgreSQL constraint's name, or the SQLite trigger's message)."""
    text = str(error)
    return CLIENT_OVERLAP_CONSTRAINT in text or "client_busy" in text


def _lock_lounge(site: Site, treatment: Treatment) -> None:
    """Serialise lounge-using bookings of a site on PostgreSQL (SQLite's IMMEDIATE
    transaction already holds the database's write lock).

    ``FOR NO KEY UPDATE`` excludes the other lounge bookings but not the ``FOR KEY SHARE``
    lock every appointment insert takes on its site (the foreign key check, at commit):
    with ``FOR UPDATE`` the two formed deadlocks with the exclusion constraints' waits,
    and the booking failed as 503 busy."""
    if (
        connection.vendor == "postgresql"
        and treatment.numbing_minutes > 0
        and site.numbing_lounge_capacity > 0
    ):
        list(Site.objects.select_for_update(no_key=True).filter(pk=site.pk).values_list("pk"))


@dataclass(frozen=True)
class _NewAppointment:
    """Writes a booked appointment at the placement and resources ``_write_guarded``
    settles on: the one insert of single bookings and of course sessions."""

    client: Client
    treatment: Treatment
    formulation: Formulation | None
    booked_at: dt.datetime
    booked_by_label: str
    notes: str = ""
    course: Course | None = None
    session_number: int | None = None

    def __call__(self, placement: Placement, room: Room, device: Device | None) -> Appointment:
        return Appointment.objects.create(
            client=self.client,
            treatment=self.treatment,
            formulation=self.formulation,
            site=placement.site,
            practitioner=placement.practitioner,
            room=room,
            device=device,
            start=placement.start,
            treatment_start=placement.treatment_start,
            end=placement.end,
            busy_until=placement.busy_until,
            status=AppointmentStatus.BOOKED,
            course=self.course,
            session_number=self.session_number,
            price=self.treatment.price,
            booked_at=self.booked_at,
            booked_by_label=self.booked_by_label,
            notes=self.notes,
        )


def _write_guarded(
    *,
    placements: Sequence[Placement],
    client: Client,
    treatment: Treatment,
    write: Any,
    exclude_ids: Sequence[int] = (),
    pinned_room: bool = False,
    pinned_device: bool = False,
) -> Appointment:
    """Inside the caller's transaction: lock, re-check, write. Tries each placement (in
    preference order) and retries lost races with fresh data; 409 when nothing fits.

    ``write(placement, room, device)`` inserts or updates the row and returns it.
    ``client_busy`` is raised at once: the placements share one time, so no other
    resource can help.
    """
    last_error: DomainError | None = None
    for placement in placements:
        _lock_lounge(placement.site, treatment)
        for _attempt in range(MAX_ATTEMPTS):
            try:
                room, device = _choose_resources(
                    placement,
                    client=client,
                    treatment=treatment,
                    exclude_ids=exclude_ids,
                    pinned_room=pinned_room,
                    pinned_device=pinned_device,
                )
            except ClientBusy:
                raise
            except Conflict as error:
                last_error = error
                break
            try:
                with transaction.atomic():
                    appointment: Appointment = write(placement, room, device)
                return appointment
            except (IntegrityError, OperationalError) as error:
                if not _is_lost_race(error):
                    raise
                # Retried: the re-check then sees the winner (and names its time).
                last_error = (
                    ClientBusy(start=placement.start.isoformat())
                    if _is_client_busy(error)
                    else _slot_unavailable(start=placement.start.isoformat())
                )
    raise last_error or _slot_unavailable()


@contextmanager
def _writing() -> Iterator[None]:
    """The service's one transaction. SQLite's write lock is taken at ``BEGIN IMMEDIATE``;
    if it cannot be had within the busy timeout, or PostgreSQL gives up on a lock, the
    caller gets 503 ``busy`` (try again) rather than a 500. Nothing was written."""
    try:
        with transaction.atomic():
            yield
    except OperationalError as error:
        cause = error.__cause__
        sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if "database is locked" in str(error) or sqlstate in _BUSY_SQLSTATES:
            raise Busy(
                Code.BUSY,
                "The calendar is busy with other bookings: nothing was changed, please try "
                "again in a moment.",
            ) from None
        raise


def _label(actor: Actor) -> str:
    username = getattr(actor, "get_username", None)
    return str(username()) if callable(username) and getattr(actor, "pk", None) else "system"


def _appointment_data(appointment: Appointment) -> dict[str, Any]:
    return {
        "treatment": appointment.treatment.code,
        "start": appointment.start.isoformat(),
        "treatment_start": appointment.treatment_start.isoformat(),
        "end": appointment.end.isoformat(),
        "practitioner": appointment.practitioner.code,
        "room": appointment.room.code,
        "device": appointment.device.code if appointment.device else None,
        "site": appointment.site.code,
        "course": appointment.course_id,
        "session_number": appointment.session_number,
    }


# --- Appointments ---------------------------------------------------------------------------


def appointment_book(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    formulation: Formulation | None = None,
    site: Site | None = None,
    room: Room | None = None,
    device: Device | None = None,
    notes: str = "",
    notify: bool = True,
) -> Appointment:
    """Book ``treatment`` for ``client`` starting (arrival, numbing) at ``start``.

    ``practitioner``, ``room`` and ``device`` are chosen when not given (the first free in
    code order). Refusals: 422 ``start_in_past``, ``outside_opening_hours``, ``off_grid``,
    ``screening_refused`` (details: the screening); 409 ``slot_unavailable`` when the time
    is taken or the practitioner is not working then, ``client_busy`` when the client
    already has an active appointment overlapping ``[start, end)``. ``result.screening`` holds the
    screening result as a dict for the caller. ``notify=False`` skips the client's messages
    (imports of past bookings, benchmarks of the booking path alone).
    """
    site = site or _default_site(client)
    _check_device(treatment, site, device)
    resources = _check_start(treatment=treatment, site=site, start=start)
    screening: safety_engine.ScreeningResult | None = None
    if practitioner is not None:
        screening = _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=formulation,
            practitioner=practitioner,
            start=start,
            site=site,
        )
    try:
        placements = _candidates(
            treatment=treatment,
            site=site,
            start=start,
            practitioner=practitioner,
            formulation=formulation,
            resources=resources,
            room=room,
            device=device,
        )
    except Conflict:
        if screening is None:
            _screen(
                actor=actor,
                client=client,
                treatment=treatment,
                formulation=formulation,
                practitioner=None,
                start=start,
                site=site,
            )
        raise
    if screening is None:
        screening = _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=formulation,
            practitioner=placements[0].practitioner,
            start=start,
            site=site,
        )
    screened_practitioner = placements[0].practitioner
    booked_at = clock.now()

    insert = _NewAppointment(
        client=client,
        treatment=treatment,
        formulation=formulation or treatment.default_formulation,
        booked_at=booked_at,
        booked_by_label=_label(actor)[:150],
        notes=notes,
    )

    with _writing():
        appointment = _write_guarded(
            placements=placements,
            client=client,
            treatment=treatment,
            write=insert,
            pinned_room=room is not None,
            pinned_device=device is not None,
        )
        if appointment.practitioner_id != screened_practitioner.pk:
            # The first choice was taken meanwhile and another practitioner is free:
            # screen again for them (a refusal rolls the insert back).
            screening = _screen(
                actor=actor,
                client=client,
                treatment=treatment,
                formulation=formulation,
                practitioner=appointment.practitioner,
                start=start,
                site=site,
            )
        appointment.screening = screening_as_dict(screening)  # type: ignore[attr-defined]
        audit_record(
            actor=actor,
            action="appointment.book",
            obj=appointment,
            client_id=client.pk,
            summary=f"{treatment.code} {appointment.start:%Y-%m-%d %H:%M} "
            f"with {appointment.practitioner.code}",
            data=_appointment_data(appointment)
            | {
                "screening": screening.outcome.value,
                "codes": [reason.code.value for reason in screening.reasons],
            },
        )
        if notify:
            messaging.appointment_booked_notify(appointment=appointment)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client", "treatment", "site", "practitioner", "room", "device")
        .get(pk=appointment.pk)
    )
    return locked


def appointment_cancel(*, actor: Actor, appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel an active appointment: its practitioner, room, device and lounge place are
    free again at once. 409 ``appointment_not_active`` when it is already cancelled or
    over (fulfilled, no-show)."""
    reason = " ".join((reason or "").split())[:MAX_REASON_LENGTH]
    with _writing():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise Conflict(
                Code.APPOINTMENT_NOT_ACTIVE,
                f"This appointment is {appointment.get_status_display().lower()}; only a "
                "booked appointment can be cancelled.",
                details={"status": appointment.status},
            )
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = clock.now()
        appointment.cancel_reason = reason
        appointment.ics_sequence += 1  # calendars replace the entry with the cancelled one
        appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "ics_sequence"])
        audit_record(
            actor=actor,
            action="appointment.cancel",
            obj=appointment,
            client_id=appointment.client_id,
            summary=f"Cancelled {appointment.treatment.code} {appointment.start:%Y-%m-%d %H:%M}",
            data=_appointment_data(appointment) | {"reason": reason},
        )
        messaging.appointment_cancelled_notify(appointment=appointment)
    return appointment


def appointment_reschedule(
    *,
    actor: Actor,
    appointment: Appointment,
    start: dt.datetime,
    practitioner: Practitioner | None = None,
    keep_practitioner: bool = True,
    practitioner_may_change: bool = False,
    check_course_window: bool = True,
) -> Appointment:
    """Move a booked appointment to ``start`` atomically, with the same rules and
    guarantees as booking (the appointment's own time does not count as busy).

    The practitioner stays the same unless ``practitioner`` names another (409
    ``slot_unavailable`` naming them when they are not free); ``practitioner_may_change``
    (the client's own move in the portal, who picks a time, not a person) lets another
    qualified one take it when the same one is not free. A course session stays inside its
    window and in order between its neighbours (422 ``outside_course_window``, the window
    in words). Screening runs again for the new date.
    """
    del keep_practitioner  # the practitioner is always kept unless named or allowed to change
    site = appointment.site
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            Code.APPOINTMENT_NOT_ACTIVE,
            f"This appointment is {appointment.get_status_display().lower()}; only a booked "
            "appointment can be moved.",
            details={"status": appointment.status},
        )
    resources = _check_start(treatment=appointment.treatment, site=site, start=start)
    if check_course_window:  # off only inside a whole re-plan of the later sessions
        _check_course_window(appointment, start)
    wanted = practitioner or (None if practitioner_may_change else appointment.practitioner)
    # An injector asked for (the treatment needs no device) stays reserved when moved.
    kept_device = appointment.device if not appointment.treatment.device_type else None
    placements = _candidates(
        treatment=appointment.treatment,
        site=site,
        start=start,
        practitioner=wanted,
        formulation=appointment.formulation,
        resources=resources,
        device=kept_device,
        exclude_ids=[appointment.pk],
    )
    placements.sort(key=lambda p: p.practitioner.pk != appointment.practitioner_id)
    chosen = placements[0].practitioner
    placements = [p for p in placements if p.practitioner.pk == chosen.pk]
    screening = _screen(
        actor=actor,
        client=appointment.client,
        treatment=appointment.treatment,
        formulation=appointment.formulation,
        practitioner=chosen,
        start=start,
        site=site,
        moving=appointment,
    )
    before = _appointment_data(appointment)

    with _writing():
        current = _locked(appointment)
        if current.status != AppointmentStatus.BOOKED:
            raise Conflict(
                Code.APPOINTMENT_NOT_ACTIVE,
                "This appointment was cancelled or completed meanwhile.",
                details={"status": current.status},
            )

        sequence = current.ics_sequence + 1  # once, however many placements are tried

        def update(placement: Placement, room: Room, device: Device | None) -> Appointment:
            current.start = placement.start
            current.treatment_start = placement.treatment_start
            current.end = placement.end
            current.busy_until = placement.busy_until
            current.practitioner = placement.practitioner
            current.room = room
            current.device = device
            current.ics_sequence = sequence  # calendars take the moved event as the newer one
            current.save(
                update_fields=[
                    "start",
                    "treatment_start",
                    "end",
                    "busy_until",
                    "practitioner",
                    "room",
                    "device",
                    "ics_sequence",
                ]
            )
            return current

        moved = _write_guarded(
            placements=placements,
            client=current.client,
            treatment=current.treatment,
            write=update,
            exclude_ids=[current.pk],
            pinned_device=kept_device is not None,
        )
        moved.screening = screening_as_dict(screening)  # type: ignore[attr-defined]
        audit_record(
            actor=actor,
            action="appointment.reschedule",
            obj=moved,
            client_id=moved.client_id,
            summary=f"Moved {moved.treatment.code} to {moved.start:%Y-%m-%d %H:%M} "
            f"with {moved.practitioner.code}",
            data={"before": before, "after": _appointment_data(moved)},
        )
        messaging.appointment_rescheduled_notify(appointment=moved)
    appointment.refresh_from_db()
    return moved


# --- Courses --------------------------------------------------------------------------------


def course_book(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    start_date: dt.date,
    protocol: Protocol | None = None,
    practitioner: Practitioner | None = None,
    sessions: int | None = None,
    wishes: CourseWishes | None = None,
    site: Site | None = None,
) -> tuple[Course, CoursePlanResult]:
    """Plan and book every session of a course in ONE transaction: all or nothing.

    409 ``course_unavailable`` (nothing booked) when the plan is infeasible or a session's
    slot is taken meanwhile; 409 ``client_busy`` (nothing booked, ``failed_session`` in
    the details) when a session overlaps another active appointment of the client; 422 ``screening_refused`` when screening refuses the client
    (checked for the first session with each planned practitioner).
    """
    plan = course_plan(
        client=client,
        treatment=treatment,
        start_date=start_date,
        protocol=protocol,
        practitioner=practitioner,
        sessions=sessions,
        wishes=wishes,
        site=site,
    )
    if not plan.feasible:
        raise Conflict(
            Code.COURSE_UNAVAILABLE,
            "The whole course cannot be placed: "
            + (
                f"session {plan.failed_session} has no free slot in its window."
                if plan.failed_session
                else "no session can be placed."
            ),
            details={"failed_session": plan.failed_session},
        )
    screened: set[str] = set()
    for session in plan.sessions:
        assert session.slot is not None
        if session.slot.practitioner in screened and not treatment.contains_toxin:
            continue  # toxin: every session, for the interval with other toxin bookings
        screened.add(session.slot.practitioner)
        _screen(
            actor=actor,
            client=client,
            treatment=treatment,
            formulation=None,
            practitioner=plan.search.practitioners[session.slot.practitioner],
            start=session.slot.start,
            site=plan.site,
        )
    now = clock.now()
    label = _label(actor)[:150]
    with _writing():
        course = Course.objects.create(
            client=client,
            treatment=treatment,
            protocol=plan.protocol,
            preferred_practitioner=practitioner,
            status=CourseStatus.ACTIVE,
            price=plan.price,
            created_at=now,
        )
        appointments: list[Appointment] = []
        for session in plan.sessions:
            slot = session.slot
            assert slot is not None
            assert session.option is not None
            placement = _placement(plan.search, session.option.slot)
            insert = _NewAppointment(
                client=client,
                treatment=treatment,
                formulation=treatment.default_formulation,
                booked_at=now,
                booked_by_label=label,
                course=course,
                session_number=session.number,
            )

            try:
                appointment = _write_guarded(
                    placements=[placement], client=client, treatment=treatment, write=insert
                )
            except ClientBusy as error:
                raise ClientBusy(
                    f"Session {session.number} ({slot.start:%Y-%m-%d %H:%M}): {error.message} "
                    "Nothing was booked.",
                    **error.details,
                    failed_session=session.number,
                ) from None
            except Conflict:
                raise Conflict(
                    Code.COURSE_UNAVAILABLE,
                    f"Session {session.number} ({slot.start:%Y-%m-%d %H:%M}) was just taken; "
                    "nothing was booked. Plan the course again.",
                    details={"failed_session": session.number},
                ) from None
            appointments.append(appointment)
        course_entry = audit_entry(
            actor=actor,
            action="course.book",
            obj=course,
            client_id=client.pk,
            summary=f"{treatment.code} course of {len(appointments)} sessions from "
            f"{appointments[0].start:%Y-%m-%d}",
            data={
                "protocol": plan.protocol.code,
                "appointments": [appointment.pk for appointment in appointments],
                "price": str(plan.price),
            },
        )
        session_entries = [
            audit_entry(
                actor=actor,
                action="appointment.book",
                obj=appointment,
                client_id=client.pk,
                summary=f"{treatment.code} session {appointment.session_number} "
                f"{appointment.start:%Y-%m-%d %H:%M}",
                data=_appointment_data(appointment),
            )
            for appointment in appointments
        ]
        audit_record_many([course_entry, *session_entries])
        messaging.appointments_booked_notify(appointments=appointments)
    plan.appointments = appointments
    return course, plan


@dataclass(frozen=True, slots=True)
class PlanWarnings:
    """What a planned course should be told before it is booked: ``clinical`` lists the
    screening reasons (code, message) for practitioners; ``front_desk`` the same in
    words without clinical content (the outcome's next step)."""

    clinical: list[tuple[str, str]]
    front_desk: list[tuple[str, str]]


def course_plan_warnings(*, actor: Actor, plan: CoursePlanResult) -> PlanWarnings:
    """Screen the first planned session (no audit entry, nothing written) and return what
    stands between the plan and treatment: e.g. ``consent_missing``."""
    first = next((session for session in plan.sessions if session.slot is not None), None)
    if first is None or first.slot is None:
        return PlanWarnings([], [])
    result = screening_run(
        actor=actor,
        client=plan.client,
        treatment=plan.treatment,
        formulation=None,
        practitioner=plan.search.practitioners.get(first.slot.practitioner),
        on=first.slot.start.astimezone(plan.site.tzinfo).date(),
        at=first.slot.start,
        audit=False,
        toxin_bookings=selectors.toxin_booking_days(client=plan.client)
        if plan.treatment.contains_toxin
        else (),
    )
    clinical = [(reason.code.value, reason.message) for reason in result.reasons]
    front_desk: list[tuple[str, str]] = []
    if result.reasons:
        outcome = result.outcome.value
        front_desk.append((f"screening_{outcome}", next_step_for(outcome)))
    return PlanWarnings(clinical, front_desk)


def course_replan_apply(*, actor: Actor, course: Course, after_session: int) -> list[Appointment]:
    """Move the later sessions of a course as ``course_replan_preview`` proposes, all or
    nothing: 409 ``course_unavailable`` (nothing moved) when some session cannot be placed
    or a slot was taken meanwhile. Each move is a guarded reschedule (screened, audited,
    the client told)."""
    replan = course_replan_preview(course=course, after_session=after_session)
    if not replan.feasible or replan.search is None:
        failed = next((a.session_number for a, slot in replan.moves if slot is None), None)
        raise Conflict(
            Code.COURSE_UNAVAILABLE,
            f"Session {failed} has no free slot in its window: nothing was moved."
            if failed
            else "Nothing to re-plan.",
            details={"failed_session": failed},
        )
    moves = [(appointment, slot) for appointment, slot in replan.moves if slot is not None]
    if moves and moves[0][1].start > moves[0][0].start:
        moves.reverse()  # later: move the last first, so no session meets another's old time
    practitioners = replan.search.practitioners
    moved: list[Appointment] = []
    with _writing():
        for appointment, slot in moves:
            if (slot.start, slot.practitioner) == (
                appointment.start,
                appointment.practitioner.code,
            ):
                continue
            try:
                moved_one = appointment_reschedule(
                    actor=actor,
                    appointment=appointment,
                    start=slot.start,
                    practitioner=practitioners[slot.practitioner],
                    check_course_window=False,
                )
            except Conflict as error:
                raise Conflict(
                    Code.COURSE_UNAVAILABLE,
                    f"Session {appointment.session_number}: {error.message} Nothing was moved.",
                    details={"failed_session": appointment.session_number},
                ) from None
            moved.append(moved_one)
        audit_record(
            actor=actor,
            action="course.replan",
            obj=course,
            client_id=course.client_id,
            summary=f"Re-planned {len(moves)} session(s) after session {after_session}",
            data={"after_session": after_session, "moved": [a.pk for a in moved]},
        )
    moved.sort(key=lambda appointment: appointment.session_number or 0)
    return moved


def course_cancel(*, actor: Actor, course: Course, reason: str = "") -> Course:
    """Cancel a course and every booked session still ahead of it."""
    with _writing():
        course = Course.objects.select_for_update().get(pk=course.pk)
        now = clock.now()
        for appointment in Appointment.objects.filter(
            course=course, status=AppointmentStatus.BOOKED, start__gte=now
        ):
            appointment_cancel(actor=actor, appointment=appointment, reason=reason)
        course.status = CourseStatus.CANCELLED
        course.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="course.cancel",
            obj=course,
            client_id=course.client_id,
            summary=f"Cancelled course {course.pk}",
            data={"reason": reason[:MAX_REASON_LENGTH]},
        )
    return course


# --- Absences and re-planning ---------------------------------------------------------------


def absence_record(
    *,
    actor: Actor,
    practitioner: Practitioner,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
) -> Absence:
    """Record a practitioner's absence (leave, sickness, training). Availability drops
    the time at once; booked appointments inside it are *not* moved here: see
    ``absence_replan_preview`` and ``absence_replan_apply``."""
    _require_aware(starts_at, "starts_at")
    _require_aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise InvalidInput(
            Code.INVALID_RANGE,
            "The absence must end after it starts.",
            details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
    _check_absence_bounds(starts_at, ends_at)
    with _writing():
        absence = Absence.objects.create(
            practitioner=practitioner,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=" ".join(reason.split())[:200],
        )
        audit_record(
            actor=actor,
            action="absence.record",
            obj=absence,
            summary=f"{practitioner.code} away {starts_at:%Y-%m-%d %H:%M}–{ends_at:%Y-%m-%d %H:%M}",
            data={
                "practitioner": practitioner.code,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
            },
        )
    return absence


ABSENCE_EARLIEST = dt.timedelta(days=366)
ABSENCE_LATEST = dt.timedelta(days=731)


def _check_absence_bounds(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """Absences lie between one year back and two years ahead (400 otherwise): a typo in
    the year must not reach the calendar."""
    now = clock.now()
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not now - ABSENCE_EARLIEST <= moment <= now + ABSENCE_LATEST:
            raise InvalidInput(
                Code.INVALID_RANGE,
                "An absence must fall between one year ago and two years from now.",
                details={"field": field},
            )


@dataclass(slots=True)
class ReplanResult:
    """What applying a re-plan did: the moved appointments, and those left for a call."""

    moved: list[Appointment]
    phone: list[tuple[Appointment, str]]


def absence_replan_apply(
    *,
    actor: Actor,
    absence: Absence,
    moves: Sequence[tuple[int, dt.datetime, str | None]] | None = None,
) -> ReplanResult:
    """Apply a re-plan: move each affected appointment as proposed (or as given in
    ``moves``: ``(appointment id, start, practitioner code or None)``).

    Each move is its own guarded reschedule (a savepoint), so one that has become
    impossible meanwhile does not undo the others; it is listed for a phone call with the
    reason, as are the appointments the preview could not place.
    """
    preview: ReplanPreview = absence_replan_preview(absence=absence)
    affected = {appointment.pk: appointment for appointment in preview.affected}
    phone: list[tuple[Appointment, str]] = []
    planned: list[tuple[int, dt.datetime, str | None]]
    if moves is None:
        planned = [
            (move.appointment.pk, move.slot.start, move.slot.practitioner)
            for move in preview.proposals
        ]
        phone.extend((item.appointment, item.reason) for item in preview.phone)
    else:
        planned = list(moves)
        chosen = {appointment_id for appointment_id, _, _ in planned}
        phone.extend(
            (item.appointment, item.reason)
            for item in preview.phone
            if item.appointment.pk not in chosen
        )
    moved: list[Appointment] = []
    practitioners = {p.code: p for p in Practitioner.objects.all()}
    with _writing():
        for appointment_id, start, code in planned:
            appointment = affected.get(appointment_id)
            if appointment is None:
                continue
            try:
                with transaction.atomic():
                    moved.append(
                        appointment_reschedule(
                            actor=actor,
                            appointment=appointment,
                            start=start,
                            practitioner=practitioners.get(code) if code else None,
                        )
                    )
            except DomainError as error:
                phone.append((appointment, error.message))
        audit_record(
            actor=actor,
            action="absence.replan",
            obj=absence,
            summary=f"Re-plan for {absence.practitioner.code}: {len(moved)} moved, "
            f"{len(phone)} to call",
            data={
                "moved": [appointment.pk for appointment in moved],
                "phone": [appointment.pk for appointment, _ in phone],
            },
        )
    return ReplanResult(moved=moved, phone=phone)


def price_of(sessions: int, treatment: Treatment) -> Decimal:
    """Course price: the sum of its session prices."""
    return treatment.price * sessions
