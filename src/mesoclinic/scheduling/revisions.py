"""The revision clocks of migration 0004, for the caches that keep scheduling data in
memory between requests (``scheduling.busy``, ``scheduling.site_resources``).

A cache may answer only outside transactions: a transaction must see its own writes, and
a cache filled inside one could remember rows that are then rolled back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import connection

from mesoclinic.scheduling.models import CalendarClock

APPOINTMENTS = CalendarClock.APPOINTMENTS
RESOURCES = CalendarClock.RESOURCES


@dataclass(frozen=True, slots=True)
class Stamp:
    """Where a clock stands in one database: a cache built at one stamp is current while
    the clock shows the same stamp."""

    database: tuple[str, str]
    epoch: int | None
    revision: int


def read(key: str) -> Stamp:
    """The clock ``key`` now (revision 0 and no epoch before its first change)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT revision, epoch FROM scheduling_calendarclock WHERE key = %s", [key])
        found = cursor.fetchone()
    database = (connection.alias, str(connection.settings_dict["NAME"]))
    if found is None:
        return Stamp(database, None, 0)
    return Stamp(database, int(found[1]), int(found[0]))


def restart(key: str) -> None:
    """Draw a new epoch for clock ``key``: every process's copy reloads at its next look.
    For writes that bypass the triggers (a bulk load with them dropped, a restore)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_calendarclock (key, revision, epoch) VALUES "
            "(%s, (SELECT COALESCE(MAX(revision), 0) + 1 FROM scheduling_calendarchange), %s) "
            "ON CONFLICT (key) DO UPDATE SET revision = scheduling_calendarclock.revision + 1, "
            "epoch = excluded.epoch",
            [key, secrets.randbits(53)],
        )


def caches_may_answer() -> bool:
    """Whether in-memory copies may answer now: outside a transaction, on a database
    with the clocks' triggers."""
    return not connection.in_atomic_block and connection.vendor in ("sqlite", "postgresql")
