"""Waiting-list API (api-contract.md, "Owner's view"): join, read, accept an offer.

Thin handlers over ``scheduling.services.waitlist``: 400 for a malformed or unacceptable
window (``invalid_range``, ``waitlist_window_past``, ``waitlist_window_too_long``), 404
``waitlist_not_found``, 409 ``waitlist_not_offered`` / ``hold_expired`` on accept.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.api.scheduling.parsing import _practitioner, parse_moment
from mesoclinic.api.scheduling.schemas import BookedOut
from mesoclinic.api.scheduling.shaping import _iso, _screening_out, appointment_out
from mesoclinic.api.types import InputSchema
from mesoclinic.core.audit import audit_read
from mesoclinic.people.roles import Access, require, sees_clinical
from mesoclinic.people.selectors import client_by_id
from mesoclinic.scheduling import selectors, services
from mesoclinic.scheduling.models import WaitlistEntry
from mesoclinic.scheduling.waitlist_selectors import waitlist_get

router = Router(tags=["waitlist"])


class WaitlistIn(InputSchema):
    client: int | str
    treatment: str
    window_from: str = Field(..., alias="from", json_schema_extra={"format": "date-time"})
    window_to: str = Field(..., alias="to", json_schema_extra={"format": "date-time"})
    practitioner: str | None = None
    site: str | None = None


class OfferOut(Schema):
    start: str
    treatment_start: str
    end: str
    practitioner: str
    room: str
    device: str | None
    expires_at: str


class WaitlistOut(Schema):
    id: str
    status: str
    client: str
    treatment: str
    practitioner: str | None
    site: str
    window_from: str = Field(..., alias="from", json_schema_extra={"format": "date-time"})
    window_to: str = Field(..., alias="to", json_schema_extra={"format": "date-time"})
    offer: OfferOut | None
    appointment: str | None


def waitlist_out(entry: WaitlistEntry) -> dict[str, Any]:
    """An entry in the API shape (times in the site's offset); ``offer`` while offered."""
    tz = entry.site.tzinfo
    hold = entry.hold if entry.status == "offered" else None
    return {
        "id": str(entry.pk),
        "status": entry.status,
        "client": str(entry.client_id),
        "treatment": entry.treatment.code,
        "practitioner": entry.practitioner.code if entry.practitioner else None,
        "site": entry.site.code,
        "from": _iso(entry.window_start, tz),
        "to": _iso(entry.window_end, tz),
        "offer": {
            "start": _iso(hold.start, tz),
            "treatment_start": _iso(hold.treatment_start, tz),
            "end": _iso(hold.end, tz),
            "practitioner": hold.practitioner.code,
            "room": hold.room.code,
            "device": hold.device.code if hold.device else None,
            "expires_at": _iso(hold.expires_at, tz),
        }
        if hold is not None
        else None,
        "appointment": str(entry.appointment_id) if entry.appointment_id else None,
    }


@router.post("/waitlist", response={201: WaitlistOut}, by_alias=True)
def waitlist_create(request: HttpRequest, payload: WaitlistIn) -> Status[dict[str, Any]]:
    """Put a client on the waiting list; 201 with ``status`` ``offered`` (and the held
    ``offer``) when a start in the window is free already, else ``waiting``."""
    require(request.user, Access.STAFF)
    client = client_by_id(payload.client)
    treatment = selectors.treatment_for_code(payload.treatment)
    window_start = parse_moment(payload.window_from, "from")
    window_end = parse_moment(payload.window_to, "to")
    entry = services.waitlist_join(
        actor=request.user,
        client=client,
        treatment=treatment,
        window_start=window_start,
        window_end=window_end,
        practitioner=_practitioner(payload.practitioner),
        site=selectors.site_for_code(payload.site) if payload.site else None,
    )
    return Status(201, waitlist_out(waitlist_get(entry_id=entry.pk)))


@router.get("/waitlist/{entry_id}", response=WaitlistOut, by_alias=True)
def waitlist_read(request: HttpRequest, entry_id: str) -> dict[str, Any]:
    """One waiting-list entry, with its open offer if any (audited: it names a client)."""
    require(request.user, Access.STAFF)
    entry = waitlist_get(entry_id=entry_id)
    audit_read(actor=request.user, action="waitlist.view", obj=entry, client_id=entry.client_id)
    return waitlist_out(entry)


@router.post("/waitlist/{entry_id}/accept", response={201: BookedOut})
def waitlist_accept(request: HttpRequest, entry_id: str) -> Status[dict[str, Any]]:
    """Book the entry's open offer: 201 with the appointment."""
    require(request.user, Access.STAFF)
    entry = waitlist_get(entry_id=entry_id)
    appointment = services.waitlist_accept(actor=request.user, entry=entry)
    return Status(
        201,
        appointment_out(appointment)
        | {"screening": _screening_out(appointment, clinical=sees_clinical(request.user))},
    )
