"""Supervision pages: the supervisor's sign-off queue (approve or return, singly or in bulk)
and what the record page shows of note privacy and sign-off. Access: clinical; who may read
notes and who may decide are :mod:`mesoclinic.people.roles`' rules."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from mesoclinic.core.errors import DomainError
from mesoclinic.people.roles import (
    may_read_notes,
    notes_readers_label,
    own_practitioner,
    staff_member,
)
from mesoclinic.records import supervision
from mesoclinic.records.models import SignOffStatus, TreatmentRecord
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import clinical_required


def record_page_extras(user: Any, record: TreatmentRecord) -> dict[str, Any]:
    """The record page's note privacy and sign-off context: notes only for their readers,
    a returned record's comment for its author."""
    sign_off = supervision.sign_off_of(record)
    own = staff_member(user).practitioner
    is_author = own is not None and own.pk == record.practitioner_id
    returned = sign_off if sign_off and sign_off.status == SignOffStatus.RETURNED else None
    return {
        "notes_visible": may_read_notes(user, record),
        "notes_readers": notes_readers_label(record),
        "sign_off": sign_off,
        "returned_sign_off": returned if is_author else None,
    }


@clinical_required
def sign_off_queue(request: HtmxHttpRequest) -> HttpResponse:
    """The acting supervisor's own queue; POST approves or returns the ticked records."""
    supervisor = own_practitioner(request.user)
    if request.method == "POST":
        return _decide(request, supervisor)
    pending = list(supervision.sign_offs_pending(supervisor=supervisor))
    rows = [(s, supervision.completeness(s.record)) for s in pending]
    return render(request, "web/records/sign_offs.html", {"rows": rows})


def _decide(request: HtmxHttpRequest, supervisor: Any) -> HttpResponse:
    ids = request.POST.getlist("sign_off")
    approve = request.POST.get("action") == "approve"
    comment = request.POST.get("comment", "")
    if not ids:
        messages.error(request, "Tick at least one record.")
        return redirect("web:sign_off_queue")
    try:
        chosen = [supervision.sign_off_get(i) for i in ids]
        decided = supervision.sign_offs_decide(
            actor=request.user, sign_offs=chosen, approve=approve, comment=comment
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("web:sign_off_queue")
    verb = "approved" if approve else "returned"
    messages.success(request, f"{len(decided)} record{'s' if len(decided) != 1 else ''} {verb}.")
    return redirect("web:sign_off_queue")


urlpatterns: list[URLPattern] = [
    path("sign-offs/", sign_off_queue, name="sign_off_queue"),
]
