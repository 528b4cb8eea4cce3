"""Scheduled backups (issue 18): the worker takes one a day, records every attempt, keeps
N daily and M weekly archives, and the settings page shows the last success to admins
with a warning when it is older than a day. The archive itself is written by a stand-in
here; ``tests/core/backup/`` tests the real one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult
from tests.web.staff import staff_login

from mesoclinic.core import backup_runs
from mesoclinic.core.backup import BackupError, Target
from mesoclinic.core.backup_runs import (
    TASK_PATH,
    backup_daily,
    backup_due,
    backup_enqueue_if_due,
    backups_prune,
    backups_to_keep,
)
from mesoclinic.core.models import BackupRun
from mesoclinic.core.selectors import backup_last_success
from mesoclinic.messaging.tasks import periodic_jobs
from mesoclinic.messaging.worker import run_pending

UTC = dt.UTC


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.moment = dt.datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
        monkeypatch.setattr("mesoclinic.core.clock.now", lambda: self.moment)

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def home(tmp_path, monkeypatch, clock):
    """Archives go to ``tmp_path/backups``, written by a stand-in for ``backup_create``."""
    target = Target(home=tmp_path, media_root=tmp_path / "media", database={})
    monkeypatch.setattr(backup_runs, "target_current", lambda: target)

    def backup_create(*, output: Path | None = None, passphrase: str | None = None) -> Path:
        path = output or tmp_path / "backups" / f"mesoclinic-{clock.moment:%Y%m%d-%H%M%S}.tar.gz"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x" * 1234)
        return path

    monkeypatch.setattr(backup_runs, "backup_create", backup_create)
    return tmp_path


@pytest.fixture
def disk_full(monkeypatch):
    def backup_create(*, output: Path | None = None, passphrase: str | None = None) -> Path:
        raise BackupError("cannot write /srv/backups/x.tar.gz: No space left on device")

    monkeypatch.setattr(backup_runs, "backup_create", backup_create)


# --- which archives are kept ---------------------------------------------------------------


def _at(day: int, hour: int = 2) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=UTC)


def test_retention_keeps_the_newest_of_each_recent_day_and_week():
    # given: two archives a day on 1–20 December 2026 (1 Dec is a Tuesday)
    archives = [(day * 10 + hour, _at(day, hour)) for day in range(1, 21) for hour in (2, 14)]
    # when
    kept = backups_to_keep(archives, keep_daily=3, keep_weekly=3)
    # then: the 14:00 archive of 20, 19, 18 Dec (days); of the weeks ending 20, 13, 6 Dec
    assert kept == {20 * 10 + 14, 19 * 10 + 14, 18 * 10 + 14, 13 * 10 + 14, 6 * 10 + 14}


def test_retention_always_keeps_the_newest_archive():
    assert backups_to_keep([(1, _at(1)), (2, _at(2))], keep_daily=0, keep_weekly=0) == {2}
    assert backups_to_keep([], keep_daily=7, keep_weekly=4) == set()


def test_retention_counts_days_that_have_an_archive_not_calendar_days():
    archives = [(1, _at(1)), (2, _at(5)), (3, _at(9))]
    assert backups_to_keep(archives, keep_daily=2, keep_weekly=0) == {3, 2}


# --- the scheduled run -----------------------------------------------------------------------


def test_a_scheduled_backup_records_its_archive_path_and_size(db, home):
    # when
    result = backup_daily.call()
    # then
    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.SUCCEEDED
    assert run.trigger == BackupRun.Trigger.SCHEDULED
    assert Path(run.path) == home / "backups" / "mesoclinic-20261207-020000.tar.gz"
    assert run.size_bytes == 1234
    assert run.error == ""
    assert result.startswith(run.path)
    assert backup_last_success() == run


def test_a_failed_backup_is_recorded_as_failed_never_as_success(db, clock, disk_full):
    result = backup_daily.call()
    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.FAILED
    assert "No space left on device" in run.error
    assert (run.path, run.size_bytes) == ("", None)
    assert result.startswith("failed:")
    assert backup_last_success() is None


def test_a_backup_is_due_once_a_day(db, clock, home):
    assert backup_due()
    backup_daily.call()
    assert not backup_due()
    clock.advance(hours=23, minutes=59)
    assert not backup_due()
    assert backup_daily.call() == "not due"
    clock.advance(minutes=2)
    assert backup_due()


def test_a_failed_backup_is_tried_again_after_an_hour(db, clock, disk_full):
    backup_daily.call()
    clock.advance(minutes=59)
    assert not backup_due()
    clock.advance(minutes=2)
    assert backup_due()


def test_a_manual_backup_does_not_replace_the_daily_one(db, clock, home):
    backup_runs.backup_record_run(trigger=BackupRun.Trigger.MANUAL)
    assert backup_due()


def test_the_worker_queues_the_backup_once_and_runs_it(db, clock, home):
    # given: the worker's timed check is among its jobs
    assert (300.0, backup_enqueue_if_due) in periodic_jobs()
    # when: it checks twice before the task runs
    assert backup_enqueue_if_due()
    assert not backup_enqueue_if_due()
    # then: one task queued; the worker runs it
    assert DBTaskResult.objects.filter(task_path=TASK_PATH, status="READY").count() == 1
    run_pending()
    assert BackupRun.objects.get().status == BackupRun.Status.SUCCEEDED
    assert not backup_enqueue_if_due()  # done for today


def test_a_backup_task_left_running_for_hours_does_not_stop_the_schedule(db, clock, home):
    # given: a task row still "running" (a worker died mid-backup, or the database was
    # restored from an archive this very task was writing)
    backup_enqueue_if_due()
    DBTaskResult.objects.filter(task_path=TASK_PATH).update(
        status="RUNNING", started_at=clock.moment
    )
    clock.advance(hours=5)
    assert not backup_enqueue_if_due()
    # when
    clock.advance(hours=2)
    # then
    assert backup_enqueue_if_due()


def test_scheduled_backups_can_be_switched_off(db, clock, home, settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "BACKUP_SCHEDULE": False}
    assert not backup_enqueue_if_due()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_old_archives_are_removed_and_their_runs_marked_pruned(db, clock, home, settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "BACKUP_KEEP_DAILY": 2, "BACKUP_KEEP_WEEKLY": 1}
    elsewhere = home / "kept-by-hand.tar.gz"
    backup_runs.backup_record_run(trigger=BackupRun.Trigger.MANUAL, output=elsewhere)
    by_hand, _ = backup_runs.backup_record_run(trigger=BackupRun.Trigger.MANUAL)
    clock.advance(minutes=5)
    for _ in range(4):  # four days in a row (7–10 Dec, one ISO week)
        backup_daily.call()
        clock.advance(days=1)
    # then: the last two days kept (the week's newest is among them); the rest removed
    runs = list(BackupRun.objects.filter(trigger="scheduled").order_by("started_at"))
    assert [run.pruned_at is not None for run in runs] == [True, True, False, False]
    assert [Path(run.path).exists() for run in runs] == [False, False, True, True]
    assert elsewhere.exists()  # an archive taken by hand is never removed
    assert Path(by_hand.path).exists()
    assert Path(by_hand.path).parent == home / "backups"
    assert backups_prune() == []


# --- the settings page -----------------------------------------------------------------------


def _record(clock, *, hours_ago: float, status: str = "succeeded", error: str = "") -> None:
    BackupRun.objects.create(
        started_at=clock.moment - dt.timedelta(hours=hours_ago, minutes=2),
        finished_at=clock.moment - dt.timedelta(hours=hours_ago),
        status=status,
        trigger="scheduled",
        path="/srv/mesoclinic/backups/mesoclinic-x.tar.gz" if status == "succeeded" else "",
        size_bytes=2 * 1024 * 1024 if status == "succeeded" else None,
        error=error,
    )


def test_the_settings_page_warns_when_there_is_no_backup(demo, clock):
    page = staff_login("admin").get("/settings/").content.decode()
    assert 'id="backup-warning"' in page
    assert "No backup has been taken yet." in page


def test_the_settings_page_shows_a_recent_backup_without_warning(demo, clock):
    _record(clock, hours_ago=3)
    page = staff_login("admin").get("/settings/").content.decode()
    assert "Last successful backup:" in page
    assert "/srv/mesoclinic/backups/mesoclinic-x.tar.gz" in page
    assert "2.0\xa0MB" in page
    assert 'id="backup-warning"' not in page


def test_the_settings_page_warns_when_the_last_backup_is_over_a_day_old(demo, clock):
    _record(clock, hours_ago=25)
    _record(clock, hours_ago=1, status="failed", error="pg_dump failed: connection refused")
    page = staff_login("admin").get("/settings/").content.decode()
    assert "The last backup is more than a day old." in page
    assert "failed: pg_dump failed: connection refused" in page


def test_only_administrators_see_the_backups(demo):
    assert staff_login("reception").get("/settings/").status_code == 403
