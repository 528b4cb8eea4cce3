"""Outcomes per treatment across clients (administrators): the change from baseline after
each number of sessions with its 95 % interval and responders, the clients' trajectories
drawn with the mean, filtered by protocol and formulation."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from mesoclinic.catalogue.models import Formulation, Protocol, Treatment
from mesoclinic.records import charts
from mesoclinic.records.scales import SCALES, primary_scale_for
from mesoclinic.reports.outcomes import (
    OutcomeEvidence,
    outcome_evidence,
    treatments_by_clients_assessed,
)
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required

TEMPLATE = "web/reports/outcomes.html"


def _outcome_scales() -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in SCALES.values() if s.is_outcome and s.code != "vas-pain"]


class OutcomeForm(forms.Form):
    treatment = forms.ModelChoiceField(
        label="Treatment", queryset=Treatment.objects.order_by("name"), to_field_name="code"
    )
    scale = forms.ChoiceField(
        label="Scale",
        choices=[("", "The treatment's own scale"), *_outcome_scales()],
        required=False,
    )
    protocol = forms.ModelChoiceField(
        label="Protocol",
        queryset=Protocol.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label="Any protocol",
    )
    formulation = forms.ModelChoiceField(
        label="Formulation",
        queryset=Formulation.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label="Any formulation",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        treatment = data.get("treatment")
        if treatment is not None and not data.get("scale"):
            primary = primary_scale_for(treatment.code)
            if primary is None:
                self.add_error("scale", f"{treatment.name} has no scale of its own: choose one.")
            else:
                data["scale"] = primary.code
        return data


def _default_treatment() -> Treatment | None:
    """The treatment with a scale of its own and the most clients assessed, else the
    first with a scale (by name)."""
    with_scale = [t for t in Treatment.objects.order_by("name") if primary_scale_for(t.code)]
    by_code = {t.code: t for t in with_scale}
    assessed = (by_code[code] for code in treatments_by_clients_assessed() if code in by_code)
    return next(assessed, with_scale[0] if with_scale else None)


@admin_required
def outcomes_page(request: HtmxHttpRequest) -> HttpResponse:
    """By default the treatment with the most evidence (``_default_treatment``)."""
    if request.GET:
        form = OutcomeForm(request.GET)
    else:
        first = _default_treatment()
        form = OutcomeForm({"treatment": first.code} if first else None)
    if not form.is_bound:
        return render(request, TEMPLATE, {"form": form})
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    data = form.cleaned_data
    evidence = outcome_evidence(
        actor=request.user,
        treatment=data["treatment"],
        scale=SCALES[data["scale"]],
        protocol=data["protocol"],
        formulation=data["formulation"],
    )
    return render(
        request, TEMPLATE, {"form": form, "evidence": evidence, "chart": _chart(evidence)}
    )


def _chart(evidence: OutcomeEvidence) -> str:
    if not evidence.steps:
        return ""
    start = [] if evidence.is_rating else [(0, 0.0, None, None)]
    means = start + [
        (s.sessions, s.interval.mean, s.interval.low, s.interval.high) for s in evidence.steps
    ]
    what = evidence.scale.name if evidence.is_rating else f"change in {evidence.scale.name}"
    return charts.trajectory_chart_svg(
        title=f"{evidence.treatment.name}: {what} by sessions given",
        paths=evidence.drawn_paths(),
        means=means,
        y_label=what,
    )


urlpatterns = [path("reports/outcomes/", outcomes_page, name="report_outcomes")]
