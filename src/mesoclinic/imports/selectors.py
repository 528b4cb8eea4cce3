"""Reads of imports: runs for the administrators' page, their progress, their reports, and
a client's imported history (clinical: audited, practitioners only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import NotFound
from mesoclinic.imports.errors import ImportErrorCode as Code
from mesoclinic.imports.models import ImportedHistory, ImportRun
from mesoclinic.people.models import Client
from mesoclinic.people.roles import Access, require

RECENT_RUNS = 20


def import_run_get(*, run_id: int | str) -> ImportRun:
    """The import run ``run_id``; 404 ``import_run_not_found``."""
    run = ImportRun.objects.filter(pk=run_id).select_related("created_by").first()
    if run is None:
        raise NotFound(Code.RUN_NOT_FOUND, f"There is no import {run_id}.")
    return run


def import_runs_recent() -> QuerySet[ImportRun]:
    """The latest runs, newest first (without their stored text and reports)."""
    return ImportRun.objects.defer("text", "dry_run_report", "import_report").select_related(
        "created_by"
    )[:RECENT_RUNS]


def import_progress(*, run: ImportRun) -> dict[str, Any]:
    """What the progress bar shows: the phase, the rows done of all, the percentage, and
    whether the run is still going."""
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "phase": str(run.phase),
        "processed": run.row_count if run.percent == 100 else run.processed,
        "total": run.row_count,
        "percent": run.percent,
        "running": run.running,
        "error": run.error,
    }


def imported_history_view(*, actor: Actor, client: Client) -> list[ImportedHistory]:
    """A client's imported treatment history, newest first: clinical content, so for
    practitioners only (403) and audited."""
    require(actor, Access.CLINICAL)
    entries = list(ImportedHistory.objects.filter(client=client).select_related("treatment"))
    audit_record(
        actor=actor,
        action="import.history_view",
        obj=client,
        client_id=client.pk,
        summary=f"Viewed {len(entries)} imported history entries",
    )
    return entries
