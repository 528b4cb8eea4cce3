"""Lookups for scheduling: treatments, practitioners and sites by code (400 when
unknown), appointments and courses by id (404) or by client, practitioner, site and
time, audited reads for staff pages, and the client's booked toxin days.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Q, QuerySet

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.core.lookups import CodeLookup, IdLookup, get_by_opaque_id
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Course

_ACTIVE_TREATMENTS = CodeLookup(
    lambda: Treatment.objects.select_related("default_protocol", "default_formulation").filter(
        active=True
    ),
    error_code=Code.UNKNOWN_TREATMENT,
    noun="treatment",
)
_SITES = CodeLookup(Site.objects.all, error_code=Code.UNKNOWN_SITE, noun="site")
_PRACTITIONERS = CodeLookup(
    Practitioner.objects.all, error_code=Code.UNKNOWN_PRACTITIONER, noun="practitioner"
)


def treatment_for_code(code: str) -> Treatment:
    """The active treatment with ``code``, or 400 ``unknown_treatment``."""
    return _ACTIVE_TREATMENTS.get(code)


def practitioner_for_code(code: str) -> Practitioner:
    """The practitioner with ``code``, or 400 ``unknown_practitioner``."""
    return _PRACTITIONERS.get(code)


def site_for_code(code: str) -> Site:
    """The site with ``code``, or 400 ``unknown_site``."""
    return _SITES.get(code)


def appointment_queryset() -> QuerySet[Appointment]:
    """Appointments with everything the API shows joined in."""
    return Appointment.objects.select_related(
        "client",
        "treatment__default_formulation",
        "site",
        "practitioner",
        "room",
        "device",
        "formulation",
    )


_APPOINTMENT = IdLookup(appointment_queryset, code=Code.APPOINTMENT_NOT_FOUND, noun="appointment")


def appointment_for_id(appointment_id: str | int) -> Appointment:
    """The appointment with this opaque id, or 404 ``appointment_not_found``."""
    return _APPOINTMENT.get(appointment_id)


def appointment_list(
    *,
    client: Client | None = None,
    practitioner: Practitioner | None = None,
    site: Site | None = None,
    starts_from: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    include_cancelled: bool = True,
) -> QuerySet[Appointment]:
    """Appointments by client and/or practitioner in a window of start times, by start."""
    appointments = appointment_queryset()
    if client is not None:
        appointments = appointments.filter(client=client)
    if practitioner is not None:
        appointments = appointments.filter(practitioner=practitioner)
    if site is not None:
        appointments = appointments.filter(site=site)
    if starts_from is not None:
        appointments = appointments.filter(start__gte=starts_from)
    if starts_before is not None:
        appointments = appointments.filter(start__lt=starts_before)
    if not include_cancelled:
        appointments = appointments.filter(status__in=ACTIVE_STATUSES)
    return appointments.order_by("start", "pk")


def appointment_view(*, actor: Actor, appointment_id: str | int) -> Appointment:
    """The appointment for a staff page, its read audited (``appointment.view``): who
    looked at which client's treatment is part of the clinical audit trail."""
    appointment = appointment_for_id(appointment_id)
    audit_read(
        actor=actor,
        action="appointment.view",
        obj=appointment,
        client_id=appointment.client_id,
        data={"appointment": appointment.pk},
    )
    return appointment


def course_view(*, actor: Actor, course_id: str | int) -> Course:
    """The course for a staff page, its read audited (``course.view``)."""
    course = course_for_id(course_id)
    audit_read(
        actor=actor,
        action="course.view",
        obj=course,
        client_id=course.client_id,
        data={"course": course.pk},
    )
    return course


def course_for_id(course_id: str | int) -> Course:
    """The course with this opaque id, or 404 ``course_not_found``."""
    return get_by_opaque_id(
        Course.objects.select_related("client", "treatment", "protocol"),
        course_id,
        code=Code.COURSE_NOT_FOUND,
        noun="course",
    )


def course_appointments(*, course: Course) -> list[Appointment]:
    """A course's appointments in session order (cancelled ones included)."""
    return list(appointment_queryset().filter(course=course).order_by("session_number", "start"))


# --- Toxin bookings -------------------------------------------------------------------------


def toxin_booking_days(
    *,
    client: Client,
    exclude: Appointment | None = None,
    booked_before: dt.datetime | None = None,
    exclude_course: Course | None = None,
) -> tuple[dt.date, ...]:
    """Local days (at each appointment's site) of the client's booked toxin treatments,
    which the ``toxin_interval`` rule counts as well as administrations.

    ``exclude`` leaves out the appointment being screened; ``booked_before`` keeps only
    bookings made before it (an existing booking's screening: whichever toxin booking was
    made second carries the reason); ``exclude_course`` leaves out a course being re-planned.
    """
    rows = Appointment.objects.filter(client=client, status=AppointmentStatus.BOOKED).filter(
        Q(formulation__contains_toxin=True)
        | Q(formulation__isnull=True, treatment__default_formulation__contains_toxin=True)
    )
    if exclude is not None and exclude.pk is not None:
        rows = rows.exclude(pk=exclude.pk)
    if booked_before is not None:
        rows = rows.filter(booked_at__lt=booked_before)
    if exclude_course is not None:
        rows = rows.exclude(course=exclude_course)
    return tuple(
        sorted(
            {
                start.astimezone(zoneinfo.ZoneInfo(zone)).date()
                for start, zone in rows.values_list("start", "site__time_zone")
            }
        )
    )
