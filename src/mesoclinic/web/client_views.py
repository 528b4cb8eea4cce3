"""Clients at the front desk: register, edit, archive, and (administrators) merge two
records of the same person. Every write goes through ``people.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from mesoclinic.core.errors import DomainError
from mesoclinic.people import services
from mesoclinic.people.models import Client, Sex
from mesoclinic.people.selectors import client_duplicates
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import admin_required, staff_required


class ClientForm(forms.Form):
    """A client's details as reception takes them on the phone or at the desk."""

    given_name = forms.CharField(
        label="First name", max_length=100, widget=forms.TextInput(attrs={"autofocus": True})
    )
    family_name = forms.CharField(label="Last name", max_length=100)
    birth_date = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, initial=Sex.UNKNOWN)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    not_a_duplicate = forms.BooleanField(
        label="This is a different person: keep a separate record", required=False
    )

    def details(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in services.CLIENT_FIELDS}


def _duplicates(form: ClientForm, client: Client | None) -> list[Client]:
    if form.cleaned_data["not_a_duplicate"]:
        return []
    details = form.details()
    return client_duplicates(
        given_name=details["given_name"],
        family_name=details["family_name"],
        birth_date=details["birth_date"],
        email=details["email"],
        phone=details["phone"],
        exclude=client,
    )


def _save(request: HtmxHttpRequest, form: ClientForm, client: Client | None) -> Client:
    if client is None:
        return services.client_create(actor=request.user, **form.details())
    return services.client_update(actor=request.user, client=client, **form.details())


@staff_required
def client_new(request: HtmxHttpRequest) -> HttpResponse:
    """Register a client; a likely duplicate is shown first, to open instead."""
    return _client_form(request, client=None)


@staff_required
def client_edit(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Change a client's details."""
    return _client_form(request, client=get_object_or_404(Client, pk=client_id))


def _client_form(request: HtmxHttpRequest, *, client: Client | None) -> HttpResponse:
    initial = {field: getattr(client, field) for field in services.CLIENT_FIELDS} if client else {}
    form = ClientForm(request.POST or None, initial=initial)
    duplicates: list[Client] = []
    status = 200
    if request.method == "POST":
        if form.is_valid() and not (duplicates := _duplicates(form, client)):
            try:
                saved = _save(request, form, client)
            except DomainError as refused:
                form.add_error(refused.details.get("field"), refused.message)
                status = refused.status
            else:
                verb = "Registered" if client is None else "Saved the details of"
                messages.success(request, f"{verb} {saved.full_name}.")
                return redirect("web:client_detail", client_id=saved.pk)
        else:
            status = 409 if duplicates else 400
    return render(
        request,
        "web/client_form.html",
        {"form": form, "client": client, "duplicates": duplicates},
        status=status,
    )


@staff_required
def client_archive(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Confirm, then archive a client (or restore an archived one)."""
    client = get_object_or_404(Client, pk=client_id)
    if request.method == "POST":
        archived = client.archived_at is None
        services.client_archive(actor=request.user, client=client, archived=archived)
        messages.success(
            request,
            f"{client.full_name} is archived: out of searches; nothing was deleted."
            if archived
            else f"{client.full_name} is back in searches.",
        )
        return redirect("web:client_detail", client_id=client.pk)
    return render(request, "web/client_archive.html", {"client": client})


@admin_required
def client_merge(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Merge another record of the same person into this one (administrators)."""
    keep = get_object_or_404(Client, pk=client_id)
    candidates = client_duplicates(
        given_name=keep.given_name,
        family_name=keep.family_name,
        birth_date=keep.birth_date,
        email=keep.email,
        phone=keep.phone,
        exclude=keep,
    )
    error, status = "", 200
    if request.method == "POST":
        chosen = [c for c in candidates if str(c.pk) == request.POST.get("duplicate", "")]
        if not chosen:
            error, status = "Choose the record to merge into this one.", 400
        else:
            try:
                services.client_merge(actor=request.user, keep=keep, duplicate=chosen[0])
            except DomainError as refused:
                error, status = refused.message, refused.status
            else:
                messages.success(
                    request,
                    f"Merged {chosen[0].full_name} (client {chosen[0].pk}) into this record.",
                )
                return redirect("web:client_detail", client_id=keep.pk)
    return render(
        request,
        "web/client_merge.html",
        {"client": keep, "candidates": candidates, "error": error},
        status=status,
    )


urlpatterns = [
    path("clients/new/", client_new, name="client_new"),
    path("clients/<int:client_id>/edit/", client_edit, name="client_edit"),
    path("clients/<int:client_id>/archive/", client_archive, name="client_archive"),
    path("clients/<int:client_id>/merge/", client_merge, name="client_merge"),
]
