"""Guarded writes: the engine's placements, the re-check under the lock (practitioner, room,
device, lounge, the client, live slot holds), requested devices (``unsuitable_device``),
retries of lost races and the one transaction of a service (503 ``busy``).

Slot holds (``SlotHold``) live in their own table, which PostgreSQL's exclusion
constraints on appointments cannot see. So on PostgreSQL every guarded write first takes
transaction-scoped advisory locks on its site and practitioner: *shared* for bookings
(which therefore never wait for one another) and *exclusive* for a new hold. A hold's
re-check thus runs after every booking in flight at that site or with that practitioner
has committed, and a booking's re-check after every hold in flight; two holds queue. On
SQLite the ``IMMEDIATE`` transaction already serialises all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, IntegerField, Q, QuerySet, Value

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor
from mesoclinic.core.compiled import CompiledInsert, CompiledQuery
from mesoclinic.core.errors import Conflict, DomainError, RuleRefused
from mesoclinic.people.models import (
    Client,
    Device,
    DeviceType,
    Practitioner,
    Room,
    Site,
)
from mesoclinic.scheduling import busy, selectors, site_resources
from mesoclinic.scheduling.engine import Slot
from mesoclinic.scheduling.errors import Busy, ClientBusy
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Course,
)
from mesoclinic.scheduling.services.refusals import (
    check_working,
    client_busy,
    lounge_full,
    named_refusal,
    overlaps,
    slot_unavailable,
)

_R = TypeVar("_R", Room, Device)
_W = TypeVar("_W")

MAX_ATTEMPTS = 3
"""Inserts retried after losing a race on PostgreSQL (with a fresh re-check each time)."""
CLIENT_OVERLAP_CONSTRAINT = "appointment_no_client_overlap"
"""Migration 0007's PostgreSQL exclusion constraint (and SQLite trigger name prefix)."""
_CONFLICT_SQLSTATES = frozenset({"23P01", "40P01", "40001"})
_BUSY_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57014"})
MAX_REASON_LENGTH = 300
_SITE_LOCKS, _PRACTITIONER_LOCKS = 0x6D5301, 0x6D5302
"""Advisory lock namespaces (the first key of ``pg_advisory_xact_lock(int, int)``)."""


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
        named = named_refusal(
            treatment=treatment, site=site, start=start, device=device, exclude_ids=exclude_ids
        )
        if named is not None:
            raise named
        if practitioner is not None:
            check_working(practitioner, treatment, site, start, resources)
        raise slot_unavailable(
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
    """422 ``unsuitable_device`` when the requested device cannot serve this booking: of
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
    raise RuleRefused(
        Code.UNSUITABLE_DEVICE,
        f"{reason} Choose a suitable device, or none.",
        details={"device": device.code, "treatment": treatment.code, "field": "device"},
    )


def _recheck_rows(
    placements: Sequence[Placement], *, client: Client | None, exclude_ids: Sequence[int] = ()
) -> list[tuple[Any, ...]]:
    """The committed active appointments and live holds that may collide with any of
    ``placements``, in one query: near each placement at its site, of its practitioner,
    or of the client; holds shaped like appointments (no client; negative ids). A row
    read for one placement never changes another's re-check, which looks at overlaps.
    Compiled once per shape (``_RECHECK``): building it cost more than running it."""
    arguments: dict[str, Any] = {"now": clock.now()}
    if client is not None:
        arguments["client"] = client.pk
    for number, placement in enumerate(placements):
        arguments |= {
            f"site_{number}": placement.site.pk,
            f"practitioner_{number}": placement.practitioner.pk,
            f"earliest_{number}": placement.start - selectors.MAX_APPOINTMENT_SPAN,
            f"start_{number}": placement.start,
            f"busy_until_{number}": placement.busy_until,
        }
        if client is not None:
            arguments[f"end_{number}"] = placement.end
    arguments |= {f"exclude_{number}": pk for number, pk in enumerate(exclude_ids)}
    return _RECHECK.rows(**arguments)


def _recheck_queryset(**arguments: Any) -> QuerySet[Any]:
    """``_recheck_rows``'s query for its arguments (numbered per placement)."""
    count = sum(1 for name in arguments if name.startswith("site_"))
    near = held_near = Q()
    for number in range(count):
        site, practitioner, earliest, start, busy_until = (
            arguments[f"{name}_{number}"]
            for name in ("site", "practitioner", "earliest", "start", "busy_until")
        )
        at_site = Q(site_id=site, start__gte=earliest, start__lt=busy_until)
        of_practitioner = Q(
            practitioner_id=practitioner,
            treatment_start__gte=earliest,
            treatment_start__lt=busy_until,
        )
        overlapping = Q(busy_until__gt=start)
        held_near |= (at_site | of_practitioner) & overlapping
        if "client" in arguments:
            end = arguments[f"end_{number}"]
            of_client = Q(client_id=arguments["client"], start__gte=earliest, start__lt=end)
            near |= (at_site | of_practitioner | of_client) & overlapping
        else:
            near |= (at_site | of_practitioner) & overlapping
    rows = Appointment.objects.filter(near, status__in=ACTIVE_STATUSES)
    excluded = [value for name, value in arguments.items() if name.startswith("exclude_")]
    if excluded:
        rows = rows.exclude(pk__in=excluded)
    appointment_rows = rows.order_by().values_list(
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
    return appointment_rows.union(_held(held_near, now=arguments["now"]), all=True)


_RECHECK = CompiledQuery(_recheck_queryset)


def _choose_resources(
    placement: Placement,
    *,
    client: Client | None,
    treatment: Treatment,
    exclude_ids: Sequence[int],
    pinned_room: bool,
    pinned_device: bool,
    found: list[tuple[Any, ...]] | None = None,
) -> tuple[Room, Device | None]:
    """Re-check the placement against committed bookings and live holds (one query,
    ``_recheck_rows``, unless ``found`` holds its rows) and pick a free room and device,
    preferring the engine's choice. Raises 409 when it no longer fits: ``client_busy``
    (first) when the client has an overlapping active appointment at any site, else
    ``slot_unavailable`` (a hold has no client: ``client`` is None for one)."""
    site = placement.site
    treatment_start, busy_until = placement.treatment_start, placement.busy_until
    if found is None:
        found = _recheck_rows([placement], client=client, exclude_ids=exclude_ids)
    for row in found:
        if (
            client is not None
            and row[7] == client.pk
            and overlaps(placement.start, placement.end, (row[4], row[8]))
        ):
            raise client_busy(placement.site, row[9], row[4], row[8])
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
        held = overlaps(treatment_start, busy_until, (other_start, other_until))
        if held and practitioner_id == placement.practitioner.pk:
            raise slot_unavailable(
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
        and lounge_full(lounge, placement.start, treatment_start, capacity)
    ):
        raise slot_unavailable(
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
        raise slot_unavailable("No room is free at that time.", start=placement.start.isoformat())
    device: Device | None = None
    if pinned_device and placement.device is not None and placement.device.pk in held_devices:
        raise slot_unavailable(
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
            raise slot_unavailable(
                "No device of the type this treatment needs is free at that time.",
                start=placement.start.isoformat(),
            )
    return room, device


def _held(near: Q, *, now: dt.datetime) -> QuerySet[Any]:
    """Live holds ``near`` the placements, in the columns of ``_recheck_rows``'s
    appointment rows (no client; negative ids), to be read in the same query."""
    return (
        busy.live_holds(now=now)
        .filter(near)
        .order_by()
        .annotate(
            no_client=Value(None, output_field=IntegerField()),
            negative_id=-F("pk"),
        )
        .values_list(
            "practitioner_id",
            "site_id",
            "room_id",
            "device_id",
            "start",
            "treatment_start",
            "busy_until",
            "no_client",
            "end",
            "negative_id",
        )
    )


def _lock_against_holds(placement: Placement, *, exclusive: bool) -> None:
    """PostgreSQL: the advisory locks that order holds and bookings (see the module doc)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(%s, %s), {function}(%s, %s)",
            [_SITE_LOCKS, placement.site.pk, _PRACTITIONER_LOCKS, placement.practitioner.pk],
        )


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


_INSERT_APPOINTMENT = CompiledInsert(Appointment)


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
        appointment = self.build(placement, room, device)
        _INSERT_APPOINTMENT.insert(appointment)
        return appointment

    def build(self, placement: Placement, room: Room, device: Device | None) -> Appointment:
        """The unsaved appointment (``__call__`` inserts it; a course inserts many)."""
        return Appointment(
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
    client: Client | None,
    treatment: Treatment,
    write: Callable[[Placement, Room, Device | None], _W],
    exclude_ids: Sequence[int] = (),
    pinned_room: bool = False,
    pinned_device: bool = False,
    hold: bool = False,
) -> _W:
    """Inside the caller's transaction: lock, re-check, write. Tries each placement (in
    preference order) and retries lost races with fresh data; 409 when nothing fits.

    ``write(placement, room, device)`` inserts or updates the row and returns it.
    ``client_busy`` is raised at once: the placements share one time, so no other
    resource can help. ``hold`` writes a slot hold (no client; exclusive locks).
    """
    last_error: DomainError | None = None
    for placement in placements:
        _lock_against_holds(placement, exclusive=hold)
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
                    return write(placement, room, device)
            except (IntegrityError, OperationalError) as error:
                if not _is_lost_race(error):
                    raise
                # Retried: the re-check then sees the winner (and names its time).
                last_error = (
                    ClientBusy(start=placement.start.isoformat())
                    if _is_client_busy(error)
                    else slot_unavailable(start=placement.start.isoformat())
                )
    raise last_error or slot_unavailable()


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
