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

The services are split by concern: ``checks`` (before any write), ``guarded`` (the
re-check and the write under the lock), ``appointments``, ``courses``, ``absences``,
``holds`` (slots kept for someone who has not confirmed yet: they block like bookings),
``waitlist`` (offers of free starts to waiting clients, as holds).
"""

from __future__ import annotations

from mesoclinic.scheduling.planning import absence_replan_preview, course_plan
from mesoclinic.scheduling.services.absences import (
    ReplanResult,
    absence_add,
    absence_record,
    absence_remove,
    absence_replan_apply,
    price_of,
)
from mesoclinic.scheduling.services.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_no_show,
    appointment_reschedule,
)
from mesoclinic.scheduling.services.courses import (
    PlanWarnings,
    course_book,
    course_cancel,
    course_plan_warnings,
    course_replan_apply,
)
from mesoclinic.scheduling.services.guarded import (
    MAX_REASON_LENGTH,
    OPTIONAL_DEVICE_TYPES,
    Placement,
)
from mesoclinic.scheduling.services.holds import (
    hold_minutes,
    holds_sweep,
    slot_hold,
    slot_hold_confirm,
    slot_hold_release,
)
from mesoclinic.scheduling.services.waitlist import (
    waitlist_accept,
    waitlist_cancel,
    waitlist_decline,
    waitlist_join,
    waitlist_match,
    waitlist_notifier_register,
)

__all__ = [
    "MAX_REASON_LENGTH",
    "OPTIONAL_DEVICE_TYPES",
    "Placement",
    "PlanWarnings",
    "ReplanResult",
    "absence_add",
    "absence_record",
    "absence_remove",
    "absence_replan_apply",
    "absence_replan_preview",
    "appointment_book",
    "appointment_cancel",
    "appointment_no_show",
    "appointment_reschedule",
    "course_book",
    "course_cancel",
    "course_plan",
    "course_plan_warnings",
    "course_replan_apply",
    "hold_minutes",
    "holds_sweep",
    "price_of",
    "slot_hold",
    "slot_hold_confirm",
    "slot_hold_release",
    "waitlist_accept",
    "waitlist_cancel",
    "waitlist_decline",
    "waitlist_join",
    "waitlist_match",
    "waitlist_notifier_register",
]
