"""``mesoclinic backup`` / ``mesoclinic restore`` through the real command, on the suite's
database vendor (SQLite, or PostgreSQL when DATABASE_URL points at one).

A demo clinic with a clinical photo is backed up while 32 writers book through the
booking service, then again at rest; the archive at rest restores into a fresh home and
database with every table's rows and every media file identical; the one taken under load
restores to exactly the rows committed up to its snapshot (a prefix of the commit order),
each equal to its source row, with the media tree and the secret key. Corrupt, altered, newer archives and non-empty targets are refused
before anything is touched; a backup that cannot be written leaves no file.
"""

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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("DATABASE_URL", "")
ON_PG = PG_URL.startswith(("postgres://", "postgresql://"))
SRC = str(Path(__file__).resolve().parents[2] / "src")

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


# ---------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A demo clinic with a photo; ``live`` was backed up while bookings were written,
    ``archive`` afterwards, at rest."""
    home = tmp_path_factory.mktemp("source")
    with _database() as database_url:
        loaded = _run(home, database_url, "demo", "--no-serve")
        assert loaded.returncode == 0, loaded.stderr
        photo = home / "media" / "clinical" / "photos" / "2026" / "12" / "front.jpg"
        photo.parent.mkdir(parents=True)
        photo.write_bytes(os.urandom(4096))
        load = BookingLoad(home, database_url)
        try:
            load.wait_for(lambda bookings: len({b.writer for b in bookings}) == WRITERS)
            started = time.monotonic_ns()
            live = _run(home, database_url, "backup", "--output", str(home / "live.tar.gz"))
            finished = time.monotonic_ns()
            assert live.returncode == 0, live.stderr
            before = load.count()
            load.wait_for(lambda bookings: len(bookings) >= before + WRITERS)
        finally:
            load.stop()
        rest = _run(home, database_url, "backup")
        assert rest.returncode == 0, rest.stderr
        yield {
            "home": home,
            "database_url": database_url,
            "live": home / "live.tar.gz",
            "bookings": load.bookings,
            "backup_started": started,
            "backup_finished": finished,
            "archive": Path(rest.stdout.strip().splitlines()[-1]),
        }


@pytest.fixture
def fresh(tmp_path):
    """An empty home and database to restore into."""
    with _database() as database_url:
        yield tmp_path / "home", database_url


# ---------------------------------------------------------------- backup


def test_backup_writes_a_private_archive_under_home_with_a_manifest(source):
    archive = source["archive"]
    assert archive.parent == source["home"] / "backups"
    assert archive.name.startswith("mesoclinic-")
    assert archive.name.endswith(".tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database_vendor"] == ("postgresql" if ON_PG else "sqlite")
    assert "0001_initial" in manifest["migrations"]["scheduling"]
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert "media/clinical/photos/2026/12/front.jpg" in names
    assert "secret_key" in names
    # the run is recorded (settings page, /metrics) once the archive is complete
    recorded = _query(
        source["home"],
        source["database_url"],
        f"SELECT status, trigger, size_bytes FROM core_backuprun WHERE path = '{archive}'",  # noqa: S608
    )
    assert recorded == [("succeeded", "manual", archive.stat().st_size)]


def test_restore_round_trip_gives_identical_tables_and_media(source, fresh):
    home, database_url = fresh
    # when
    restored = _run(home, database_url, "restore", str(source["archive"]))
    # then
    assert restored.returncode == 0, restored.stderr
    assert "Restored the backup" in restored.stdout
    tables = _tables(source["home"], source["database_url"])
    assert _tables(home, database_url) == tables
    for table in tables:
        before = _rows(source["home"], source["database_url"], table)
        after = _rows(home, database_url, table)
        if table == "scheduling_calendarclock":
            assert len(after) == len(before)  # new epochs: every cache reloads
        elif table == "core_auditentry":
            assert set(before) <= set(after)  # plus "clocks restarted"
            assert len(after) == len(before) + 1
        elif table == "sqlite_sequence":  # the audit counter moved on by that one
            assert [
                row for row in after if "core_auditentry" not in row and "core_backuprun" not in row
            ] == [
                row
                for row in before
                if "core_auditentry" not in row and "core_backuprun" not in row
            ]
        elif table == "core_backuprun":
            _runs_missing_are_after(
                source["home"], source["database_url"], home, database_url, source["archive"]
            )
        else:
            assert after == before, table
    assert _media(home) == _media(source["home"])
    assert (home / "secret_key").read_bytes() == (source["home"] / "secret_key").read_bytes()
    assert (home / "secret_key").stat().st_mode & 0o777 == 0o600


def test_backup_under_a_32_client_booking_load_restores_exactly_its_snapshot(source, fresh):
    """The live archive holds the database as it stood at one instant of the load: the
    bookings committed up to that instant, whole, and none after it.

    The instant is found from the source itself: the calendar's change log takes its
    revisions in commit order (a trigger advances one counter row, which serialises the
    committing transactions), so the restored log must be a prefix of the source's. The
    writers' own clocks pin that prefix to the backup: every booking committed before the
    backup began is in it, none begun after the backup ended is.
    """
    home, database_url = fresh
    origin = (source["home"], source["database_url"])
    bookings: list[Booking] = source["bookings"]
    # given: all 32 writers booked, before, during and after the backup
    assert {booking.writer for booking in bookings} == set(range(WRITERS))
    assert any(booking.committed < source["backup_started"] for booking in bookings)
    assert any(booking.begun > source["backup_finished"] for booking in bookings)
    # when
    restored = _run(home, database_url, "restore", str(source["live"]))
    # then
    assert restored.returncode == 0, restored.stderr
    if not database_url:
        assert _query(home, None, "PRAGMA integrity_check") == [("ok",)]
        assert _query(home, None, "PRAGMA foreign_key_check") == []
    log = "SELECT revision, appointment_id FROM scheduling_calendarchange ORDER BY revision"
    source_log = _query(*origin, log)
    restored_log = _query(home, database_url, log)
    assert restored_log == source_log[: len(restored_log)]
    in_snapshot = {appointment for _, appointment in restored_log}
    booked = {booking.appointment_id for booking in bookings}
    assert booked <= {appointment for _, appointment in source_log}
    kept = booked & in_snapshot
    lost = booked - in_snapshot
    assert kept  # the snapshot fell inside the load
    assert lost
    assert {b.appointment_id for b in bookings if b.committed < source["backup_started"]} <= kept
    assert {b.appointment_id for b in bookings if b.begun > source["backup_finished"]} <= lost
    # every table: each restored row is its source row; the source rows missing are the
    # bookings after the snapshot and what those wrote with them
    tables = _tables(*origin)
    assert _tables(home, database_url) == tables
    missing_by_table = {}
    for table in tables:
        columns, source_rows = _table(*origin, table)
        restored_columns, restored_rows = _table(home, database_url, table)
        assert restored_columns == columns, table
        if table == "scheduling_calendarclock":
            assert len(restored_rows) == len(source_rows)  # new epochs: every cache reloads
            continue
        if table == "sqlite_sequence":
            continue  # counters; the rows they count are compared
        if table == "core_backuprun":
            _runs_missing_are_after(*origin, home, database_url, source["live"])
            continue
        extra = Counter(map(repr, restored_rows)) - Counter(map(repr, source_rows))
        if table == "core_auditentry":
            assert len(extra) == 1, extra  # the restore's "clocks restarted"
        else:
            assert not extra, (table, list(extra)[:3])
        missing = Counter(map(repr, source_rows)) - Counter(map(repr, restored_rows))
        if missing:
            missing_by_table[table] = (
                columns,
                [row for row in source_rows if repr(row) in missing],
            )
    assert set(missing_by_table) <= set(WRITTEN_BY_A_BOOKING), set(missing_by_table)
    messages = _rows_of(missing_by_table, "messaging_message")
    assert {row["id"] for row in _rows_of(missing_by_table, "scheduling_appointment")} == lost
    assert {row["appointment_id"] for row in messages} <= lost
    restored_messages = _rows_of(
        {"messages": _table(home, database_url, "messaging_message")}, "messages"
    )
    assert not [row for row in restored_messages if row["appointment_id"] in lost]
    for row in _rows_of(missing_by_table, "django_tasks_database_dbtaskresult"):
        arguments = row["args_kwargs"]  # JSON text on SQLite, decoded on PostgreSQL
        arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
        assert arguments["args"][0] in {message["id"] for message in messages}, row
    for row in _rows_of(missing_by_table, "core_auditentry"):
        about_a_lost_booking = row["object_type"] == "appointment" and int(row["object_id"]) in lost
        assert about_a_lost_booking or row["action"] == "appointment.book_refused", row
    assert _media(home) == _media(source["home"])
    assert (home / "secret_key").read_bytes() == (source["home"] / "secret_key").read_bytes()


def test_restore_migrates_an_older_schema_forward(tmp_path):
    with _database() as source_url, _database() as target_url:
        source_home, target_home = tmp_path / "old", tmp_path / "new"
        for step in (["migrate"], ["migrate", "catalogue", "0002"]):
            assert _run(source_home, source_url, "manage", *step, "-v0").returncode == 0
        output = str(tmp_path / "old.tar.gz")
        assert _run(source_home, source_url, "backup", "--output", output).returncode == 0
        with tarfile.open(output) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        assert "0003_treatment_length_max" not in manifest["migrations"]["catalogue"]
        # when
        restored = _run(target_home, target_url, "restore", output)
        # then
        assert restored.returncode == 0, restored.stderr
        applied = _query(
            target_home, target_url, "SELECT name FROM django_migrations WHERE app = 'catalogue'"
        )
        assert ("0003_treatment_length_max",) in applied


# ---------------------------------------------------------------- refusals


def test_restore_refuses_a_truncated_archive(source, fresh, tmp_path):
    home, database_url = fresh
    data = source["archive"].read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    result = _run(home, database_url, "restore", str(truncated))
    assert result.returncode == 1
    assert "mesoclinic: restore refused:" in result.stderr
    assert "corrupt or truncated" in result.stderr
    _untouched(home, database_url)


def test_restore_refuses_an_altered_member(source, fresh, tmp_path):
    home, database_url = fresh
    altered = _rewrite(
        source["archive"],
        tmp_path / "altered.tar.gz",
        lambda name, data: b"not the photo" if name.endswith("front.jpg") else data,
    )
    result = _run(home, database_url, "restore", str(altered))
    assert result.returncode == 1
    assert "checksum mismatch for media/clinical/photos/2026/12/front.jpg" in result.stderr
    _untouched(home, database_url)


def test_restore_refuses_a_newer_schema(source, fresh, tmp_path):
    home, database_url = fresh

    def future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"]["scheduling"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    newer = _rewrite(source["archive"], tmp_path / "newer.tar.gz", future)
    result = _run(home, database_url, "restore", str(newer))
    assert result.returncode == 1
    assert "newer schema" in result.stderr
    assert "scheduling.9999_from_the_future" in result.stderr
    _untouched(home, database_url)


def test_restore_refuses_an_archive_without_manifest(fresh, tmp_path):
    home, database_url = fresh
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        tar.addfile(info, io.BytesIO(b""))
    result = _run(home, database_url, "restore", str(foreign))
    assert result.returncode == 1
    assert "not a mesoclinic backup" in result.stderr
    _untouched(home, database_url)


def test_restore_refuses_a_member_outside_the_archive(fresh, tmp_path):
    home, database_url = fresh
    escaping = tmp_path / "escaping.tar.gz"
    with tarfile.open(escaping, "w:gz") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        tar.addfile(info, io.BytesIO(b""))
    result = _run(home, database_url, "restore", str(escaping))
    assert result.returncode == 1
    assert "unsafe member '../../escaped.txt'" in result.stderr
    assert not (tmp_path / "escaped.txt").exists()
    _untouched(home, database_url)


def test_restore_refuses_a_non_empty_target(source):
    before = _rows(source["home"], source["database_url"], "scheduling_appointment")
    result = _run(source["home"], source["database_url"], "restore", str(source["archive"]))
    assert result.returncode == 1
    assert "already holds files; restore into an empty MESOCLINIC_HOME" in result.stderr
    assert _rows(source["home"], source["database_url"], "scheduling_appointment") == before


def test_restore_refuses_a_non_empty_database(source, tmp_path):
    home = tmp_path / "other"
    database_url = source["database_url"] or (f"sqlite:///{source['home'] / 'mesoclinic.sqlite3'}")
    result = _run(home, database_url, "restore", str(source["archive"]))
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert "restore into an empty database" in result.stderr
    assert not (home / "secret_key").exists() or _media(home) == {}


# ---------------------------------------------------------------- encrypted

PASSPHRASE = "a clinic passphrase, long enough"


@pytest.fixture(scope="module")
def encrypted(source, tmp_path_factory):
    """An archive of the source encrypted with the passphrase on a file's first line."""
    secrets = tmp_path_factory.mktemp("secrets")
    passphrase_file = secrets / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    result = _run(
        source["home"], source["database_url"], "backup", "--passphrase-file", str(passphrase_file)
    )
    assert result.returncode == 0, result.stderr
    return {"archive": Path(result.stdout.strip().splitlines()[-1]), "file": passphrase_file}


def test_an_encrypted_backup_hides_its_content(encrypted):
    archive = encrypted["archive"]
    assert archive.name.endswith(".tar.gz.enc")
    assert archive.stat().st_mode & 0o777 == 0o600
    data = archive.read_bytes()
    assert data.startswith(b"MESOCLINIC-ENC1\n")
    assert b"manifest" not in data
    with pytest.raises(tarfile.TarError):
        tarfile.open(archive).close()


def test_an_encrypted_backup_restores_with_its_passphrase(source, encrypted, fresh):
    home, database_url = fresh
    # when: the passphrase from the environment this time
    environment_passphrase = {"MESOCLINIC_BACKUP_PASSPHRASE": PASSPHRASE}
    restored = subprocess.run(
        [sys.executable, "-m", "mesoclinic.cli", "restore", str(encrypted["archive"])],
        env=_environment(home, database_url) | environment_passphrase,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    # then
    assert restored.returncode == 0, restored.stderr
    for table in ("scheduling_appointment", "people_client", "records_treatmentrecord"):
        assert _rows(home, database_url, table) == _rows(
            source["home"], source["database_url"], table
        )
    assert _media(home) == _media(source["home"])
    assert (home / "secret_key").read_bytes() == (source["home"] / "secret_key").read_bytes()


def test_an_encrypted_backup_without_its_passphrase_is_refused(encrypted, fresh):
    home, database_url = fresh
    result = subprocess.run(
        [sys.executable, "-m", "mesoclinic.cli", "restore", str(encrypted["archive"])],
        env=_environment(home, database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,  # not a terminal: nobody to ask
    )
    assert result.returncode == 1
    assert "is encrypted: give its passphrase" in result.stderr
    _untouched(home, database_url)


def test_an_encrypted_backup_with_a_wrong_passphrase_is_refused(encrypted, fresh, tmp_path):
    home, database_url = fresh
    wrong = tmp_path / "wrong"
    wrong.write_text("not the clinic's passphrase\n")
    result = _run(
        home, database_url, "restore", str(encrypted["archive"]), "--passphrase-file", str(wrong)
    )
    assert result.returncode == 1
    assert "could not be decrypted: wrong passphrase, or the encrypted archive was altered" in (
        result.stderr
    )
    _untouched(home, database_url)


def test_an_altered_encrypted_backup_is_refused(encrypted, fresh, tmp_path):
    home, database_url = fresh
    data = bytearray(encrypted["archive"].read_bytes())
    data[len(data) // 2] ^= 0x40
    altered = tmp_path / "altered.tar.gz.enc"
    altered.write_bytes(bytes(data))
    result = _run(
        home, database_url, "restore", str(altered), "--passphrase-file", str(encrypted["file"])
    )
    assert result.returncode == 1
    assert "could not be decrypted" in result.stderr
    _untouched(home, database_url)


def test_a_too_short_passphrase_writes_no_backup(source, tmp_path):
    short = tmp_path / "short"
    short.write_text("short\n")
    output = tmp_path / "out.tar.gz.enc"
    result = _run(
        source["home"],
        source["database_url"],
        "backup",
        "--output",
        str(output),
        "--passphrase-file",
        str(short),
    )
    assert result.returncode == 1
    assert "the passphrase must be at least 12 characters" in result.stderr
    assert not output.exists()


# ---------------------------------------------------------------- unwritable


def test_backup_to_an_unwritable_path_fails_loudly(source, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = _run(
        source["home"], source["database_url"], "backup", "--output", str(blocker / "x.tar.gz")
    )
    assert result.returncode == 1
    assert "mesoclinic: backup failed: cannot write" in result.stderr
    assert result.stdout == ""
    recorded = _query(
        source["home"],
        source["database_url"],
        "SELECT status, trigger, path, error FROM core_backuprun ORDER BY id DESC",
    )[0]
    assert recorded[:3] == ("failed", "manual", "")
    assert "cannot write" in recorded[3]


def test_backup_failing_midway_leaves_no_file(tmp_path, monkeypatch):
    from mesoclinic.core import backup

    home = tmp_path / "home"
    (home / "media").mkdir(parents=True)
    sqlite3.connect(home / "db.sqlite3").close()
    target = backup.Target(
        home=home,
        media_root=home / "media",
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(home / "db.sqlite3")},
    )

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup, "_stage", disk_full)
    output = tmp_path / "out" / "b.tar.gz"
    output.parent.mkdir()
    with pytest.raises(backup.BackupError, match="No space left on device"):
        backup.backup_create(output=output, target=target)
    assert list(output.parent.iterdir()) == []


def test_backup_without_a_database_fails_and_writes_nothing(tmp_path):
    from mesoclinic.core import backup

    target = backup.Target(
        home=tmp_path,
        media_root=tmp_path / "media",
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "none.db")},
    )
    with pytest.raises(backup.BackupError, match="there is no database at"):
        backup.backup_create(target=target)
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_backup_of_an_unmigrated_database_fails_and_leaves_no_file(tmp_path):
    from mesoclinic.core import backup

    sqlite3.connect(tmp_path / "blank.db").close()
    target = backup.Target(
        home=tmp_path,
        media_root=tmp_path / "media",
        database={"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "blank.db")},
    )
    output = tmp_path / "out.tar.gz"
    with pytest.raises(backup.BackupError, match="cannot read the database"):
        backup.backup_create(output=output, target=target)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blank.db"]
