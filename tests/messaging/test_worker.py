"""The worker's parts: running what is due (django-tasks-db) and the timed jobs beside it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django_tasks_db.models import DBTaskResult

from mesoclinic.messaging.tasks import scan_maintenance_due
from mesoclinic.messaging.worker import run_pending, start_periodic_jobs

from .conftest import LONDON


@pytest.mark.django_db
def test_run_pending_runs_due_tasks_once_and_leaves_deferred_ones(frozen):
    clock = frozen(dt.datetime(2026, 5, 25, 12, 0, tzinfo=LONDON))
    scan_maintenance_due.enqueue()
    later = scan_maintenance_due.using(run_after=clock.moment + dt.timedelta(hours=1)).enqueue()
    assert run_pending() == 1
    assert run_pending() == 0
    assert later.status == "READY"
    clock.advance(hours=1)
    assert run_pending() == 1
    later.refresh()
    assert later.status == "SUCCESSFUL"
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


def test_periodic_jobs_run_at_once_then_on_their_timer_and_survive_failures():
    stop = threading.Event()
    calls = {"often": 0, "broken": 0}
    enough = threading.Event()

    def often() -> None:
        calls["often"] += 1
        if calls["often"] >= 3:
            enough.set()

    def broken() -> None:
        calls["broken"] += 1
        raise RuntimeError("boom")

    thread = start_periodic_jobs([(0.01, often), (3600.0, broken)], stop=stop)
    try:
        assert enough.wait(timeout=5)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert calls["broken"] == 1
