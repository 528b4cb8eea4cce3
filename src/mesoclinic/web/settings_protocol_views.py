"""Course protocols in the clinic's settings (administrators): each protocol's phases
(sessions, gap and tolerance), a new protocol copied from one the clinic has. Thin views
over ``catalogue.protocols``, which checks and audits every change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mesoclinic.catalogue import protocols as protocol_services
from mesoclinic.catalogue.models import Protocol
from mesoclinic.catalogue.selectors import protocol_list
from mesoclinic.core.errors import DomainError
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required

SPARE_PHASES = 2


class ProtocolForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why a clinic would choose it; staff see it when they plan a course.",
    )


class PhaseForm(forms.Form):
    name = forms.CharField(max_length=60, required=False, label="Phase")
    count = forms.IntegerField(required=False, min_value=1, label="Sessions")
    gap_days = forms.IntegerField(required=False, min_value=0, label="Every (days)")
    tolerance_days = forms.IntegerField(required=False, min_value=0, label="± days")
    min_gap_days = forms.IntegerField(required=False, min_value=1, label="At least (days)")

    def spec(self) -> protocol_services.PhaseSpec | None:
        """The phase, or None for a blank row."""
        data = self.cleaned_data
        if not data.get("name") and data.get("gap_days") is None:
            return None
        return protocol_services.PhaseSpec(
            name=data.get("name") or "",
            count=data.get("count"),
            gap_days=data["gap_days"] if data.get("gap_days") is not None else -1,
            tolerance_days=data.get("tolerance_days") or 0,
            min_gap_days=data.get("min_gap_days"),
        )


PhaseFormSet = forms.formset_factory(PhaseForm, extra=0, max_num=protocol_services.MAX_PHASES)


@admin_required
def protocols(request: HtmxHttpRequest) -> HttpResponse:
    """Every protocol with its phases; a new one copied from one of them."""
    if request.method == "POST":
        return _copy(request)
    return render(request, "web/settings/protocols.html", {"protocols": protocol_list()})


def _copy(request: HtmxHttpRequest) -> HttpResponse:
    source = Protocol.objects.filter(code=request.POST.get("copy_of", "")).first()
    name = request.POST.get("name", "")
    if source is None:
        messages.error(request, "Choose the protocol to start from.")
        return redirect("web:settings_protocols")
    try:
        created = protocol_services.protocol_copy(actor=request.user, source=source, name=name)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("web:settings_protocols")
    messages.success(request, f"{created.name} starts as a copy of {source.name}: change it here.")
    return redirect("web:settings_protocol", code=created.code)


def _initial_phases(protocol: Protocol) -> list[dict[str, Any]]:
    rows = [
        {
            "name": phase.name,
            "count": phase.count,
            "gap_days": phase.gap_days,
            "tolerance_days": phase.tolerance_days,
            "min_gap_days": phase.min_gap_days,
        }
        for phase in protocol_services.protocol_phases(protocol)
    ]
    return rows + [{}] * SPARE_PHASES


@admin_required
def protocol_edit(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """A protocol's name, description and phases (blank rows are ignored)."""
    protocol = get_object_or_404(Protocol, code=code)
    initial = {"name": protocol.name, "description": protocol.description}
    form = ProtocolForm(request.POST or None, initial=initial)
    phases = PhaseFormSet(request.POST or None, initial=_initial_phases(protocol), prefix="phase")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and phases.is_valid():
            specs = [spec for row in phases if (spec := row.spec()) is not None]
            try:
                protocol_services.protocol_change(
                    actor=request.user, protocol=protocol, phases=specs, **form.cleaned_data
                )
            except DomainError as refused:
                form.add_error(None, refused.message)
                status = refused.status
            else:
                messages.success(request, f"{protocol.name} saved: new courses follow it.")
                return redirect("web:settings_protocols")
    return render(
        request,
        "web/settings/protocol.html",
        {"protocol": protocol, "form": form, "phases": phases},
        status=status,
    )


urlpatterns = [
    path("settings/protocols/", protocols, name="settings_protocols"),
    path("settings/protocols/<slug:code>/", protocol_edit, name="settings_protocol"),
]
