"""API routes for supervision: the acting supervisor's sign-off queue and their decisions.
Thin: check the route class, call the supervision service, shape the answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from mesoclinic.api.types import InputSchema
from mesoclinic.people.roles import Access, own_practitioner, require
from mesoclinic.records import supervision

router = Router(tags=["supervision"])


class CommentIn(InputSchema):
    comment: str = ""


@router.get("/sign-offs", response=list[dict[str, Any]])
def sign_off_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The acting supervisor's pending sign-offs, oldest first, each with its checklist."""
    require(request.user, Access.CLINICAL)
    supervisor = own_practitioner(request.user)
    return [
        supervision.sign_off_out(s) for s in supervision.sign_offs_pending(supervisor=supervisor)
    ]


@router.post("/sign-offs/{sign_off_id}/approve", response=dict[str, Any])
def sign_off_approve(request: HttpRequest, sign_off_id: str) -> dict[str, Any]:
    """Approve a record (the named supervisor only: 403 ``not_supervisor``; once: 409)."""
    require(request.user, Access.CLINICAL)
    decided = supervision.sign_off_approve(
        actor=request.user,
        sign_off=supervision.sign_off_get(sign_off_id),
    )
    return supervision.sign_off_out(decided)


@router.post("/sign-offs/{sign_off_id}/return", response=dict[str, Any])
def sign_off_return(request: HttpRequest, sign_off_id: str, payload: CommentIn) -> dict[str, Any]:
    """Return a record to its author with a comment (400 ``comment_required`` without)."""
    require(request.user, Access.CLINICAL)
    decided = supervision.sign_off_return(
        actor=request.user,
        sign_off=supervision.sign_off_get(sign_off_id),
        comment=payload.comment,
    )
    return supervision.sign_off_out(decided)
