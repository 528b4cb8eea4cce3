"""Reads for scheduling: availability, appointments, courses.

Split by concern: ``times`` (epoch minutes and local days, the booking grid and buffer,
the days a site is closed), ``one_site`` (the Django shell around the pure engine: one
site's search), ``availability`` (the searches over every bookable site, remembered per
process by ``remembered``) and ``lookups`` (rows by code or id, appointment lists,
audited reads for staff pages, the client's booked toxin days). Every public name is
importable from here (``selectors.availability_for``).
"""

from __future__ import annotations

from mesoclinic.scheduling.selectors.availability import (
    FIRST_CHUNK_DAYS,
    MAX_WINDOW_DAYS,
    AvailabilityQuestion,
    availability_for,
    availability_tables,
    bookable_sites,
    forget_searches,
)
from mesoclinic.scheduling.selectors.lookups import (
    appointment_for_id,
    appointment_list,
    appointment_queryset,
    appointment_view,
    course_appointments,
    course_for_id,
    course_view,
    practitioner_for_code,
    site_for_code,
    toxin_booking_days,
    treatment_for_code,
)
from mesoclinic.scheduling.selectors.one_site import (
    MAX_APPOINTMENT_SPAN,
    AvailableSlot,
    SiteSearch,
    SiteSlots,
    site_practitioners,
    site_search,
)
from mesoclinic.scheduling.selectors.times import (
    buffer_minutes,
    ceil_minutes_of,
    closed_days_in,
    grid_minutes,
    local_midnight,
    moment_of,
    site_closed_days,
)

__all__ = [
    "FIRST_CHUNK_DAYS",
    "MAX_APPOINTMENT_SPAN",
    "MAX_WINDOW_DAYS",
    "AvailabilityQuestion",
    "AvailableSlot",
    "SiteSearch",
    "SiteSlots",
    "appointment_for_id",
    "appointment_list",
    "appointment_queryset",
    "appointment_view",
    "availability_for",
    "availability_tables",
    "bookable_sites",
    "buffer_minutes",
    "ceil_minutes_of",
    "closed_days_in",
    "course_appointments",
    "course_for_id",
    "course_view",
    "forget_searches",
    "grid_minutes",
    "local_midnight",
    "moment_of",
    "practitioner_for_code",
    "site_closed_days",
    "site_for_code",
    "site_practitioners",
    "site_search",
    "toxin_booking_days",
    "treatment_for_code",
]
