"""What backup and restore refuse: corrupt, altered and newer archives and non-empty targets
are refused before anything is touched; a backup that cannot be written leaves no file."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile

import pytest
from tests.core.backup.support import _media, _query, _rewrite, _rows, _run, _untouched

pytestmark = pytest.mark.slow


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
