"""Helpers for the import tests: CSV text, a future working day, and running an import
through upload, mapping and the worker."""

from __future__ import annotations

import datetime as dt

import holidays
from django.contrib.auth import get_user_model

from mesoclinic.core import clock
from mesoclinic.imports import services
from mesoclinic.imports.fields import prefill
from mesoclinic.imports.models import ImportRun
from mesoclinic.messaging.worker import run_pending


def csv_text(header: list[str], *rows: list[str]) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def working_day(weeks_ahead: int = 3) -> dt.date:
    """A Monday–Friday some weeks ahead that is not an English bank holiday."""
    closed = holidays.country_holidays("GB", subdiv="ENG")
    day = clock.today() + dt.timedelta(weeks=weeks_ahead)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return day


def admin_user():
    return get_user_model().objects.get(username="admin")


def dry_run(
    raw: bytes, *, kind: str, source: str = "other", mapping: dict[str, str] | None = None
) -> ImportRun:
    """Upload ``raw``, map it (the preset's guess unless ``mapping``), run the dry run."""
    actor = admin_user()
    run = services.import_upload(
        actor=actor, kind=kind, source=source, filename=f"{kind}.csv", raw=raw
    )
    chosen = mapping if mapping is not None else prefill(run.kind, source, run.header)
    services.import_map(actor=actor, run=run, mapping=chosen)
    run_pending()
    run.refresh_from_db()
    return run


def imported(raw: bytes, **options) -> ImportRun:
    """:func:`dry_run`, then the import itself."""
    run = dry_run(raw, **options)
    services.import_start(actor=admin_user(), run=run)
    run_pending()
    run.refresh_from_db()
    return run


def by_line(report: list[dict]) -> dict[int, dict]:
    return {line["line"]: line for line in report}
