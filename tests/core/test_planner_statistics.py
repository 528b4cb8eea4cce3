"""``database_statistics_refresh``: the SQLite planner's statistics kept current (W6)."""

from __future__ import annotations

import pytest
from django.db import connection

from mesoclinic.core.services import database_statistics_refresh
from mesoclinic.messaging.tasks import periodic_jobs
from mesoclinic.people.models import Client

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's statistics")


def _rows_counted(table: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return {int(row[0].split()[0]) for row in cursor.fetchall()}


def _stale(table: str, rows: int) -> None:
    """Statistics as if ``table`` held ``rows`` rows, loaded as SQLite loads them."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "UPDATE sqlite_stat1 SET stat = %s || substr(stat, instr(stat, ' ')) WHERE tbl = %s",
            [str(rows), table],
        )
        cursor.execute("ANALYZE sqlite_schema")


@sqlite_only
def test_the_refresh_counts_the_rows_a_table_holds_now(demo):
    # given: statistics from when the clinic had three clients
    _stale("people_client", 3)
    assert _rows_counted("people_client") == {3}
    # when
    database_statistics_refresh()
    # then
    assert _rows_counted("people_client") == {Client.objects.count()}


def test_the_worker_refreshes_statistics_hourly(db):
    assert (3600.0, database_statistics_refresh) in periodic_jobs()
    database_statistics_refresh()  # PostgreSQL: nothing to do, and no error
