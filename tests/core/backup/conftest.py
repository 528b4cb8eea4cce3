"""The backup tests' source clinic, made once for the package (a demo clinic with a photo,
backed up under a booking load and at rest), and an empty target to restore into."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.core.backup.support import WRITERS, BookingLoad, _database, _run


@pytest.fixture(scope="package")
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
