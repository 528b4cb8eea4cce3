"""Writes of an import: upload a file, map its columns, run the dry run and the import.

Administrators only (asked of :mod:`mesoclinic.people.roles`), every step audited. The dry
run and the import are the same code (:mod:`mesoclinic.imports.rows`) run by the background
worker: the dry run puts each row through the real services in a transaction it then rolls
back, so what it reports is what the import will do; the import commits each row in its own
transaction (a row is imported whole or not at all) with its key in the ledger, which makes
a second import of the same rows create nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django_tasks import task

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.imports import parsing
from mesoclinic.imports.errors import ImportErrorCode as Code
from mesoclinic.imports.fields import PRESETS_BY_CODE, Kind, field_codes, mapping_problems
from mesoclinic.imports.models import ImportRun, Phase, RunStatus
from mesoclinic.imports.rows import Outcome, RowContext, process_row
from mesoclinic.people.roles import Access, require

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5


def import_upload(*, actor: Actor, kind: str, source: str, filename: str, raw: bytes) -> ImportRun:
    """Keep an uploaded CSV file for mapping: 400 when the kind or source is unknown or the
    file cannot be read as CSV (empty, binary, too large, uneven rows). Audited."""
    require(actor, Access.ADMIN)
    user: Any = actor  # an administrator: a signed-in user
    if kind not in Kind.__members__.values():
        raise InvalidInput(Code.UNKNOWN_KIND, f"{kind!r} is not a kind of import file.")
    if source not in PRESETS_BY_CODE:
        raise InvalidInput(Code.UNKNOWN_SOURCE, f"{source!r} is not a system we import from.")
    if not raw:
        raise InvalidInput(Code.FILE_REQUIRED, "Choose a CSV file to upload.")
    try:
        text = parsing.decode(raw)
        table = parsing.read_table(text)
    except parsing.FileProblem as problem:
        raise InvalidInput(Code.FILE_UNREADABLE, str(problem), details={"field": "file"}) from None
    with transaction.atomic():
        run = ImportRun.objects.create(
            kind=kind,
            source=source,
            filename=filename[:200],
            digest=hashlib.sha256(raw).hexdigest(),
            text=text,
            header=list(table.header),
            row_count=len(table.rows),
            created_at=clock.now(),
            created_by=user,
        )
        audit_record(
            actor=actor,
            action="import.upload",
            obj=run,
            summary=f"{kind} file {run.filename}: {run.row_count} rows from {source}",
            data={"kind": kind, "source": source, "rows": run.row_count, "sha256": run.digest},
        )
    return run


def import_map(*, actor: Actor, run: ImportRun, mapping: Mapping[str, str]) -> ImportRun:
    """Save the column mapping and queue the dry run. 422 ``import_mapping_incomplete``
    (details: ``problems``) when a required field or the client's columns are missing;
    409 ``import_wrong_state`` once the run is past mapping. Audited."""
    require(actor, Access.ADMIN)
    kind = Kind(run.kind)
    clean = {column: mapping.get(column, "") for column in run.header}
    unknown = sorted(set(clean.values()) - {"", *field_codes(kind)})
    if unknown or set(mapping) - set(run.header):
        raise InvalidInput(Code.MAPPING_INVALID, "The mapping names unknown columns or fields.")
    problems = mapping_problems(kind, clean)
    if problems:
        raise RuleRefused(
            Code.MAPPING_INCOMPLETE, " ".join(problems), details={"problems": problems}
        )
    with transaction.atomic():
        run = _locked(run)
        if run.status not in {RunStatus.MAPPING, RunStatus.CHECKED, RunStatus.FAILED}:
            raise Conflict(Code.WRONG_STATE, "This file is already being checked or imported.")
        if run.imported_at is not None:
            raise Conflict(Code.WRONG_STATE, "This file has been imported already.")
        run.mapping = clean
        run.status = RunStatus.CHECK_QUEUED
        run.processed = 0
        run.dry_run_report = []
        run.error = ""
        run.save(update_fields=["mapping", "status", "processed", "dry_run_report", "error"])
        audit_record(
            actor=actor,
            action="import.map",
            obj=run,
            summary=f"Mapped {sum(1 for f in clean.values() if f)} columns; dry run queued",
            data={"mapping": clean},
        )
        _enqueue(run, Phase.DRY_RUN)
    return run


def import_start(*, actor: Actor, run: ImportRun) -> ImportRun:
    """Queue the import of a file whose dry run is done (409 ``import_wrong_state``
    otherwise, or when it was imported already). Audited."""
    require(actor, Access.ADMIN)
    with transaction.atomic():
        run = _locked(run)
        if run.status != RunStatus.CHECKED:
            raise Conflict(
                Code.WRONG_STATE,
                "Only a file whose dry run is done can be imported, and only once.",
            )
        run.status = RunStatus.IMPORT_QUEUED
        run.processed = 0
        run.save(update_fields=["status", "processed"])
        audit_record(actor=actor, action="import.start", obj=run, summary="Import queued")
        _enqueue(run, Phase.IMPORT)
    return run


def _locked(run: ImportRun) -> ImportRun:
    return ImportRun.objects.select_for_update().get(pk=run.pk)


def _enqueue(run: ImportRun, phase: Phase) -> None:
    # django-tasks-db writes the task row in this transaction: queued only if it commits.
    import_run_phase.enqueue(run.pk, str(phase))


# --- The background run -----------------------------------------------------------------


def import_execute(*, run_id: int, phase: str) -> ImportRun:
    """Run the dry run or the import of ``run_id`` (what the background task calls).

    Rows are read from the stored file with the saved mapping and go one by one through
    :func:`~mesoclinic.imports.rows.process_row`; progress is saved as it goes (about
    twice a second) for the page's progress bar. A run not queued for ``phase`` is left
    alone (a task delivered twice does nothing the second time). An unexpected error stops
    the run as ``failed``: rows already imported stay imported (each was committed whole)
    and a new run of the same file picks up where it stopped."""
    queued, working, done = (
        (RunStatus.CHECK_QUEUED, RunStatus.CHECKING, RunStatus.CHECKED)
        if phase == Phase.DRY_RUN
        else (RunStatus.IMPORT_QUEUED, RunStatus.IMPORTING, RunStatus.IMPORTED)
    )
    with transaction.atomic():
        run = _locked(ImportRun(pk=run_id))
        if run.status != queued:
            return run
        run.status = working
        run.processed = 0
        run.save(update_fields=["status", "processed"])
    actor = run.created_by
    try:
        require(actor, Access.ADMIN)
        report = _process(run, dry_run=phase == Phase.DRY_RUN)
    except Exception as error:
        logger.exception("Import %s stopped", run.pk)
        run.status = RunStatus.FAILED
        run.error = str(getattr(error, "message", "") or error)[:2000]
        run.save(update_fields=["status", "error"])
        audit_record(actor=actor, action="import.failed", obj=run, summary=run.error[:300])
        return run
    counts = summary_counts(report)
    run.processed = run.row_count
    run.status = done
    if phase == Phase.DRY_RUN:
        run.dry_run_report = report
        run.checked_at = clock.now()
        fields = ["dry_run_report", "checked_at"]
    else:
        run.import_report = report
        run.imported_at = clock.now()
        run.text = ""  # the rows are in mesoclinic now; the file is not kept
        fields = ["import_report", "imported_at", "text"]
    run.save(update_fields=["status", "processed", *fields])
    audit_record(
        actor=actor,
        action="import.dry_run" if phase == Phase.DRY_RUN else "import.finish",
        obj=run,
        summary=", ".join(f"{count} {outcome}" for outcome, count in counts.items()),
        data={"counts": counts},
    )
    return run


def _process(run: ImportRun, *, dry_run: bool) -> list[dict[str, Any]]:
    table = parsing.read_table(run.text)
    context = RowContext.for_run(run, dry_run=dry_run)
    report: list[dict[str, Any]] = []
    saved_at = time.monotonic()
    for number, row in enumerate(table.rows, start=2):
        values = parsing.mapped(table.header, row, run.mapping)
        report.append(process_row(context, line=number, values=values).as_dict())
        if time.monotonic() - saved_at >= PROGRESS_EVERY_SECONDS:
            ImportRun.objects.filter(pk=run.pk).update(processed=len(report))
            saved_at = time.monotonic()
    return report


def summary_counts(report: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows of a report had each outcome, in a fixed order."""
    counts = {str(outcome): 0 for outcome in Outcome}
    for line in report:
        counts[line["outcome"]] += 1
    return counts


@task()
def import_run_phase(run_id: int, phase: str) -> str:
    """The background task: run one phase (``dry_run`` or ``import``) of an import run, in
    the worker that ``mesoclinic serve`` starts; the run's status afterwards."""
    return str(import_execute(run_id=run_id, phase=phase).status)
