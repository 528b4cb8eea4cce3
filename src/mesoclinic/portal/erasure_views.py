"""A client asks, from their account, for their data to be erased. The request waits for
the clinic's administrator (``/retention/``), who decides what may be deleted and what the
law says must be kept; the page says so before the client confirms."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mesoclinic.portal.models import ClientAccount
from mesoclinic.portal.views import client_required
from mesoclinic.retention.models import RequestChannel
from mesoclinic.retention.selectors import erasure_request_pending_for
from mesoclinic.retention.services import erasure_request_create


class ErasureForm(forms.Form):
    """The client's confirmation, and anything they want to tell us."""

    note = forms.CharField(
        label="Anything you want to tell us (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label="I understand my account will be closed and I will not be able to book online",
        error_messages={"required": "Tick the box to confirm your request."},
    )


@client_required
@require_http_methods(["GET", "POST"])
def account_erasure(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """Explain what erasure does, confirm, and record the request (once: a request already
    waiting is shown, not repeated)."""
    client = account.client
    assert client is not None
    waiting = erasure_request_pending_for(client)
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and waiting is None and form.is_valid():
        erasure_request_create(
            actor=request.user,
            client=client,
            channel=RequestChannel.PORTAL,
            note=form.cleaned_data["note"],
        )
        messages.success(request, "We have your request. We will reply by email within a month.")
        return redirect("portal:erasure")
    status = 422 if request.method == "POST" and form.errors else 200
    context = {"waiting": waiting, "form": form}
    return render(request, "portal/erasure.html", context, status=status)
