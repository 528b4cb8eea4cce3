"""Backups on a schedule, their record and their retention.

The worker (``mesoclinic worker``, started by ``mesoclinic serve``) checks every few
minutes whether a backup is due (:func:`backup_enqueue_if_due`) and if so queues the task
:func:`backup_daily`, which writes an archive (:func:`mesoclinic.core.backup.backup_create`),
records the attempt as a :class:`~mesoclinic.core.models.BackupRun` and prunes old archives:
the newest of each of the last ``BACKUP_KEEP_DAILY`` days and of each of the last
``BACKUP_KEEP_WEEKLY`` ISO weeks are kept (:func:`backups_to_keep`, plain Python). A run is
recorded as succeeded only once its archive is complete on disk; any failure is recorded as
failed with its reason, and logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError
from django.db.models import Q
from django_tasks import task

from mesoclinic.core import clock
from mesoclinic.core.backup import BackupError, backup_create, backup_passphrase, target_current
from mesoclinic.core.models import BackupRun

logger = logging.getLogger(__name__)

DAY = dt.timedelta(days=1)
# A failed scheduled backup is tried again after this long, not at every check.
RETRY_AFTER = dt.timedelta(hours=1)
TASK_PATH = "mesoclinic.core.backup_runs.backup_daily"
STUCK_AFTER = dt.timedelta(hours=6)


@dataclass(frozen=True)
class BackupSchedule:
    enabled: bool
    keep_daily: int
    keep_weekly: int


def backup_schedule() -> BackupSchedule:
    """The schedule's settings (``MESOCLINIC_BACKUP_SCHEDULE``, ``…_KEEP_DAILY``, ``…_KEEP_WEEKLY``)."""
    from django.conf import settings

    return BackupSchedule(
        enabled=bool(settings.MESOCLINIC.get("BACKUP_SCHEDULE", True)),
        keep_daily=int(str(settings.MESOCLINIC.get("BACKUP_KEEP_DAILY", 7))),
        keep_weekly=int(str(settings.MESOCLINIC.get("BACKUP_KEEP_WEEKLY", 4))),
    )


# --- one run -----------------------------------------------------------------------------------


def backup_record_run(
    *, trigger: str, output: Path | None = None, passphrase_file: Path | None = None
) -> tuple[BackupRun, BackupError | None]:
    """Write one backup and record the attempt; return the run and the error if it failed.

    The archive is encrypted when a passphrase is given (``passphrase_file``, or the
    environment: :func:`~mesoclinic.core.backup.backup_passphrase`).

    The run's row is written after the archive is complete (or the attempt failed), so an
    archive never holds a record of itself and nothing half-done is ever called a success.
    """
    started = clock.now()
    try:
        path = backup_create(output=output, passphrase=backup_passphrase(passphrase_file))
    except BackupError as error:
        logger.error("backup failed: %s", error, extra={"trigger": trigger})
        run = BackupRun(
            started_at=started,
            finished_at=clock.now(),
            status=BackupRun.Status.FAILED,
            trigger=trigger,
            error=str(error)[:2000],
        )
        try:
            run.save(force_insert=True)
        except DatabaseError:  # the database itself is what failed: the log says so
            logger.exception("could not record the failed backup")
        return run, error
    size = path.stat().st_size
    run = BackupRun.objects.create(
        started_at=started,
        finished_at=clock.now(),
        status=BackupRun.Status.SUCCEEDED,
        trigger=trigger,
        path=str(path),
        size_bytes=size,
    )
    logger.info("backup written", extra={"trigger": trigger, "path": str(path), "size": size})
    return run, None


# --- the schedule ------------------------------------------------------------------------------


def backup_due(now: dt.datetime | None = None) -> bool:
    """Whether a scheduled backup is due: none succeeded in the last day, and no scheduled
    attempt failed in the last hour."""
    now = now or clock.now()
    runs = BackupRun.objects.filter(trigger=BackupRun.Trigger.SCHEDULED)
    if runs.filter(status=BackupRun.Status.SUCCEEDED, started_at__gt=now - DAY).exists():
        return False
    return not runs.filter(
        status=BackupRun.Status.FAILED, started_at__gt=now - RETRY_AFTER
    ).exists()


def backup_enqueue_if_due() -> bool:
    """The worker's timed check: queue :func:`backup_daily` when due and not already
    queued or running; return whether it queued one."""
    from django_tasks_db.models import DBTaskResult

    if not backup_schedule().enabled or not backup_due():
        return False
    # A task shown running for hours is not waited for: a worker that died mid-backup
    # leaves it so, and so does every archive taken by this task (restored, its own row
    # says "running").
    mine = DBTaskResult.objects.filter(task_path=TASK_PATH)
    if mine.filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gt=clock.now() - STUCK_AFTER)
    ).exists():
        return False
    backup_daily.enqueue()
    return True


@task()
def backup_daily() -> str:
    """The scheduled backup: write and record one archive, then prune old ones."""
    if not backup_due():
        return "not due"
    run, error = backup_record_run(trigger=BackupRun.Trigger.SCHEDULED)
    if error is not None:
        return f"failed: {error}"
    pruned = backups_prune()
    return f"{run.path} ({len(pruned)} old archive(s) removed)"


# --- retention ---------------------------------------------------------------------------------


def backups_to_keep(
    finished: Iterable[tuple[int, dt.datetime]], *, keep_daily: int, keep_weekly: int
) -> set[int]:
    """Of archives ``(id, finished_at)``, the ids to keep: the newest archive of each of the
    ``keep_daily`` most recent days that have one, the newest of each of the
    ``keep_weekly`` most recent ISO weeks that have one, and always the newest of all."""
    newest_first = sorted(finished, key=lambda item: item[1], reverse=True)
    keep: set[int] = set()
    days: dict[dt.date, int] = {}
    weeks: dict[tuple[int, int], int] = {}
    for identifier, at in newest_first:
        days.setdefault(at.date(), identifier)
        weeks.setdefault(at.isocalendar()[:2], identifier)
    keep.update(list(days.values())[:keep_daily])
    keep.update(list(weeks.values())[:keep_weekly])
    if newest_first:
        keep.add(newest_first[0][0])
    return keep


def backups_prune() -> list[BackupRun]:
    """Delete the scheduled archives retention no longer keeps and mark their runs pruned;
    return those runs. Only scheduled archives in the default backup directory are ever
    removed: one taken by hand (before an upgrade, say) is the admin's to keep."""
    config = backup_schedule()
    directory = (target_current().home / "backups").resolve()
    candidates = [
        run
        for run in BackupRun.objects.filter(
            status=BackupRun.Status.SUCCEEDED, trigger=BackupRun.Trigger.SCHEDULED, pruned_at=None
        )
        if Path(run.path).resolve().parent == directory
    ]
    keep = backups_to_keep(
        ((run.pk, run.finished_at) for run in candidates),
        keep_daily=config.keep_daily,
        keep_weekly=config.keep_weekly,
    )
    pruned = [run for run in candidates if run.pk not in keep]
    now = clock.now()
    for run in pruned:
        Path(run.path).unlink(missing_ok=True)
        run.pruned_at = now
    BackupRun.objects.filter(pk__in=[run.pk for run in pruned]).update(pruned_at=now)
    return pruned
