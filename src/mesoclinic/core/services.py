"""Operational writes of the shared kernel: the background worker's heartbeat."""

from __future__ import annotations

import os
import socket

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
