"""Staff pages for clinical safety: screening, questionnaires, consent capture, overrides,
prescriptions, consent PDFs. Thin: parse a form, call one service or selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.audit import audit_read, audit_record
from mesoclinic.core.downloads import attachment
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client
from mesoclinic.people.roles import sees_clinical
from mesoclinic.safety import consent_services, selectors, services
from mesoclinic.safety.forms import (
    ConsentCaptureForm,
    OverrideForm,
    PrescriptionForm,
    QuestionnaireForm,
    ScreeningForm,
    screening_form_for,
)
from mesoclinic.safety.models import SignedConsent
from mesoclinic.safety.pdf import consent_pdf
from mesoclinic.safety.presentation import date_in_words, front_desk_view, screening_view
from mesoclinic.scheduling.selectors import toxin_booking_days
from mesoclinic.web.http import HtmxHttpRequest, form_refusal
from mesoclinic.web.permissions import clinical_required, staff_required


def _client(client_id: int) -> Client:
    return get_object_or_404(Client.objects.select_related("home_site"), pk=client_id)


def _add_domain_error(form: Form, error: DomainError) -> None:
    """Show a service refusal next to the field it concerns (or above the form)."""
    form_refusal(form, error)


def _screening_context(
    request: HtmxHttpRequest,
    client: Client,
    form: ScreeningForm,
    *,
    override_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "client": client,
        "form": form,
        "screening": None,
        "clinical": sees_clinical(request.user),
    }
    if form.is_valid():
        data = form.cleaned_data
        result = services.screening_run(
            actor=request.user,
            client=client,
            treatment=data["treatment"],
            practitioner=data["practitioner"],
            on=data["on"],
            toxin_bookings=toxin_booking_days(client=client),
        )
        view = screening_view(
            result,
            errors=override_errors,
            wording=selectors.screening_wording(client=client),
        )
        context["screening"] = view if context["clinical"] else front_desk_view(view)
        practitioner = data["practitioner"]
        context["screened"] = {
            "treatment": data["treatment"],
            "practitioner": practitioner.code if practitioner else "",
            "practitioner_name": practitioner.display_name if practitioner else "",
            "on": data["on"].isoformat() if data["on"] else "",
            "on_words": date_in_words(data["on"]) if data["on"] else "",
        }
    return context


@staff_required
def client_screening(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Screen the client for a treatment; htmx gets just the outcome banner and reasons.
    The empty form starts with the signed-in practitioner, as on the client page."""
    client = _client(client_id)
    form = ScreeningForm(request.GET) if request.GET else screening_form_for(request.user)
    context = _screening_context(request, client, form)
    template = "web/safety/screening.html#result" if request.htmx else "web/safety/screening.html"
    return render(request, template, context)


@clinical_required
def override_create(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Record a clinician's override from the screening result, then screen again."""
    client = _client(client_id)
    if request.method != "POST":
        return redirect("web:safety_screening", client_id=client.pk)
    form = OverrideForm(request.POST)
    override_errors: dict[str, str] = {}
    if form.is_valid():
        try:
            services.override_record(
                actor=request.user,
                client=client,
                treatment=form.cleaned_data["treatment"],
                code=form.cleaned_data["code"],
                justification=form.cleaned_data["justification"],
            )
        except DomainError as error:
            override_errors[request.POST.get("code", "")] = error.message
        else:
            messages.success(request, "Override recorded.")
    else:
        override_errors[request.POST.get("code", "")] = "This reason cannot be overridden."
    screening_query = QueryDict(mutable=True)
    for key in ("treatment", "practitioner", "on"):
        screening_query[key] = request.POST.get(key, "")
    if not request.htmx and not override_errors:
        url = reverse("web:safety_screening", args=[client.pk])
        return redirect(f"{url}?{screening_query.urlencode()}")
    screening_form = ScreeningForm(screening_query)
    context = _screening_context(request, client, screening_form, override_errors=override_errors)
    template = "web/safety/screening.html#result" if request.htmx else "web/safety/screening.html"
    status = 400 if override_errors and not request.htmx else 200
    return render(request, template, context, status=status)


@clinical_required
def questionnaire_create(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Record a new health questionnaire (it supersedes the previous one)."""
    client = _client(client_id)
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_record(
                actor=request.user, client=client, **form.service_kwargs()
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            messages.success(request, "Health questionnaire recorded.")
            return redirect("web:client_detail", client_id=client.pk)
    latest = selectors.questionnaire_latest(client=client)
    status = 400 if form.errors else 200
    return render(
        request,
        "web/safety/questionnaire_form.html",
        {"client": client, "form": form, "latest": latest},
        status=status,
    )


@clinical_required
def consent_capture(request: HtmxHttpRequest, client_id: int, treatment_code: str) -> HttpResponse:
    """Show the current consent form's exact text and capture the client's signature."""
    client = _client(client_id)
    treatment = get_object_or_404(Treatment, code=treatment_code, active=True)
    consent_form = selectors.consent_form_current(treatment=treatment)
    if consent_form is None:
        raise PermissionDenied("This treatment has no consent form yet; publish one first.")
    initial = {"form_version": consent_form.version, "signed_name": client.full_name}
    form = ConsentCaptureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            consent = consent_services.consent_sign(
                actor=request.user,
                client=client,
                treatment=treatment,
                signed_name=data["signed_name"],
                accepted=data["accepted"],
                signature_kind=data["signature_kind"],
                signature_data=data["signature_data"],
                photo_use=data["photo_use"],
                marketing=data["marketing"],
                form_version=data["form_version"],
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            messages.success(request, f"Consent to {treatment.name} signed.")
            return redirect("web:safety_consent_detail", consent_id=consent.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "web/safety/consent_capture.html",
        {"client": client, "treatment": treatment, "consent_form": consent_form, "form": form},
        status=status,
    )


def _consent(request: HtmxHttpRequest, consent_id: int, action: str) -> SignedConsent:
    consent = get_object_or_404(
        SignedConsent.objects.select_related("client", "treatment", "captured_by"), pk=consent_id
    )
    audit_record(actor=request.user, action=action, obj=consent, client_id=consent.client_id)
    return consent


@clinical_required
def consent_detail(request: HtmxHttpRequest, consent_id: int) -> HttpResponse:
    """A signed consent exactly as signed, with a link to its printable PDF."""
    consent = _consent(request, consent_id, "consent.view")
    return render(request, "web/safety/consent_detail.html", {"consent": consent})


@clinical_required
def consent_pdf_download(request: HtmxHttpRequest, consent_id: int) -> HttpResponse:
    """The signed consent as a PDF (staff only; every download is audited)."""
    consent = _consent(request, consent_id, "consent.print")
    tz = selectors.client_time_zone(client=consent.client)
    response = HttpResponse(
        consent_pdf(consent=consent, time_zone=str(tz)), content_type="application/pdf"
    )
    filename = f"consent-{consent.pk}-{consent.treatment.code}-v{consent.form_version}.pdf"
    attachment(response, filename, inline=True)
    response["Cache-Control"] = "no-store"
    return response


@clinical_required
def prescriptions(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """The client's prescriptions, and a form to record a face-to-face consultation."""
    client = _client(client_id)
    form = PrescriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        tz = selectors.client_time_zone(client=client)
        try:
            services.prescription_record(
                actor=request.user,
                client=client,
                prescriber=data["prescriber"],
                formulation=data["formulation"],
                consultation_at=timezone.make_aware(
                    data["consultation_at"].replace(tzinfo=None), tz
                ),
                notes=data["notes"],
            )
        except DomainError as error:
            _add_domain_error(form, error)
        else:
            messages.success(request, "Prescription recorded.")
            return redirect("web:safety_prescriptions", client_id=client.pk)
    listed = list(selectors.prescription_list(client=client))
    audit_read(
        actor=request.user,
        action="prescription.view",
        client_id=client.pk,
        data={"results": len(listed)},
    )
    status = 400 if form.errors else 200
    return render(
        request,
        "web/safety/prescriptions.html",
        {"client": client, "form": form, "prescriptions": listed},
        status=status,
    )


@staff_required
def consent_form_list(request: HtmxHttpRequest) -> HttpResponse:
    """The current consent form of every treatment, with its full text."""
    return render(
        request, "web/safety/consent_forms.html", {"forms": selectors.consent_forms_current()}
    )


urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/screening/", client_screening, name="safety_screening"),
    path("clients/<int:client_id>/overrides/", override_create, name="safety_override"),
    path(
        "clients/<int:client_id>/questionnaire/",
        questionnaire_create,
        name="safety_questionnaire",
    ),
    path(
        "clients/<int:client_id>/consents/<slug:treatment_code>/",
        consent_capture,
        name="safety_consent_capture",
    ),
    path("clients/<int:client_id>/prescriptions/", prescriptions, name="safety_prescriptions"),
    path("consents/<int:consent_id>/", consent_detail, name="safety_consent_detail"),
    path("consents/<int:consent_id>/pdf/", consent_pdf_download, name="safety_consent_pdf"),
    path("consent-forms/", consent_form_list, name="safety_consent_forms"),
]
