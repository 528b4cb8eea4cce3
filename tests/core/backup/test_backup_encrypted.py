"""Encrypted backups: the archive hides its content, restores with its passphrase, and is
refused without it, with a wrong one, or altered; a too-short passphrase writes nothing."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from tests.core.backup.support import _environment, _media, _rows, _run, _untouched

pytestmark = pytest.mark.slow


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
