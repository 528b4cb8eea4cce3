"""Practitioners' absences and the re-plan of the appointments they hit."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from mesoclinic.api.scheduling.parsing import _practitioner, parse_moment
from mesoclinic.api.scheduling.schemas import AbsenceIn, ReplanAppliedOut, ReplanApplyIn, ReplanOut
from mesoclinic.api.scheduling.shaping import appointment_out, slot_out
from mesoclinic.core import validation
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import Absence, Practitioner
from mesoclinic.people.roles import Access, require, require_calendar_manager
from mesoclinic.scheduling import planning, selectors, services
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code

router = Router(tags=["scheduling"])


def _absence(practitioner: Practitioner, absence_id: str) -> Absence:
    return get_by_opaque_id(
        Absence.objects.select_related("practitioner").filter(practitioner=practitioner),
        absence_id,
        code=Code.ABSENCE_NOT_FOUND,
        noun=f"absence of {practitioner.code}",
    )


def _replan_out(preview: planning.ReplanPreview) -> dict[str, Any]:
    absence = preview.absence
    return {
        "absence": str(absence.pk),
        "practitioner": absence.practitioner.code,
        "starts_at": absence.starts_at.isoformat(),
        "ends_at": absence.ends_at.isoformat(),
        "reason": absence.reason,
        "affected": [appointment_out(appointment) for appointment in preview.affected],
        "proposals": [
            {"appointment": str(p.appointment.pk), "kind": p.kind, "slot": slot_out(p.slot)}
            for p in preview.proposals
        ],
        "phone": [
            {"appointment": appointment_out(item.appointment), "reason": item.reason}
            for item in preview.phone
        ],
    }


@router.post("/practitioners/{code}/absences", response={201: ReplanOut})
def absence_create(request: HttpRequest, code: str, payload: AbsenceIn) -> Status[dict[str, Any]]:
    """Record an absence; the answer lists the booked appointments it hits and a proposed
    re-plan (apply it with ``POST …/absences/{id}/replan``)."""
    require(request.user, Access.STAFF)
    practitioner = selectors.practitioner_for_code(code)
    require_calendar_manager(request.user, practitioner=practitioner)
    absence = services.absence_record(
        actor=request.user,
        practitioner=practitioner,
        starts_at=parse_moment(payload.starts_at, "starts_at"),
        ends_at=parse_moment(payload.ends_at, "ends_at"),
        reason=payload.reason,
    )
    return Status(201, _replan_out(planning.absence_replan_preview(absence=absence)))


@router.get("/practitioners/{code}/absences/{absence_id}/replan", response=ReplanOut)
def absence_replan_preview(request: HttpRequest, code: str, absence_id: str) -> dict[str, Any]:
    """The current re-plan proposal for an absence (nothing is changed); like the absence
    itself, for an administrator or the practitioner whose calendar it is."""
    require(request.user, Access.STAFF)
    absence = _absence(selectors.practitioner_for_code(code), absence_id)
    require_calendar_manager(request.user, practitioner=absence.practitioner)
    return _replan_out(planning.absence_replan_preview(absence=absence))


@router.post("/practitioners/{code}/absences/{absence_id}/replan", response=ReplanAppliedOut)
def absence_replan_apply(
    request: HttpRequest, code: str, absence_id: str, payload: ReplanApplyIn
) -> dict[str, Any]:
    """Apply the proposal (or the given ``moves``); what cannot move is listed to call."""
    require(request.user, Access.STAFF)
    absence = _absence(selectors.practitioner_for_code(code), absence_id)
    require_calendar_manager(request.user, practitioner=absence.practitioner)
    moves = None
    if payload.moves is not None:
        moves = [
            (
                int(str(move.appointment)) if validation.is_id(move.appointment) else -1,
                parse_moment(move.start, "start"),
                _practitioner(move.practitioner).code if move.practitioner else None,  # type: ignore[union-attr]
            )
            for move in payload.moves
        ]
    result = services.absence_replan_apply(actor=request.user, absence=absence, moves=moves)
    return {
        "moved": [appointment_out(appointment) for appointment in result.moved],
        "phone": [
            {"appointment": appointment_out(appointment), "reason": reason}
            for appointment, reason in result.phone
        ],
    }
