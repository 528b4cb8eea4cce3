"""``mesoclinic backup`` / ``mesoclinic restore`` through the real command, on the suite's
database vendor (SQLite, or PostgreSQL when DATABASE_URL points at one).

A demo clinic with a clinical photo is backed up while bookings are being written, then
again at rest; the archive at rest restores into a fresh home and database with every
table's rows and every media file identical; the one taken under load restores to a
consistent database. Corrupt, altered, newer archives and non-empty targets are refused
before anything is touched; a backup that cannot be written leaves no file.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PG_URL = os.environ.get("DATABASE_URL", "")
ON_PG = PG_URL.startswith(("postgres://", "postgresql://"))
SRC = str(Path(__file__).resolve().parents[2] / "src")

WRITER = """
import datetime as dt, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
import django
django.setup()
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.scheduling.selectors import availability_for
from mesoclinic.scheduling.services import appointment_book

today = dt.date.today()
clients = list(Client.objects.order_by("pk"))
treatments = list(Treatment.objects.order_by("pk"))
booked = 0
for day in range(3, 60):
    for treatment in treatments:
        date = today + dt.timedelta(days=day)
        try:
            slots = availability_for(treatment=treatment, date_from=date, date_to=date, limit=4)
        except DomainError:
            continue
        for slot, client in zip(slots, clients[booked % len(clients):]):
            try:
                appointment_book(actor=None, client=client, treatment=treatment,
                                 start=slot.start, notify=False)
            except DomainError:
                continue
            booked += 1
            print(booked, flush=True)
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
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER],
            env=_environment(home, database_url),
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "1", "the writer booked nothing"
            live = _run(home, database_url, "backup", "--output", str(home / "live.tar.gz"))
            assert live.returncode == 0, live.stderr
            time.sleep(0.5)
        finally:
            writer.terminate()
            writer.wait(timeout=30)
        rest = _run(home, database_url, "backup")
        assert rest.returncode == 0, rest.stderr
        yield {
            "home": home,
            "database_url": database_url,
            "live": home / "live.tar.gz",
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
            assert [row for row in after if "core_auditentry" not in row] == [
                row for row in before if "core_auditentry" not in row
            ]
        else:
            assert after == before, table
    assert _media(home) == _media(source["home"])
    assert (home / "secret_key").read_bytes() == (source["home"] / "secret_key").read_bytes()
    assert (home / "secret_key").stat().st_mode & 0o777 == 0o600


def test_backup_taken_while_booking_restores_consistent(source, fresh):
    home, database_url = fresh
    restored = _run(home, database_url, "restore", str(source["live"]))
    assert restored.returncode == 0, restored.stderr
    if not database_url:
        assert _query(home, None, "PRAGMA integrity_check") == [("ok",)]
        assert _query(home, None, "PRAGMA foreign_key_check") == []
    # every appointment in it is whole: its client, treatment, practitioner and room exist
    orphans = _query(
        home,
        database_url,
        "SELECT a.id FROM scheduling_appointment a "
        "LEFT JOIN people_client c ON c.id = a.client_id "
        "LEFT JOIN catalogue_treatment t ON t.id = a.treatment_id "
        "WHERE c.id IS NULL OR t.id IS NULL",
    )
    assert orphans == []
    count = _query(home, database_url, "SELECT count(*) FROM scheduling_appointment")[0][0]
    final = _query(
        source["home"], source["database_url"], "SELECT count(*) FROM scheduling_appointment"
    )[0][0]
    assert 0 < count <= final


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
