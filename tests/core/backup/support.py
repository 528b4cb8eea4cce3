"""Helpers for the backup tests: running ``mesoclinic`` in a home of its own, a fresh
database per restore, reading tables and media back, rewriting archives, and the
booking load (32 writers in another process) a live backup is taken under."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_URL = os.environ.get("DATABASE_URL", "")
ON_PG = PG_URL.startswith(("postgres://", "postgresql://"))
SRC = str(Path(__file__).resolve().parents[3] / "src")

WRITERS = 32
WRITER = """
import datetime as dt, os, sys, threading, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
import django
django.setup()
from django.db import connection
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.scheduling.selectors import availability_for
from mesoclinic.scheduling.services import appointment_book

WRITERS = int(sys.argv[1])
today = dt.date.today()
clients = list(Client.objects.order_by("pk"))
treatments = list(Treatment.objects.filter(active=True).order_by("pk"))
connection.close()
stop = threading.Event()
report = threading.Lock()


def book(index):
    # Each writer has its own days (3 + index, + WRITERS, ...): writers race for the
    # database, never for one slot. Every booking goes through the service, with its
    # messages, audit entries and screening, in its own transaction and connection.
    client = clients[index % len(clients)]
    day = 3 + index
    try:
        while not stop.is_set():
            date = today + dt.timedelta(days=day)
            for treatment in treatments:
                if stop.is_set():
                    break
                try:
                    slots = availability_for(
                        treatment=treatment, date_from=date, date_to=date, limit=2
                    )
                except DomainError:
                    continue
                for slot in slots:
                    begun = time.monotonic_ns()
                    try:
                        booked = appointment_book(
                            actor=None, client=client, treatment=treatment, start=slot.start
                        )
                    except DomainError:
                        continue
                    with report:
                        print(index, begun, time.monotonic_ns(), booked.pk, flush=True)
                    break
            day += WRITERS
    finally:
        connection.close()


threads = [threading.Thread(target=book, args=(index,)) for index in range(WRITERS)]
for thread in threads:
    thread.start()
sys.stdin.read()  # the test closes our stdin to stop the load
stop.set()
for thread in threads:
    thread.join()
"""


def _environment(home: Path, database_url: str | None) -> dict[str, str]:
    environment = os.environ.copy()
    environment.pop("DATABASE_URL", None)
    environment.update(MESOCLINIC_HOME=str(home), PYTHONPATH=SRC, MESOCLINIC_STATIC_MANIFEST="0")
    if database_url:
        environment["DATABASE_URL"] = database_url
    return environment


def _run(home: Path, database_url: str | None, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mesoclinic.cli", *arguments],
        env=_environment(home, database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@contextmanager
def _database() -> Iterator[str | None]:
    """A new empty PostgreSQL database (dropped afterwards), or None: SQLite in the home."""
    if not ON_PG:
        yield None
        return
    import psycopg

    base = PG_URL.rsplit("/", 1)[0]
    name = f"backup_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _query(home: Path, database_url: str | None, sql: str) -> list[tuple]:
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as connection:
            return [tuple(row) for row in connection.execute(sql).fetchall()]
    with sqlite3.connect(home / "mesoclinic.sqlite3") as connection:
        return connection.execute(sql).fetchall()


def _tables(home: Path, database_url: str | None) -> list[str]:
    sql = (
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        if database_url
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    return sorted(row[0] for row in _query(home, database_url, sql))


def _rows(home: Path, database_url: str | None, table: str) -> list[str]:
    sql = f'SELECT * FROM "{table}"'  # noqa: S608 -- table names from the catalogue
    return sorted(repr(row) for row in _query(home, database_url, sql))


def _media(home: Path) -> dict[str, bytes]:
    root = home / "media"
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def _untouched(home: Path, database_url: str | None) -> None:
    if (home / "media").exists():
        assert _media(home) == {}
    assert _tables(home, database_url) == []


def _rewrite(archive: Path, output: Path, change) -> Path:
    """Copy ``archive`` to ``output``, passing each member's bytes through ``change``."""
    with tarfile.open(archive) as source, tarfile.open(output, "w:gz") as sink:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            sink.addfile(info, io.BytesIO(data))
    return output


@dataclass(frozen=True)
class Booking:
    writer: int
    begun: int  # time.monotonic_ns() (system-wide) before the service was called
    committed: int  # ... after it returned: the transaction had committed
    appointment_id: int


class BookingLoad:
    """``WRITERS`` threads booking through ``appointment_book`` in another process, each
    with its own connection; every committed booking is reported on its stdout."""

    def __init__(self, home: Path, database_url: str | None) -> None:
        self.bookings: list[Booking] = []
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(WRITERS)],
            env=_environment(home, database_url),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            writer, begun, committed, appointment_id = (int(part) for part in line.split())
            with self._lock:
                self.bookings.append(Booking(writer, begun, committed, appointment_id))

    def count(self) -> int:
        with self._lock:
            return len(self.bookings)

    def wait_for(self, done: Callable[[list[Booking]], bool]) -> None:
        """Wait until ``done(bookings so far)``; fail if the writers die or stall."""
        deadline = time.monotonic() + 180
        while True:
            with self._lock:
                if done(list(self.bookings)):
                    return
            assert self._process.poll() is None, self._process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"only {self.count()} bookings in 180 s"
            time.sleep(0.05)

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        errors = self._process.stderr.read()  # type: ignore[union-attr]
        assert self._process.wait(timeout=120) == 0, errors
        self._reader.join(timeout=30)


# What one booking writes (in its transaction, or a refusal's own entry): the only tables
# whose rows may be missing from a snapshot taken under the load.
WRITTEN_BY_A_BOOKING = (
    "core_auditentry",
    "django_tasks_database_dbtaskresult",
    "messaging_message",
    "scheduling_appointment",
    "scheduling_calendarchange",
)


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _aware(value: object) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _runs_missing_are_after(
    home: Path, database_url: str | None, into: Path, into_url: str | None, archive: Path
) -> None:
    """The restored backup runs are source rows; the source's runs missing from it ended
    after the archive's snapshot began (the archive's own run among them)."""
    columns, source_rows = _table(home, database_url, "core_backuprun")
    _, restored_rows = _table(into, into_url, "core_backuprun")
    assert set(restored_rows) <= set(source_rows)
    snapshot = _aware(_manifest(archive)["created_at"])
    for row in set(source_rows) - set(restored_rows):
        assert _aware(dict(zip(columns, row, strict=True))["finished_at"]) >= snapshot, row
    own = [dict(zip(columns, row, strict=True)) for row in source_rows]
    assert [run["status"] for run in own if run["path"] == str(archive)] == ["succeeded"]


def _rows_of(tables: dict[str, tuple[list[str], list[tuple]]], table: str) -> list[dict]:
    columns, rows = tables.get(table, ([], []))
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _table(home: Path, database_url: str | None, table: str) -> tuple[list[str], list[tuple]]:
    """The column names and rows of ``table``."""
    sql = f'SELECT * FROM "{table}"'  # noqa: S608 -- table names from the catalogue
    if database_url:
        import psycopg

        with psycopg.connect(database_url) as connection:
            cursor = connection.execute(sql)
            return [column.name for column in cursor.description or []], [
                tuple(row) for row in cursor.fetchall()
            ]
    with sqlite3.connect(home / "mesoclinic.sqlite3") as connection:
        cursor = connection.execute(sql)
        return [column[0] for column in cursor.description], cursor.fetchall()
