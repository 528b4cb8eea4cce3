"""Running background tasks: django-tasks-db's worker, plus mesoclinic's timed jobs.

Tasks are queued by django-tasks-db's ``DatabaseBackend`` (rows of its ``DBTaskResult``) and
run by its ``db_worker`` command, which claims each row under a lock so several workers
never run a task twice. Enqueuing writes the row at once, inside the caller's transaction,
so a send is queued only once the change that caused it is committed (and not at all if
it is rolled back); with another task backend messaging enqueues on commit instead.
Retrying is the task's own decision (message sends re-enqueue themselves with a backoff,
using ``run_after``).

``mesoclinic worker`` runs ``db_worker`` and, beside it in a thread, the timed jobs of
:func:`~mesoclinic.messaging.tasks.periodic_jobs` (stale-message recovery, the maintenance
scan), which ``db_worker`` has no notion of (so ``mesoclinic manage db_worker`` alone runs
tasks but not those jobs). :func:`run_pending` runs what is due in this process and
returns, for tests and one-off scripts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import close_old_connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks.base import Task
from django_tasks.utils import get_random_id
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger(__name__)

Job = tuple[float, Callable[[], object]]


def run_pending(*, tasks: Sequence[Task[Any, Any]] = ()) -> int:
    """Run every task that is due now (only those of ``tasks``, when given), in this
    process, then return how many ran.

    Like ``db_worker --batch`` on all queues, built from the same parts (the locked pick,
    the claim, the worker's ``run_task``) but without the command's signal handlers and
    connection recycling — so it is safe inside a test's transaction or another program.
    """
    worker = Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_id(),
    )
    ran = 0
    while True:
        ready = DBTaskResult.objects.ready().filter(backend_name=worker.backend_name)
        if tasks:
            ready = ready.filter(task_path__in=[task.module_path for task in tasks])
        with exclusive_transaction(ready.db):
            task_result = ready.get_locked()
            if task_result is not None:
                task_result.claim(worker.worker_id)
        if task_result is None:
            return ran
        worker.run_task(task_result)
        ran += 1


def start_periodic_jobs(
    jobs: Sequence[Job] | None = None, *, stop: threading.Event | None = None
) -> threading.Thread:
    """Run each ``(every_seconds, function)`` now and then every so often, in a daemon thread.

    ``jobs`` defaults to :func:`~mesoclinic.messaging.tasks.periodic_jobs`. The thread ends
    with the process (or when ``stop`` is set); a job that raises is logged and tried again
    at its next turn.
    """
    if jobs is None:
        from mesoclinic.messaging.tasks import periodic_jobs

        jobs = periodic_jobs()
    thread = threading.Thread(
        target=_run_periodic,
        args=(list(jobs), stop or threading.Event()),
        name="mesoclinic-periodic-jobs",
        daemon=True,
    )
    thread.start()
    return thread


def _run_periodic(jobs: list[Job], stop: threading.Event) -> None:
    due = [time.monotonic()] * len(jobs)
    while not stop.is_set():
        for index, (every, function) in enumerate(jobs):
            if time.monotonic() < due[index]:
                continue
            due[index] = time.monotonic() + every
            close_old_connections()
            try:
                function()
            except Exception:
                logger.exception("Periodic job %s failed", function)
            finally:
                close_old_connections()
        stop.wait(max(0.0, min(due) - time.monotonic()))
