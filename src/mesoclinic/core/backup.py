"""``mesoclinic backup`` and ``mesoclinic restore``: one archive of the database, the media
files and the secret key, with a manifest (version, migrations, checksums), optionally
encrypted with a passphrase (:mod:`mesoclinic.core.backup_crypto`).

The database is copied consistently while servers keep writing: SQLite through its online
backup API, PostgreSQL with ``pg_dump --format=custom`` (one snapshot). ``restore``
checks the whole archive (readable, every checksum, vendor, no migration unknown to this
code), after decrypting it when it is encrypted, and that the target is empty before it
writes anything; then it loads the
database, the files and the key, migrates an older schema forward and restarts the
calendar's revision clocks so every cache reloads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import DatabaseError

from mesoclinic.core import backup_crypto

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/mesoclinic.sqlite3"
PG_MEMBER = "database/mesoclinic.pgdump"
SECRET_MEMBER = "secret_key"  # noqa: S105 -- a member name, not a secret
MEDIA_PREFIX = "media/"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be written or an archive that may not be restored."""


@dataclass(frozen=True)
class Target:
    """Where a backup is read from or restored into."""

    home: Path
    media_root: Path
    database: dict[str, Any]

    @property
    def vendor(self) -> str:
        engine = str(self.database["ENGINE"])
        if "sqlite" in engine:
            return "sqlite"
        if "postgresql" in engine:
            return "postgresql"
        raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")

    @property
    def secret_file(self) -> Path:
        return self.home / "secret_key"


def target_current() -> Target:
    """The home, media and default database this process is configured for."""
    from django.conf import settings

    return Target(
        home=Path(settings.HOME),
        media_root=Path(settings.MEDIA_ROOT),
        database=dict(settings.DATABASES["default"]),
    )


def backup_passphrase(passphrase_file: Path | None = None) -> str | None:
    """The passphrase to encrypt or decrypt with: the first line of ``passphrase_file``,
    else of ``$MESOCLINIC_BACKUP_PASSPHRASE_FILE``, else ``$MESOCLINIC_BACKUP_PASSPHRASE``;
    None when none is given (archives are then not encrypted)."""
    named = passphrase_file or (
        Path(os.environ["MESOCLINIC_BACKUP_PASSPHRASE_FILE"])
        if os.environ.get("MESOCLINIC_BACKUP_PASSPHRASE_FILE")
        else None
    )
    if named is not None:
        try:
            lines = named.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise BackupError(f"cannot read the passphrase file {named}: {error}") from error
        if not lines or not lines[0]:
            raise BackupError(f"the passphrase file {named} is empty")
        return lines[0]
    return os.environ.get("MESOCLINIC_BACKUP_PASSPHRASE") or None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mesoclinic")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- PostgreSQL tools


def _pg_environment(database: dict[str, Any]) -> dict[str, str]:
    environment = os.environ.copy()
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if value := database.get(key):
            environment[variable] = str(value)
    environment["PGDATABASE"] = str(database["NAME"])
    return environment


def _pg_run(tool: str, arguments: list[str], database: dict[str, Any]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(f"{tool} is not on PATH; install the PostgreSQL client tools")
    result = subprocess.run(  # noqa: S603 -- our own argv list, no shell
        [executable, *arguments],
        env=_pg_environment(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.returncode}")


# ---------------------------------------------------------------- migrations


def _migrations_of_sqlite_file(path: Path) -> dict[str, list[str]]:
    with _sqlite(path) as database:
        rows = database.execute("SELECT app, name FROM django_migrations").fetchall()
    return _grouped(rows)


def _migrations_applied() -> dict[str, list[str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        rows = cursor.fetchall()
    return _grouped(rows)


def _grouped(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _migrations_known() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    database = sqlite3.connect(path)
    try:
        yield database
    finally:
        database.close()


# ---------------------------------------------------------------- backup


def backup_default_path(target: Target, now: dt.datetime, *, encrypted: bool = False) -> Path:
    suffix = ".tar.gz.enc" if encrypted else ".tar.gz"
    return target.home / "backups" / f"mesoclinic-{now:%Y%m%d-%H%M%S}{suffix}"


def backup_create(
    *, output: Path | None = None, target: Target | None = None, passphrase: str | None = None
) -> Path:
    """Write one archive and return its path; nothing is left behind when it fails.

    With ``passphrase`` the archive is encrypted (:mod:`mesoclinic.core.backup_crypto`)."""
    if passphrase is not None and len(passphrase) < backup_crypto.MIN_PASSPHRASE:
        raise BackupError(
            f"the passphrase must be at least {backup_crypto.MIN_PASSPHRASE} characters"
        )
    target = target or target_current()
    vendor = target.vendor
    if vendor == "sqlite" and not Path(target.database["NAME"]).is_file():
        raise BackupError(f"there is no database at {target.database['NAME']}")
    now = dt.datetime.now(dt.UTC)
    if output is None:
        output = backup_default_path(target, now, encrypted=passphrase is not None)
        output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    output = output.resolve()
    if output.exists():
        raise BackupError(f"{output} already exists; choose another --output")
    partial = output.with_name(f".{output.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupError(f"cannot write {output}: {error.strerror}") from error
    try:
        with tempfile.TemporaryDirectory(prefix="mesoclinic-backup-") as work:
            staging = Path(work)
            members = _stage(target, vendor, staging)
            manifest = {
                "format": FORMAT,
                "mesoclinic_version": _version(),
                "created_at": now.isoformat(),
                "database_vendor": vendor,
                "migrations": (
                    _migrations_of_sqlite_file(staging / SQLITE_MEMBER)
                    if vendor == "sqlite"
                    else _migrations_applied()
                ),
                "files": {name: _sha256(staging / name) for name in members},
            }
            with os.fdopen(descriptor, "wb") as sink:
                if passphrase is None:
                    _write_tar(sink, staging, members, manifest, now)
                else:
                    plain = staging / ".archive.tar.gz"
                    with plain.open("xb") as tar_sink:
                        _write_tar(tar_sink, staging, members, manifest, now)
                    with plain.open("rb") as source:
                        backup_crypto.encrypt(source, sink, passphrase)
                sink.flush()
                os.fsync(sink.fileno())
        os.replace(partial, output)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise BackupError(f"cannot write {output}: {error}") from error
        if isinstance(error, sqlite3.Error | DatabaseError):
            raise BackupError(f"cannot read the database: {error}") from error
        raise
    return output


def _write_tar(
    sink: Any, staging: Path, members: list[str], manifest: dict[str, Any], now: dt.datetime
) -> None:
    with tarfile.open(fileobj=sink, mode="w:gz") as archive:
        encoded = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(encoded)
        info.mode = 0o600
        info.mtime = int(now.timestamp())
        archive.addfile(info, io.BytesIO(encoded))
        for name in members:
            archive.add(staging / name, arcname=name, recursive=False, filter=_private)


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _stage(target: Target, vendor: str, staging: Path) -> list[str]:
    """Copy the database, media and key into ``staging``; return the member names."""
    members: list[str] = []
    (staging / "database").mkdir()
    if vendor == "sqlite":
        with (
            _sqlite(Path(target.database["NAME"])) as source,
            _sqlite(staging / SQLITE_MEMBER) as copy,
        ):
            source.backup(copy)
        members.append(SQLITE_MEMBER)
    else:
        _pg_run(
            "pg_dump",
            ["--format=custom", "--no-owner", "--no-privileges", f"--file={staging / PG_MEMBER}"],
            target.database,
        )
        members.append(PG_MEMBER)
    if target.media_root.is_dir():
        for path in sorted(target.media_root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                name = MEDIA_PREFIX + path.relative_to(target.media_root).as_posix()
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, staging / name)
                members.append(name)
    if target.secret_file.is_file():
        shutil.copyfile(target.secret_file, staging / SECRET_MEMBER)
        members.append(SECRET_MEMBER)
    return members


# ---------------------------------------------------------------- restore


class PassphraseRequired(BackupError):
    """The archive is encrypted and no passphrase was given."""


def restore(
    archive: Path, *, target: Target | None = None, passphrase: str | None = None
) -> dict[str, Any]:
    """Verify ``archive`` (decrypting it first with ``passphrase`` when it is encrypted),
    check the target is empty, then restore it; return the manifest."""
    target = target or target_current()
    with (
        tempfile.TemporaryDirectory(prefix="mesoclinic-restore-") as work,
        tempfile.TemporaryDirectory(prefix="mesoclinic-decrypt-") as scratch,
    ):
        staging = Path(work)
        plain = _decrypted(archive, Path(scratch), passphrase)
        manifest = archive_verify(plain, staging, vendor=target.vendor)
        _check_empty(target)
        _restore_database(target, manifest, staging)
        _restore_files(target, manifest, staging)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("restart_calendar_clocks", verbosity=0, stdout=io.StringIO())
    return manifest


def _decrypted(archive: Path, scratch: Path, passphrase: str | None) -> Path:
    """``archive`` itself when it is not encrypted, else its decryption in ``scratch``
    (every chunk authenticated: a wrong passphrase or an altered file stops here)."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    try:
        if not backup_crypto.is_encrypted(archive):
            return archive
        if passphrase is None:
            raise PassphraseRequired(
                f"{archive} is encrypted: give its passphrase (--passphrase-file or "
                "MESOCLINIC_BACKUP_PASSPHRASE)"
            )
        plain = scratch / "archive.tar.gz"
        with archive.open("rb") as source, plain.open("xb") as sink:
            backup_crypto.decrypt(source, sink, passphrase)
    except backup_crypto.DecryptionFailed as error:
        raise BackupError(f"{archive} could not be decrypted: {error}") from error
    except OSError as error:
        raise BackupError(f"cannot read {archive}: {error}") from error
    return plain


def archive_verify(archive: Path, staging: Path, *, vendor: str) -> dict[str, Any]:
    """Unpack ``archive`` into ``staging`` and check it whole; raise BackupError if not."""
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                _unpack_member(tar, member, staging)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(
            f"{archive} is not a readable backup (corrupt or truncated): {error}"
        ) from error
    manifest_path = staging / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{archive} is not a mesoclinic backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text())
        files: dict[str, str] = dict(manifest["files"])
        migrations: dict[str, list[str]] = dict(manifest["migrations"])
        archive_vendor = str(manifest["database_vendor"])
        archive_format = int(manifest["format"])
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(f"{archive} has an unreadable manifest: {error}") from error
    if archive_format > FORMAT:
        raise BackupError(
            f"{archive} was written by a newer mesoclinic (archive format {archive_format})"
        )
    present = {
        path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file()
    } - {MANIFEST}
    if present != set(files):
        extra = sorted(present - set(files))
        missing = sorted(set(files) - present)
        raise BackupError(
            f"{archive} does not match its manifest (missing {missing}, unexpected {extra})"
        )
    for name, expected in sorted(files.items()):
        if _sha256(staging / name) != expected:
            raise BackupError(f"{archive}: checksum mismatch for {name}; the archive was altered")
    if archive_vendor != vendor:
        raise BackupError(
            f"{archive} holds a {archive_vendor} database; this installation uses {vendor}"
        )
    known = _migrations_known()
    unknown = sorted(
        f"{app}.{name}"
        for app, names in migrations.items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            f"{archive} has a newer schema than this mesoclinic (unknown migrations: "
            f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}); upgrade first"
        )
    return dict(manifest)


def _unpack_member(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path) -> None:
    name = PurePosixPath(member.name)
    if member.isdir():
        return
    if not member.isfile() or name.is_absolute() or ".." in name.parts:
        raise BackupError(f"unsafe member {member.name!r} in the archive")
    destination = staging.joinpath(*name.parts)
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"unreadable member {member.name!r} in the archive")
    with source, destination.open("xb") as sink:
        shutil.copyfileobj(source, sink, CHUNK)


def _check_empty(target: Target) -> None:
    """Refuse a target that already holds data (a restore never merges)."""
    if target.media_root.is_dir() and any(p.is_file() for p in target.media_root.rglob("*")):
        raise BackupError(
            f"{target.media_root} already holds files; restore into an empty MESOCLINIC_HOME"
        )
    from django.db import connection

    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"the database {target.database['NAME']} is not empty ({len(tables)} tables); "
            "restore into an empty database"
        )


def _restore_database(target: Target, manifest: dict[str, Any], staging: Path) -> None:
    from django.db import connections

    connections.close_all()
    if target.vendor == "sqlite":
        with (
            _sqlite(staging / SQLITE_MEMBER) as source,
            _sqlite(Path(target.database["NAME"])) as destination,
        ):
            source.backup(destination)
    else:
        _pg_run(
            "pg_restore",
            [
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={target.database['NAME']}",
                str(staging / PG_MEMBER),
            ],
            target.database,
        )


def _restore_files(target: Target, manifest: dict[str, Any], staging: Path) -> None:
    for name in sorted(manifest["files"]):
        if name.startswith(MEDIA_PREFIX):
            destination = target.media_root.joinpath(*PurePosixPath(name).parts[1:])
            destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            _copy_private(staging / name, destination)
        elif name == SECRET_MEMBER:
            _copy_private(staging / name, target.secret_file)


def _copy_private(source: Path, destination: Path) -> None:
    """Copy a file readable by this user only (0600), replacing what is there."""
    partial = destination.with_name(f".{destination.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as sink, source.open("rb") as data:
        shutil.copyfileobj(data, sink, CHUNK)
    os.replace(partial, destination)
