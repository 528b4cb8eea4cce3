"""Staff pages for outcomes: score an assessment with photos, a client's outcome charts
and before/after photos, a photo's file. Thin: parse, check the role, call
services/selectors."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path

from mesoclinic.catalogue import selectors as catalogue_selectors
from mesoclinic.core.audit import audit_read
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.records import charts, scales, selectors
from mesoclinic.records.models import PhotoView, RatedBy
from mesoclinic.records.services import assessments
from mesoclinic.reports.outcomes import people_like
from mesoclinic.web.http import HtmxHttpRequest, found_or_404
from mesoclinic.web.permissions import clinical_required


def _components_from_post(scale: scales.ScaleDefinition, data: Any) -> dict[str, object]:
    components: dict[str, object] = {}
    for component in scale.components:
        raw = str(data.get(f"c-{component.key}", "") or "").strip()
        if component.kind is scales.ComponentKind.BOOLEAN:
            components[component.key] = raw == "on"
        elif not raw:
            continue
        elif component.kind in (scales.ComponentKind.INTEGER, scales.ComponentKind.NUMBER):
            try:
                components[component.key] = int(raw) if raw.lstrip("-").isdigit() else float(raw)
            except ValueError:
                components[component.key] = raw
        else:
            components[component.key] = raw
    return components


@clinical_required
def assessment_new(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Score an outcome scale (and attach photos); htmx swaps the components on scale change."""
    client = get_object_or_404(Client, pk=client_id)
    code = request.POST.get("scale") or request.GET.get("scale") or "gais"
    scale = scales.SCALES.get(code, scales.SCALES["gais"])
    context: dict[str, Any] = {
        "client": client,
        "scales": list(scales.SCALES.values()),
        "scale": scale,
        "treatments": catalogue_selectors.treatment_list(),
        "rated_by": RatedBy.choices,
        "views": PhotoView.choices,
        "data": request.POST if request.method == "POST" else None,
    }
    if request.htmx and request.method == "GET":
        return render(request, "web/records/assessment_form.html#components", context)
    if request.method != "POST":
        return render(request, "web/records/assessment_form.html", context)
    try:
        treatment_code = request.POST.get("treatment") or None
        assessment = assessments.assessment_record(
            actor=request.user,
            client=client,
            scale=scale.code,
            components=_components_from_post(scale, request.POST),
            rated_by=request.POST.get("rated_by", RatedBy.PRACTITIONER),
            treatment=catalogue_selectors.treatment_by_code(treatment_code)
            if treatment_code
            else None,
        )
        for upload in request.FILES.getlist("photos"):
            assessments.photo_attach(
                actor=request.user,
                assessment=assessment,
                upload=upload,
                view=request.POST.get("view", PhotoView.FRONT),
            )
    except DomainError as error:
        context["error"] = error
        return render(request, "web/records/assessment_form.html", context, status=error.status)
    band = f" ({assessment.band})" if assessment.band else ""
    messages.success(request, f"{scale.name}: {assessment.score_text}{band} saved.")
    return redirect("web:client_outcomes", client_id=client.pk)


@clinical_required
def client_outcomes(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Outcome charts per indication and before/after photos side by side."""
    client = get_object_or_404(Client, pk=client_id)
    audit_read(actor=request.user, action="outcome.view", obj=client, client_id=client.pk)
    series = selectors.outcome_series(client)
    plotted = [
        {
            "series": item,
            "svg": charts.line_chart_svg(
                title=f"{item.scale.name}"
                + (f" for {item.treatment.name}" if item.treatment else ""),
                points=item.points,
                minimum=item.scale.score_minimum,
                maximum=item.scale.score_maximum,
                lower_is_better=item.scale.direction == scales.Direction.LOWER_IS_BETTER,
            ),
            "comparison": item.treatment
            and people_like(
                client_id=client.pk,
                treatment=item.treatment,
                scale=item.scale,
            ),
        }
        for item in series
    ]
    photos = list(selectors.photos_for_client(client))
    before = _photo_choice(photos, request.GET.get("before"), default=0)
    after = _photo_choice(photos, request.GET.get("after"), default=-1)
    return render(
        request,
        "web/records/outcomes.html",
        {
            "client": client,
            "plotted": plotted,
            "assessments": selectors.assessments_for_client(client),
            "photos": photos,
            "before": before,
            "after": after if after != before else None,
            "decisions": selectors.maintenance_decisions_for_client(client),
        },
    )


def _photo_choice(photos: list[Any], wanted: str | None, *, default: int) -> Any:
    if not photos:
        return None
    chosen = next((p for p in photos if str(p.pk) == wanted), None)
    return chosen or photos[default]


@clinical_required
def photo_file(request: HtmxHttpRequest, photo_id: int) -> HttpResponse:
    """A clinical photo, for clinicians only; each view is audited; never cached publicly."""
    photo = found_or_404(selectors.photo_get, photo_id)
    audit_read(
        actor=request.user, action="photo.view", obj=photo, client_id=photo.assessment.client_id
    )
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    return cast(HttpResponse, response)


urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/assessments/new/", assessment_new, name="assessment_new"),
    path("clients/<int:client_id>/outcomes/", client_outcomes, name="client_outcomes"),
    path("photos/<int:photo_id>/", photo_file, name="photo_file"),
]
