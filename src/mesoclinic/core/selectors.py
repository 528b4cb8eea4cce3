"""Reads of the audit trail for the administrators' audit page, and of the operational
state: the worker's heartbeat, pending migrations, the last backup."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.db.models import QuerySet

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.core.models import AuditEntry, BackupRun


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page asks for; every part is optional. Dates are local days
    (``since`` and ``until`` both included)."""

    since: dt.date | None = None
    until: dt.date | None = None
    username: str = ""
    client_id: int | None = None
    action: str = ""


def audit_entries(filters: AuditFilter, *, tz: dt.tzinfo) -> QuerySet[AuditEntry]:
    """Entries matching ``filters``, newest first; days are taken in the time zone ``tz``."""
    entries = AuditEntry.objects.all()
    if filters.since is not None:
        entries = entries.filter(at__gte=_local_midnight(filters.since, tz))
    if filters.until is not None:
        entries = entries.filter(at__lt=_local_midnight(filters.until + dt.timedelta(days=1), tz))
    if filters.username:
        entries = entries.filter(actor_label__iexact=filters.username)
    if filters.client_id is not None:
        entries = entries.filter(client_id=filters.client_id)
    if filters.action:
        entries = entries.filter(action=filters.action)
    return entries.order_by("-at", "-id")


def audit_log_view(*, actor: Actor, filters: AuditFilter, tz: dt.tzinfo) -> QuerySet[AuditEntry]:
    """:func:`audit_entries` for the audit page, and an ``audit.view`` entry saying who
    searched the trail for what: looking at the audit trail is audited too."""
    asked = {key: str(value) for key, value in asdict(filters).items() if value not in (None, "")}
    audit_read(
        actor=actor,
        action="audit.view",
        client_id=filters.client_id,
        summary="Audit trail searched" + (f": {asked}" if asked else ""),
        data=asked,
    )
    return audit_entries(filters, tz=tz)


def audit_actions() -> list[str]:
    """Every action that appears in the trail, alphabetically (for the filter)."""
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tz)


# --- Operations: worker heartbeat, migrations, backups ---------------------------------------

# A worker beats every WORKER_BEAT_SECONDS; one not seen for WORKER_STALE_SECONDS is stale.
WORKER_BEAT_SECONDS = 30.0
WORKER_STALE_SECONDS = 120


def worker_state() -> dict[str, object]:
    """The background worker as ``/healthz`` reports it: ``ok`` when one beat within
    ``WORKER_STALE_SECONDS``, ``stale`` when the last beat is older, ``absent`` when none
    ever did; with the time of the last beat."""
    from mesoclinic.core.models import WorkerHeartbeat

    latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    if latest is None:
        return {"status": "absent", "last_seen": None}
    age = (clock.now() - latest.seen_at).total_seconds()
    return {
        "status": "ok" if age <= WORKER_STALE_SECONDS else "stale",
        "last_seen": latest.seen_at.isoformat(),
    }


_migrations_current = False


def migrations_state() -> dict[str, object]:
    """``ok`` when every migration this code knows is applied, else ``pending`` with their
    count. Once ``ok`` it stays so for this process (migrations never un-apply)."""
    global _migrations_current
    if _migrations_current:
        return {"status": "ok", "pending": 0}
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrations_current = pending == 0
    return {"status": "ok" if pending == 0 else "pending", "pending": pending}


# A backup older than this is a warning on the settings page.
BACKUP_STALE_SECONDS = 24 * 3600


def backup_last_success() -> BackupRun | None:
    """The most recent backup that succeeded, or None."""
    return BackupRun.objects.filter(status=BackupRun.Status.SUCCEEDED).first()


def backup_last_success_age_seconds() -> float | None:
    """Seconds since the last successful backup finished, or None when none has."""
    return _age_seconds(backup_last_success())


def _age_seconds(run: BackupRun | None) -> float | None:
    return None if run is None else max(0.0, (clock.now() - run.finished_at).total_seconds())


@dataclass(frozen=True)
class BackupStatus:
    """What the settings page says about backups: the last success (or none), whether it
    is older than a day (a warning), and the last failure if one came after it."""

    last_success: BackupRun | None
    stale: bool
    failure_since: BackupRun | None


def backup_status() -> BackupStatus:
    """The backups as an administrator should see them (settings page)."""
    last = backup_last_success()
    failures = BackupRun.objects.filter(status=BackupRun.Status.FAILED)
    if last is not None:
        failures = failures.filter(started_at__gt=last.started_at)
    age = _age_seconds(last)
    return BackupStatus(
        last_success=last,
        stale=age is None or age > BACKUP_STALE_SECONDS,
        failure_since=failures.first(),
    )
