"""Supervision: a practitioner's signed records wait for their named supervisor's sign-off.

A practitioner with ``sign_off_by`` set has each record they sign queued for that
supervisor (a current prescriber), who approves it or returns it with a comment. Who may
decide is :func:`mesoclinic.people.roles.require_supervisor`; every decision is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_read, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import Practitioner
from mesoclinic.people.roles import require_supervisor
from mesoclinic.records.models import (
    AssessmentPhoto,
    SignOff,
    SignOffStatus,
    TreatmentRecord,
)
from mesoclinic.safety import selectors as safety_selectors
from mesoclinic.safety.models import SignedConsent


class SignOffError(StrEnum):
    """Why a sign-off decision was refused (codes of the refusals)."""

    NOT_FOUND = "sign_off_not_found"
    DECIDED = "sign_off_decided"
    COMMENT_REQUIRED = "comment_required"


# --- writes -------------------------------------------------------------------------------


def sign_off_queue(*, actor: Actor, record: TreatmentRecord) -> SignOff | None:
    """Queue a just-signed record for its author's supervisor, when they have one.

    Called inside :func:`records.services.treatment_records.record_sign`'s transaction, so a refused signing
    queues nothing.
    """
    supervisor_id = record.practitioner.sign_off_by_id
    if supervisor_id is None:
        return None
    sign_off = SignOff.objects.create(
        record=record, supervisor_id=supervisor_id, created_at=clock.now()
    )
    audit_read(
        actor=actor,
        action="sign_off.queue",
        obj=sign_off,
        client_id=record.client_id,
        summary=f"Record {record.pk} queued for sign-off",
    )
    return sign_off


def _decide(*, actor: Actor, sign_off: SignOff, status: str, comment: str) -> SignOff:
    require_supervisor(actor, supervisor=sign_off.supervisor)
    with transaction.atomic():
        locked = SignOff.objects.select_for_update().get(pk=sign_off.pk)
        if locked.status != SignOffStatus.PENDING:
            raise Conflict(
                SignOffError.DECIDED,
                f"This sign-off was already {locked.status}.",
                details={"status": locked.status},
            )
        locked.status = status
        locked.comment = comment
        locked.decided_by = actor if isinstance(actor, AbstractBaseUser) else None  # type: ignore[assignment]
        locked.decided_at = clock.now()
        locked.save(update_fields=["status", "comment", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action=f"sign_off.{'approve' if status == SignOffStatus.APPROVED else 'return'}",
            obj=locked,
            client_id=locked.record.client_id,
            summary=f"Record {locked.record_id} sign-off {status}",
            data={"record": locked.record_id, "comment": comment},
        )
    return locked


def sign_off_approve(*, actor: Actor, sign_off: SignOff, comment: str = "") -> SignOff:
    """Approve a record: only its named supervisor (403 ``not_supervisor``), once (409)."""
    return _decide(
        actor=actor, sign_off=sign_off, status=SignOffStatus.APPROVED, comment=comment.strip()
    )


def sign_off_return(*, actor: Actor, sign_off: SignOff, comment: str) -> SignOff:
    """Return a record to its author with a comment saying why (400 ``comment_required``)."""
    require_supervisor(actor, supervisor=sign_off.supervisor)
    if not comment.strip():
        raise InvalidInput(
            SignOffError.COMMENT_REQUIRED, "Say why the record is returned: a comment is required."
        )
    return _decide(
        actor=actor, sign_off=sign_off, status=SignOffStatus.RETURNED, comment=comment.strip()
    )


def sign_offs_decide(
    *, actor: Actor, sign_offs: Sequence[SignOff], approve: bool, comment: str = ""
) -> list[SignOff]:
    """Decide several at once (the queue page's bulk action): all or none."""
    with transaction.atomic():
        if approve:
            return [sign_off_approve(actor=actor, sign_off=s, comment=comment) for s in sign_offs]
        return [sign_off_return(actor=actor, sign_off=s, comment=comment) for s in sign_offs]


# --- reads --------------------------------------------------------------------------------


def sign_off_get(sign_off_id: str | int) -> SignOff:
    """One sign-off, or 404 ``sign_off_not_found``."""
    return get_by_opaque_id(
        SignOff.objects.select_related("record", "supervisor"),
        sign_off_id,
        code=SignOffError.NOT_FOUND,
        noun="sign-off",
    )


def sign_offs_pending(*, supervisor: Practitioner) -> QuerySet[SignOff]:
    """The supervisor's own queue: pending sign-offs, oldest first."""
    return SignOff.objects.filter(
        supervisor=supervisor, status=SignOffStatus.PENDING
    ).select_related(
        "record__client", "record__treatment", "record__practitioner", "record__appointment"
    )


def sign_off_of(record: TreatmentRecord) -> SignOff | None:
    """The record's sign-off, if it was queued."""
    return SignOff.objects.filter(record=record).first()


@dataclass(frozen=True, slots=True)
class CheckItem:
    label: str
    ok: bool


def completeness(record: TreatmentRecord) -> list[CheckItem]:
    """What a supervisor checks before approving: questionnaire current on the day, consent
    on file for the treatment, products with lots, areas treated, photos taken."""
    client = record.client
    questionnaire = safety_selectors.questionnaire_latest(client=client)
    day = safety_selectors.local_date(
        record.performed_at, safety_selectors.client_time_zone(client=client)
    )
    products = list(record.products.all())
    return [
        CheckItem(
            "Questionnaire current",
            questionnaire is not None
            and safety_selectors.questionnaire_is_current(questionnaire=questionnaire, on=day),
        ),
        CheckItem(
            "Consent on file",
            SignedConsent.objects.filter(client=client, treatment=record.treatment).exists(),
        ),
        CheckItem("Products and lots", bool(products) and all(use.batch_id for use in products)),
        CheckItem("Injection sites and areas", record.areas.exists()),
        CheckItem(
            "Photos",
            AssessmentPhoto.objects.filter(assessment__appointment=record.appointment).exists(),
        ),
    ]


def sign_off_out(sign_off: SignOff) -> dict[str, Any]:
    """A sign-off as JSON, with its record's completeness checklist."""
    record = sign_off.record
    return {
        "id": str(sign_off.pk),
        "record": str(record.pk),
        "client": str(record.client_id),
        "treatment": record.treatment.code,
        "practitioner": record.practitioner.code,
        "performed_at": record.performed_at,
        "status": sign_off.status,
        "comment": sign_off.comment,
        "decided_at": sign_off.decided_at,
        "checklist": [{"item": c.label, "ok": c.ok} for c in completeness(record)],
    }
