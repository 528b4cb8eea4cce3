"""A database backend for django-tasks, and the worker that runs its tasks.

django-tasks 0.12 moved its database backend out into a separate package; rather than add
a dependency, this is the small part of it mesoclinic needs. Tasks are rows of
:class:`~mesoclinic.messaging.models.TaskRecord`. Enqueuing inside a transaction writes the
row in that transaction, so a task exists exactly when the change that caused it was
committed. ``run_after`` defers a task; higher ``priority`` runs first.

The worker (``mesoclinic worker``) claims one ready row at a time with a conditional update
(``READY`` → ``RUNNING``), so several workers never run a task twice, on SQLite or
PostgreSQL alike. A task that raises is marked ``FAILED`` with its traceback; retrying is
the task's own decision (message sends re-enqueue themselves with a backoff).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import close_old_connections
from django.db.models import Q
from django.utils.module_loading import import_string
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.signals import task_enqueued, task_finished, task_started
from django_tasks.utils import (
    get_exception_traceback,
    get_module_path,
    get_random_id,
    normalize_json,
)
from typing_extensions import ParamSpec

from mesoclinic.core import clock
from mesoclinic.messaging.models import TaskRecord, TaskStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


class DatabaseBackend(BaseTaskBackend):
    """Store tasks in the database; a separate worker process runs them."""

    supports_defer = True
    supports_get_result = True
    supports_priority = True

    def enqueue(self, task: Task[P, T], args: P.args, kwargs: P.kwargs) -> TaskResult[T]:  # type: ignore[valid-type]
        """Write the task as a ready row (inside the caller's transaction, if any)."""
        self.validate_task(task)
        record = TaskRecord.objects.create(
            id=get_random_id(),
            task_path=task.module_path,
            queue_name=task.queue_name,
            priority=task.priority,
            args=normalize_json(args),
            kwargs=normalize_json(kwargs),
            run_after=task.run_after,
            enqueued_at=clock.now(),
        )
        result = _result_from(record, task, self.alias)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        """The stored state of one task."""
        record = TaskRecord.objects.filter(pk=result_id).first()
        if record is None:
            raise TaskResultDoesNotExist(result_id)
        return _result_from(record, import_string(record.task_path), self.alias)


def _result_from(record: TaskRecord, task: Task, alias: str) -> TaskResult:
    result: TaskResult = TaskResult(
        task=task,
        id=record.id,
        status=TaskResultStatus(record.status),
        enqueued_at=record.enqueued_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        last_attempted_at=record.last_attempted_at,
        args=list(record.args),
        kwargs=dict(record.kwargs),
        backend=alias,
        errors=[TaskError(**error) for error in record.errors],
        worker_ids=list(record.worker_ids),
    )
    object.__setattr__(result, "_return_value", record.return_value)
    return result


def _claim_next(worker_id: str, queues: set[str] | None) -> TaskRecord | None:
    """Take the most urgent ready task that is due, or None when there is none."""
    now = clock.now()
    ready = TaskRecord.objects.filter(status=TaskStatus.READY).filter(
        Q(run_after__isnull=True) | Q(run_after__lte=now)
    )
    if queues:
        ready = ready.filter(queue_name__in=queues)
    for task_id in ready.order_by("-priority", "run_after", "enqueued_at").values_list(
        "id", flat=True
    )[:10]:
        claimed = TaskRecord.objects.filter(pk=task_id, status=TaskStatus.READY).update(
            status=TaskStatus.RUNNING, started_at=now, last_attempted_at=now
        )
        if claimed:
            record = TaskRecord.objects.get(pk=task_id)
            record.worker_ids = [*record.worker_ids, worker_id]
            record.save(update_fields=["worker_ids"])
            return record
    return None


def _run(record: TaskRecord, alias: str) -> None:
    try:
        task: Task = import_string(record.task_path)
    except ImportError as error:
        _finish(record, alias, None, error)
        return
    result = _result_from(record, task, alias)
    task_started.send(DatabaseBackend, task_result=result)
    try:
        value = task.call(*record.args, **record.kwargs)
    except KeyboardInterrupt:
        raise
    except Exception as error:
        _finish(record, alias, task, error)
    else:
        _finish(record, alias, task, None, normalize_json(value))


def _finish(
    record: TaskRecord,
    alias: str,
    task: Task | None,
    error: BaseException | None,
    value: Any = None,
) -> None:
    record.finished_at = clock.now()
    if error is None:
        record.status = TaskStatus.SUCCESSFUL
        record.return_value = value
    else:
        record.status = TaskStatus.FAILED
        record.errors = [
            *record.errors,
            {
                "exception_class_path": get_module_path(type(error)),
                "traceback": get_exception_traceback(error),
            },
        ]
        logger.error("Task %s (%s) failed: %s", record.id, record.task_path, error)
    record.save(update_fields=["status", "finished_at", "return_value", "errors"])
    if task is not None:
        task_finished.send(DatabaseBackend, task_result=_result_from(record, task, alias))


def run_pending(
    *, worker_id: str | None = None, queues: set[str] | None = None, limit: int | None = None
) -> int:
    """Run every task that is due now (at most ``limit``); return how many ran."""
    worker_id = worker_id or get_random_id()
    ran = 0
    while limit is None or ran < limit:
        record = _claim_next(worker_id, queues)
        if record is None:
            break
        _run(record, "default")
        ran += 1
    return ran


def run_worker(
    *,
    interval_seconds: float = 2.0,
    periodic: list[tuple[float, Callable[[], object]]] | None = None,
    queues: set[str] | None = None,
) -> None:
    """Run tasks until SIGINT/SIGTERM; call each ``(every_seconds, function)`` periodically."""
    worker_id = get_random_id()
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last_run: dict[int, float] = {}
    logger.info("mesoclinic worker %s started", worker_id)
    while not stopping:
        close_old_connections()
        for index, (every, function) in enumerate(periodic or []):
            if time.monotonic() - last_run.get(index, float("-inf")) >= every:
                last_run[index] = time.monotonic()
                try:
                    function()
                except Exception:
                    logger.exception("Periodic job %s failed", function)
        try:
            ran = run_pending(worker_id=worker_id, queues=queues)
        except Exception:
            logger.exception("Worker loop error; retrying")
            ran = 0
        if not ran:
            time.sleep(interval_seconds)
    logger.info("mesoclinic worker %s stopped", worker_id)
