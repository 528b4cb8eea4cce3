"""FHIR R4 endpoints, for staff (bearer token or logged-in session)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from mesoclinic.core.audit import audit_read
from mesoclinic.core.errors import NotFound
from mesoclinic.interop.codesystems import code_system
from mesoclinic.interop.selectors import patient_everything
from mesoclinic.people.roles import Access, has_access, may_read_notes
from mesoclinic.people.selectors import client_by_id
from mesoclinic.people.services import api_token_user
from mesoclinic.records.models import TreatmentRecord

FHIR_JSON = "application/fhir+json"


def _outcome(status: int, code: str, text: str) -> JsonResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return JsonResponse(body, status=status, content_type=FHIR_JSON)


def _authenticate(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = api_token_user(header[7:].strip())
        if user is None:
            return False
        request.user = user  # type: ignore[assignment]
    return has_access(request.user, Access.STAFF)


def _without_unreadable_notes(user: Any, bundle: dict[str, Any]) -> dict[str, Any]:
    """Drop a Procedure's ``note`` (the record's free-text notes) for a reader the clinic's
    notes setting excludes (``roles.may_read_notes``)."""
    procedures = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Procedure" and "note" in entry["resource"]
    ]
    records = TreatmentRecord.objects.select_related(
        "practitioner", "appointment__site__organisation"
    ).in_bulk([int(resource["id"]) for resource in procedures])
    for resource in procedures:
        if not may_read_notes(user, records[int(resource["id"])]):
            del resource["note"]
    return bundle


@require_GET
def patient_everything_view(request: HttpRequest, client_id: str) -> JsonResponse:
    """``GET /fhir/r4/Patient/{id}/$everything``: the client's record as a Bundle."""
    if not _authenticate(request):
        return _outcome(401, "login", "Send Authorization: Bearer <token> or log in as staff.")
    if not has_access(request.user, Access.CLINICAL):
        return _outcome(403, "forbidden", "The clinical record is for practitioners only.")
    try:
        client = client_by_id(client_id)
    except NotFound:
        return _outcome(404, "not-found", f"No Patient with id {client_id!r}.")
    audit_read(actor=request.user, action="fhir.export", obj=client, client_id=client.pk)
    base_url = request.build_absolute_uri("/fhir/r4").rstrip("/")
    return JsonResponse(
        _without_unreadable_notes(
            request.user, patient_everything(client=client, base_url=base_url)
        ),
        content_type=FHIR_JSON,
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def code_system_view(request: HttpRequest, name: str) -> JsonResponse:
    """``GET /fhir/r4/CodeSystem/{name}``: one of the clinic's own code systems, so the
    ``system`` URL of a local coding resolves. Reference data only: no login needed."""
    resource = code_system(name)
    if resource is None:
        return _outcome(404, "not-found", f"No CodeSystem {name!r}.")
    return JsonResponse(resource, content_type=FHIR_JSON, json_dumps_params={"ensure_ascii": False})
