"""Importing a clinic (``/settings/import/``, administrators): upload a CSV file, map its
columns (a preset pre-fills the mapping), read the dry run's report, then import, with a
progress bar while the background worker runs each phase. Thin views over
:mod:`mesoclinic.imports.services`, which check the role again and audit every step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from mesoclinic.core.errors import DomainError, NotFound
from mesoclinic.imports import parsing, selectors, services
from mesoclinic.imports.fields import FIELDS, KIND_LABELS, PRESETS, Kind, prefill
from mesoclinic.imports.models import ImportRun, RunStatus
from mesoclinic.imports.rows import Outcome
from mesoclinic.web.http import HtmxHttpRequest, form_refusal
from mesoclinic.web.permissions import admin_required

REPORT_PAGE_ROWS = 100
PREVIEW_ROWS = 3


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[(kind.value, label) for kind, label in KIND_LABELS.items()],
        help_text="Import clients first: appointments and history name clients.",
    )
    source = forms.ChoiceField(
        label="The system it comes from",
        choices=[(preset.code, preset.name) for preset in PRESETS],
        help_text="Pre-fills the mapping with the column names that system is assumed to use.",
    )
    file = forms.FileField(label="CSV file")


def _run(run_id: int) -> ImportRun:
    try:
        return selectors.import_run_get(run_id=run_id)
    except NotFound:
        raise Http404("There is no such import.") from None


@admin_required
def import_home(request: HtmxHttpRequest) -> HttpResponse:
    """The upload form and the latest imports."""
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > parsing.MAX_FILE_BYTES:
                form.add_error("file", "The file is larger than 10 MB: split it.")
                status = 400
            else:
                try:
                    run = services.import_upload(
                        actor=request.user,
                        kind=form.cleaned_data["kind"],
                        source=form.cleaned_data["source"],
                        filename=upload.name or "upload.csv",
                        raw=upload.read(),
                    )
                    return redirect("web:settings_import_run", run_id=run.pk)
                except DomainError as refused:
                    status = form_refusal(form, refused)
        else:
            status = 400
    return render(
        request,
        "web/imports/home.html",
        {"form": form, "runs": selectors.import_runs_recent()},
        status=status,
    )


class MappingForm(forms.Form):
    """One choice per column of the file: the mesoclinic field it holds, or nothing."""

    def __init__(self, *args: Any, run: ImportRun, initial_mapping: dict[str, str], **kw: Any):
        super().__init__(*args, **kw)
        choices = [("", "— leave out —")] + [
            (field.code, field.label) for field in FIELDS[Kind(run.kind)]
        ]
        self.columns = list(run.header)
        for index, column in enumerate(self.columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column,
                choices=choices,
                required=False,
                initial=initial_mapping.get(column, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.columns)
        }


@admin_required
def import_run(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """One import: its mapping (before the dry run, and to change it after), its progress
    while the worker runs, then the dry run's or the import's report."""
    run = _run(run_id)
    initial = run.mapping or prefill(Kind(run.kind), run.source, run.header)
    form = MappingForm(request.POST or None, run=run, initial_mapping=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.import_map(actor=request.user, run=run, mapping=form.mapping())
                return redirect("web:settings_import_run", run_id=run.pk)
            except DomainError as refused:
                for problem in refused.details.get("problems", [refused.message]):
                    form.add_error(None, problem)
                status = refused.status
        else:
            status = 400
    return render(request, "web/imports/run.html", _run_context(request, run, form), status=status)


def _run_context(request: HtmxHttpRequest, run: ImportRun, form: MappingForm) -> dict[str, Any]:
    report = run.import_report or run.dry_run_report
    shown = request.GET.get("show", "")
    counts = services.summary_counts(report) if report else {}
    if shown not in counts:
        shown = next((o for o in ("rejected", "duplicate") if counts.get(o)), "")
        shown = shown or next((o for o, count in counts.items() if count), "")
    rows = [line for line in report if line["outcome"] == shown]
    preview: list[tuple[str, ...]] = []
    if run.text:  # the examples beside the mapping, before and after a dry run
        preview = list(parsing.first_rows(run.text, PREVIEW_ROWS))
    return {
        "run": run,
        "kind_label": KIND_LABELS[Kind(run.kind)],
        "form": form,
        "preview": preview,
        "progress": selectors.import_progress(run=run),
        "counts": counts,
        "shown": shown,
        "page": Paginator(rows, REPORT_PAGE_ROWS).get_page(request.GET.get("page")),
        "outcome_labels": OUTCOME_LABELS,
        "can_map": run.status in {RunStatus.MAPPING, RunStatus.CHECKED, RunStatus.FAILED}
        and run.imported_at is None,
    }


OUTCOME_LABELS = {
    Outcome.CREATE: "Would be created",
    Outcome.CREATED: "Created",
    Outcome.DUPLICATE: "Duplicates (nothing created)",
    Outcome.REJECTED: "Refused",
}


@admin_required
@require_POST
def import_start(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """Queue the import after its dry run."""
    run = _run(run_id)
    try:
        services.import_start(actor=request.user, run=run)
    except DomainError as refused:
        messages.error(request, refused.message)
    return redirect("web:settings_import_run", run_id=run.pk)


@admin_required
def import_progress(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """The progress bar alone, which the page polls (htmx) while the worker runs; once the
    phase is over it asks htmx to reload the page, which then shows the report."""
    run = _run(run_id)
    response = render(
        request,
        "web/imports/_progress.html",
        {"run": run, "progress": selectors.import_progress(run=run)},
    )
    if not run.running and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@admin_required
def import_status(request: HtmxHttpRequest, run_id: int) -> JsonResponse:
    """The run's progress as JSON (``status``, ``processed``, ``total``, ``percent``,
    ``running``), for scripts and monitoring."""
    return JsonResponse(selectors.import_progress(run=_run(run_id)))


urlpatterns = [
    path("settings/import/", import_home, name="settings_import"),
    path("settings/import/<int:run_id>/", import_run, name="settings_import_run"),
    path("settings/import/<int:run_id>/start/", import_start, name="settings_import_start"),
    path(
        "settings/import/<int:run_id>/progress/",
        import_progress,
        name="settings_import_progress",
    ),
    path("settings/import/<int:run_id>/status.json", import_status, name="settings_import_status"),
]
