"""``mesoclinic backup`` / ``mesoclinic restore`` through the real command, on the suite's
database vendor (SQLite, or PostgreSQL when DATABASE_URL points at one).

A demo clinic with a clinical photo is backed up while 32 writers book through the
booking service, then again at rest; the archive at rest restores into a fresh home and
database with every table's rows and every media file identical; the one taken under load
restores to exactly the rows committed up to its snapshot (a prefix of the commit order),
each equal to its source row, with the media tree and the secret key; an older schema is
migrated forward. Refusals are in ``test_backup_refusals``, encryption in
``test_backup_encrypted``."""

from __future__ import annotations

import json
import tarfile
from collections import Counter

import pytest
from tests.core.backup.support import (
    ON_PG,
    WRITERS,
    WRITTEN_BY_A_BOOKING,
    Booking,
    _database,
    _media,
    _query,
    _rows,
    _rows_of,
    _run,
    _runs_missing_are_after,
    _table,
    _tables,
)

pytestmark = pytest.mark.slow


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
        (argument,) = arguments["args"]
        if row["task_path"].endswith("booking_messages_write"):
            assert set(argument) <= lost, row  # a lost booking's messages, still to write
        else:
            assert argument in {message["id"] for message in messages}, row
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
