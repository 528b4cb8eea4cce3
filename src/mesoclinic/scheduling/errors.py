"""Error codes of the scheduling domain (the ``code`` of the API error envelope).

Status conventions (documented in docs and tests):

* 400 — malformed input: bad dates, ``to`` before ``from``, unknown reference codes;
* 404 — an addressed client, appointment, course or absence does not exist;
* 409 — conflicts with the current state of the calendar: the slot is taken (or the
  practitioner is not working then), the client already has an active appointment
  overlapping it (``client_busy``), the appointment is no longer active, a course cannot
  be placed;
* 422 — well-formed but refused by a rule: a start in the past or outside the site's
  opening hours (a bank holiday, a closed day), a start off the booking grid, screening
  refused, more sessions than the treatment allows, a course session moved outside its
  window or out of order (``outside_course_window``), toxin within the interval of another
  toxin administration or booking of the client (``toxin_interval``, unless overridden);
* 400 ``unsuitable_device`` — a requested device this treatment cannot use;
* 409 ``hold_expired`` — a slot hold ran out and its time was taken meanwhile (choose
  another time); 409 ``hold_not_active`` — the hold was already confirmed or released;
* 503 ``busy`` — the database's write lock could not be had in time (SQLite busy
  timeout): nothing was written, try again.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from mesoclinic.core.errors import Conflict, DomainError


class SchedulingErrorCode(StrEnum):
    """Why a scheduling request was refused."""

    INVALID_INPUT = "invalid_input"
    INVALID_RANGE = "invalid_range"
    NAIVE_DATETIME = "naive_datetime"
    UNKNOWN_TREATMENT = "unknown_treatment"
    UNKNOWN_PRACTITIONER = "unknown_practitioner"
    UNKNOWN_SITE = "unknown_site"
    UNKNOWN_PROTOCOL = "unknown_protocol"
    UNKNOWN_FORMULATION = "unknown_formulation"
    UNKNOWN_ROOM = "unknown_room"
    UNKNOWN_DEVICE = "unknown_device"
    CLIENT_NOT_FOUND = "client_not_found"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    COURSE_NOT_FOUND = "course_not_found"
    ABSENCE_NOT_FOUND = "absence_not_found"
    ABSENCE_OVERLAP = "absence_overlap"
    START_IN_PAST = "start_in_past"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    OFF_GRID = "off_grid"
    SLOT_UNAVAILABLE = "slot_unavailable"
    CLIENT_BUSY = "client_busy"
    SCREENING_REFUSED = "screening_refused"
    APPOINTMENT_NOT_ACTIVE = "appointment_not_active"
    APPOINTMENT_NOT_STARTED = "appointment_not_started"
    COURSE_UNAVAILABLE = "course_unavailable"
    TOO_MANY_SESSIONS = "too_many_sessions"
    NO_SITE = "no_site"
    BUSY = "busy"
    OUTSIDE_COURSE_WINDOW = "outside_course_window"
    TOXIN_INTERVAL = "toxin_interval"
    UNSUITABLE_DEVICE = "unsuitable_device"
    HOLD_EXPIRED = "hold_expired"
    HOLD_NOT_ACTIVE = "hold_not_active"
    WAITLIST_NOT_FOUND = "waitlist_not_found"
    WAITLIST_NOT_OFFERED = "waitlist_not_offered"
    WAITLIST_ALREADY_WAITING = "waitlist_already_waiting"
    WAITLIST_WINDOW_TOO_LONG = "waitlist_window_too_long"
    WAITLIST_WINDOW_PAST = "waitlist_window_past"


class ClientBusy(Conflict):
    """409 ``client_busy``: the client already has an active appointment overlapping the
    requested time (from arrival to end). A client is never in two places at once, so no
    other practitioner, room or device can help: the services stop at once."""

    def __init__(self, message: str = "", **details: Any) -> None:
        super().__init__(
            SchedulingErrorCode.CLIENT_BUSY,
            message or "The client already has an appointment at that time.",
            details=details,
        )


class Busy(DomainError):
    """The database could not give the write lock in time (503): nothing was written and
    the request can simply be repeated."""

    status = 503
