"""Read-audit entries written in batches, so that an audited read costs no commit (and no
fsync) of its own.

Every clinical read is audited (:func:`mesoclinic.core.audit.audit_read`). Written one by
one, each read would be a write transaction of its own: on SQLite it waits for the single
write lock behind the bookings and then syncs the WAL to disk (``synchronous=FULL``); on
PostgreSQL it waits for its WAL flush. In the server (``mesoclinic serve``) each worker
process instead keeps a :class:`ReadAuditBuffer`: the request builds its entry (who, what,
when, role, address) and leaves it in the buffer; a background thread writes what has
gathered with one ``INSERT`` in one transaction every ``interval`` seconds (default 0.1,
``MESOCLINIC_READ_AUDIT_FLUSH_MS``), and the worker's clean exit writes the rest.

What a crash can lose, and nothing else:

* the read-audit entries of the last flush interval (≤ 100 ms by default) of a worker
  that is killed (``SIGKILL``, out of memory, power cut) before its next flush;
* nothing on a clean shutdown (``SIGTERM``/Ctrl+C, gunicorn's graceful stop): the
  process's ``atexit`` hook flushes the buffer;
* never a write's entry: writes call :func:`mesoclinic.core.audit.audit_record` inside
  their own transaction, which commits the entry with the change or not at all; and a read
  audited inside a transaction (``transaction.atomic``) joins that transaction instead of
  the buffer.

Only the WSGI application starts a buffer (``config/wsgi.py``: ``mesoclinic serve`` and
``manage runserver``); commands, the background worker, the test suite (its test client) and
the demo loader write each read's entry at once, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from typing import TYPE_CHECKING

from django.db import connection, transaction

if TYPE_CHECKING:
    from mesoclinic.core.models import AuditEntry

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 0.1
MAX_KEPT = 50_000
"""Entries kept after failed flushes (the database unreachable); beyond this the oldest
are dropped, with an error logged, rather than the worker running out of memory."""


class ReadAuditBuffer:
    """Read-audit entries waiting for the next batched write."""

    def __init__(self, interval: float = DEFAULT_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._entries: list[AuditEntry] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, entry: AuditEntry) -> None:
        """Keep ``entry`` until the next flush."""
        with self._lock:
            self._entries.append(entry)

    def pending(self) -> int:
        """How many entries wait for the next flush."""
        with self._lock:
            return len(self._entries)

    def flush(self) -> int:
        """Write every waiting entry with one ``INSERT`` in one transaction (on this
        thread's connection); returns how many were written. On a database error the
        entries stay for the next flush."""
        from mesoclinic.core.models import AuditEntry

        with self._flush_lock:
            with self._lock:
                batch, self._entries = self._entries, []
            if not batch:
                return 0
            try:
                with transaction.atomic():
                    AuditEntry.objects.bulk_create(batch)
            except Exception:
                logger.exception("read-audit flush failed; %d entries kept", len(batch))
                for entry in batch:
                    entry.pk = None
                    entry._state.adding = True
                with self._lock:
                    self._entries = (batch + self._entries)[-MAX_KEPT:]
                connection.close()
                return 0
            return len(batch)

    def start(self) -> None:
        """Flush every ``interval`` seconds on a background thread."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="read-audit-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        connection.close()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.flush()
        finally:
            connection.close()


_buffer: ReadAuditBuffer | None = None


def active_buffer() -> ReadAuditBuffer | None:
    """The process's buffer while batching is on, else None (entries are written at once)."""
    return _buffer


def start_batching(interval: float | None = None) -> ReadAuditBuffer:
    """Batch this process's read-audit entries from now on (the server's workers call it
    once); the process's clean exit flushes the rest."""
    global _buffer
    if _buffer is None:
        if interval is None:
            milliseconds = os.environ.get("MESOCLINIC_READ_AUDIT_FLUSH_MS", "")
            interval = float(milliseconds) / 1000 if milliseconds else DEFAULT_INTERVAL_SECONDS
        _buffer = ReadAuditBuffer(interval)
        _buffer.start()
        atexit.register(stop_batching)
    return _buffer


def stop_batching() -> None:
    """Write what is waiting and go back to writing each entry at once."""
    global _buffer
    buffer, _buffer = _buffer, None
    if buffer is not None:
        buffer.stop()
