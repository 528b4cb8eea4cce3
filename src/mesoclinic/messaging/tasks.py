"""Background tasks (django-tasks): delivering messages and the periodic scans."""

from __future__ import annotations

from collections.abc import Callable

from django_tasks import task

from mesoclinic.core.backup_runs import backup_enqueue_if_due
from mesoclinic.core.selectors import WORKER_BEAT_SECONDS
from mesoclinic.core.services import database_statistics_refresh, worker_heartbeat_beat
from mesoclinic.messaging import delivery, services


@task()
def deliver_message(message_id: int) -> str:
    """Send one message if it is due and not yet sent (idempotent; retries itself)."""
    return delivery.message_deliver(message_id=message_id)


@task()
def booking_messages_write(appointment_ids: list[int]) -> int:
    """Write new bookings' confirmation, preparation and reminders (queued in the booking's
    transaction); returns how many messages exist for them."""
    return len(services.booking_messages_write(appointment_ids=appointment_ids))


@task()
def scan_maintenance_due() -> int:
    """Schedule maintenance-due reminders; returns how many messages were scheduled."""
    return len(services.maintenance_due_scan())


WAITLIST_MATCH_SECONDS = 10.0
"""How often the worker offers freed starts to the waiting list (and passes on ran-out
offers): a cancellation reaches the oldest waiting client within this long."""


def periodic_jobs() -> list[tuple[float, Callable[[], object]]]:
    """What the worker runs on a timer: its heartbeat (``/healthz``), the check whether the
    daily backup is due, stale-message recovery, the maintenance scan, the sweep of slot
    holds that have run out (they already block nothing: the sweep only records it), the
    waiting list's matching and the query planner's statistics (SQLite)."""
    from mesoclinic.scheduling.services.holds import holds_sweep
    from mesoclinic.scheduling.services.waitlist import waitlist_match

    return [
        (WORKER_BEAT_SECONDS, worker_heartbeat_beat),
        (300.0, backup_enqueue_if_due),
        (300.0, delivery.messages_requeue_stale),
        (3600.0, lambda: scan_maintenance_due.enqueue()),
        (60.0, holds_sweep),
        (WAITLIST_MATCH_SECONDS, waitlist_match),
        (3600.0, database_statistics_refresh),
    ]
