"""Operational writes of the shared kernel: the background worker's heartbeat and the query
planner's statistics."""

from __future__ import annotations

import os
import socket

from django.db import connections

from mesoclinic.core import clock
from mesoclinic.core.models import WorkerHeartbeat

_started_at = clock.now()


def worker_name() -> str:
    """This process as a worker: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_heartbeat_beat(*, name: str | None = None) -> WorkerHeartbeat:
    """Record that the worker ``name`` (this process by default) is alive now.

    Not audited: it is the machine's own bookkeeping, not an action on a record."""
    now = clock.now()
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name or worker_name(),
        defaults={"seen_at": now},
        create_defaults={"seen_at": now, "started_at": min(_started_at, now)},
    )
    return beat


ANALYSIS_LIMIT = 1_000
"""Rows SQLite's ``ANALYZE`` samples per index: approximate statistics of every table in
milliseconds (about 20 ms at a million product uses), which is all the planner needs."""


def database_statistics_refresh(*, using: str = "default") -> None:
    """Refresh the SQLite query planner's statistics (the worker does it hourly).

    SQLite plans with the row counts it last measured, and measures only when asked.
    Statistics taken while the clinic was small made it answer a recall at a million
    administrations by reading every treatment record (460 ms) instead of probing the
    lot's index (under 3 ms, W6). PostgreSQL's autovacuum keeps its own: nothing to do.

    Not audited: it is the machine's own bookkeeping, not an action on a record."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
