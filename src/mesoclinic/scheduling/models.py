"""Appointments and courses.

An appointment has two phases: ``start`` → ``treatment_start`` (numbing cream, in the site's
numbing lounge; the practitioner is free) and ``treatment_start`` → ``end`` (practitioner,
room and device). ``busy_until`` is ``end`` plus the clinic's buffer: the practitioner and
room are held over ``[treatment_start, busy_until)``. On PostgreSQL exclusion constraints
(migration 0002) make overlapping active bookings of one practitioner, room or device
impossible; on SQLite the booking service re-checks inside an ``IMMEDIATE`` transaction.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
from mesoclinic.people.models import Client, Device, Practitioner, Room, Site


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED)


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Course(models.Model):
    """A booked course of sessions of one treatment for one client."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="courses")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    preferred_practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    price = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField()
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.treatment.name} course for {self.client}"


class Appointment(models.Model):
    """One visit: a client, a treatment, who and where, and when each phase runs."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="appointments")
    formulation = models.ForeignKey(
        Formulation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="appointments")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments"
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField(help_text="Client arrives; numbing cream begins.")
    treatment_start = models.DateTimeField(help_text="The practitioner starts treating.")
    end = models.DateTimeField(help_text="Treatment over.")
    busy_until = models.DateTimeField(help_text="End plus the clinic's buffer.")
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    booked_at = models.DateTimeField()
    booked_by_label = models.CharField(max_length=150, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    ics_sequence = models.PositiveIntegerField(
        default=0,
        help_text="iCalendar SEQUENCE: raised by each reschedule and the cancellation, so "
        "calendars take the newest file as the update (RFC 5545 §3.8.7.4).",
    )

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(
                fields=["practitioner", "treatment_start"], name="appt_practitioner_start"
            ),
            models.Index(fields=["room", "treatment_start"], name="appt_room_start"),
            models.Index(fields=["device", "treatment_start"], name="appt_device_start"),
            models.Index(fields=["site", "start"], name="appt_site_start"),
            models.Index(fields=["client", "start"], name="appt_client_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=F("treatment_start"))
                & Q(treatment_start__lt=F("end"))
                & Q(end__lte=F("busy_until")),
                name="appointment_phases_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.treatment.code} for {self.client} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class CalendarClock(models.Model):
    """Revisions of what availability is computed from, advanced by database triggers
    (migration 0004) in commit order; readers (``scheduling.busy``,
    ``scheduling.site_resources``) keep that data in memory between requests and re-read
    it only when a revision moved.

    * ``appointments``: every inserted, updated or deleted appointment (each also logged
      in ``CalendarChange``);
    * ``resources``: any change to sites, opening hours, closed days, practitioners and
      their sites, working hours and absences, rooms or devices.

    ``epoch`` is drawn at random when a row is created, so a database that was emptied
    (tests flush it) never repeats a revision a reader has already seen with other data."""

    APPOINTMENTS = "appointments"
    RESOURCES = "resources"

    key = models.CharField(max_length=20, primary_key=True)
    revision = models.BigIntegerField()
    epoch = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key} at revision {self.revision}"


class CalendarChange(models.Model):
    """Which appointment changed at which revision (written by the same trigger): a
    reader holding revision ``r`` re-reads only the appointments changed after ``r``."""

    revision = models.BigIntegerField(primary_key=True)
    appointment_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"appointment {self.appointment_id} at revision {self.revision}"


class HoldStatus(models.TextChoices):
    HELD = "held", "Held"
    CONFIRMED = "confirmed", "Confirmed"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Expired"


class SlotHold(models.Model):
    """A tentative booking: a slot kept for someone who has not confirmed yet (a visitor
    confirming their email, a waiting-list offer). While ``status`` is ``held`` and
    ``expires_at`` lies ahead it blocks its practitioner, room, device and lounge place
    exactly like an active appointment (``scheduling.busy`` adds it to busy time; the
    booking services' re-check counts it); once ``expires_at`` passes it blocks nothing,
    whether or not the sweep has marked it ``expired`` yet. Confirming it books the
    appointment (``appointment``) in the same transaction that ends the hold.

    Holds have no client (a visitor is not a client until their email is verified), so
    they live beside appointments rather than among them; see ``services.holds`` for how
    PostgreSQL serialises them with bookings."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField()
    treatment_start = models.DateTimeField()
    end = models.DateTimeField()
    busy_until = models.DateTimeField()
    status = models.CharField(max_length=12, choices=HoldStatus.choices, default=HoldStatus.HELD)
    purpose = models.CharField(max_length=40, help_text="Who holds it: online booking, …")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="hold_live"),
            models.Index(fields=["site", "start"], name="hold_site_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=F("treatment_start"))
                & Q(treatment_start__lt=F("end"))
                & Q(end__lte=F("busy_until")),
                name="hold_phases_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.treatment.code} held at {self.start:%Y-%m-%d %H:%M} ({self.status})"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    CANCELLED = "cancelled", "Cancelled"


class WaitlistEntry(models.Model):
    """A client waiting for a start of ``treatment`` between ``window_start`` and
    ``window_end`` (optionally with one practitioner). When a start inside the window is
    free, the oldest waiting entry that fits gets it as an offer: a ``hold`` (a
    :class:`SlotHold`) kept for it until the hold's ``expires_at``. An offer that runs out
    or is declined goes back to waiting (that start is not offered to it again:
    ``passed_starts``) and the start passes to the next entry."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField()
    hold = models.ForeignKey(
        SlotHold, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    passed_starts = models.JSONField(default=list, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="waitlist_status_age")]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__lt=F("window_end")), name="waitlist_window_in_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.treatment.code} for {self.client} ({self.status})"
