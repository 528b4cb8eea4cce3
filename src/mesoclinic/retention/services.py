"""Writes for retention: recording an erasure request, carrying it out or refusing it, and
disposing of a client's file once every retention period is over.

Each service runs in one transaction and writes its audit entries in it: a failure half
way leaves nothing changed and nothing audited. Carrying out a request twice does nothing
the second time; asking twice while a request waits returns the waiting one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_entry, audit_record, audit_record_many
from mesoclinic.core.errors import Conflict, RuleRefused
from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.retention.deletion import delete_with_dependents
from mesoclinic.retention.errors import RetentionErrorCode as Code
from mesoclinic.retention.models import (
    ErasureOutcome,
    ErasureRequest,
    ErasureStatus,
    RequestChannel,
)
from mesoclinic.retention.participants import erasure_participants_run
from mesoclinic.retention.policy import retention_policy
from mesoclinic.retention.rules import ErasurePlan, disposal_date
from mesoclinic.retention.selectors import client_erasure_plan, client_history

CONTACT_FIELDS = ("email", "phone", "address")


def erasure_request_create(
    *, actor: Actor, client: Client, channel: RequestChannel, note: str = ""
) -> ErasureRequest:
    """Record ``client``'s request to be erased, for an administrator to decide. A request
    already waiting is returned as it is (asking twice is one request)."""
    with transaction.atomic():
        waiting = ErasureRequest.objects.filter(client=client, status=ErasureStatus.PENDING).first()
        if waiting is not None:
            return waiting
        try:
            with transaction.atomic():
                request = ErasureRequest.objects.create(
                    client=client,
                    client_number=client.pk,
                    requested_by=_user(actor),
                    channel=channel,
                    requested_at=clock.now(),
                    note=note.strip()[:2000],
                )
        except IntegrityError:  # another request for the client was recorded meanwhile
            return ErasureRequest.objects.get(client=client, status=ErasureStatus.PENDING)
        audit_record(
            actor=actor,
            action="erasure.request",
            obj=request,
            client_id=client.pk,
            summary=f"Erasure requested ({channel})",
        )
        return request


def erasure_carry_out(*, actor: Actor, request_id: int) -> ErasureRequest:
    """Honour a waiting erasure request, as :func:`~.rules.erasure_plan` says: delete the
    client's whole file when nothing must be kept, otherwise remove their contact details,
    portal account and messages and keep the clinical record and payments until their
    retention ends. One audit entry per step. A request already carried out is returned
    unchanged; a refused one is a 409 ``erasure_already_decided``; a client with upcoming
    appointments a 409 ``erasure_upcoming_appointments``."""
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status == ErasureStatus.COMPLETED:
            return request
        if request.status != ErasureStatus.PENDING:
            raise Conflict(Code.ALREADY_DECIDED, "This request was already refused.")
        client = request.client
        if client is None:  # disposed of while the request waited: nothing left to erase
            return _complete(request, actor=actor, outcome=ErasureOutcome.DELETED, entries=[])
        plan = client_erasure_plan(client)
        if plan.blocked:
            raise Conflict(Code.UPCOMING_APPOINTMENTS, plan.blocked)
        entries = _decision_entries(actor, client, plan)
        done = erasure_participants_run(client)
        entries += [
            audit_entry(
                actor=actor,
                action="erasure.delete",
                obj=client,
                client_id=client.pk,
                summary=f"{name}: {what}",
            )
            for name, steps in done.items()
            for what in steps
        ]
        if plan.deletes_client:
            deleted = delete_with_dependents(Client.objects.filter(pk=client.pk))
            entries[0].data = {"deleted": dict(deleted)}
            outcome = ErasureOutcome.DELETED
        else:
            _anonymise(client)
            outcome = ErasureOutcome.ANONYMISED
        request.decisions = [decision.as_dict() for decision in plan.decisions]
        return _complete(request, actor=actor, outcome=outcome, entries=entries)


def _decision_entries(actor: Actor, client: Client, plan: ErasurePlan) -> list[AuditEntry]:
    """One audit entry per decision (made before anything is deleted: they name the client)."""
    return [
        audit_entry(
            actor=actor,
            action=f"erasure.{decision.action}",
            obj=client,
            client_id=client.pk,
            summary=f"{decision.item}: {decision.reason}"
            + (f" (until {decision.until:%d %b %Y})" if decision.until else ""),
            data=decision.as_dict(),
        )
        for decision in plan.decisions
    ]


def _anonymise(client: Client) -> None:
    """Remove the client's contact details and marketing consent and the messages sent to
    them; name, date of birth and clinical content stay with the record."""
    for field in CONTACT_FIELDS:
        setattr(client, field, "")
    client.marketing_opt_in = False
    client.archived_at = client.archived_at or clock.now()
    client.save(update_fields=[*CONTACT_FIELDS, "marketing_opt_in", "archived_at"])
    delete_with_dependents(Message.objects.filter(client=client))


def _complete(
    request: ErasureRequest,
    *,
    actor: Actor,
    outcome: ErasureOutcome,
    entries: list[AuditEntry],
) -> ErasureRequest:
    request.status = ErasureStatus.COMPLETED
    request.outcome = outcome
    request.decided_by = _user(actor)
    request.decided_at = clock.now()
    if outcome == ErasureOutcome.DELETED:
        request.client = None
    request.save()
    entries.append(
        audit_entry(
            actor=actor,
            action="erasure.complete",
            obj=request,
            client_id=request.client_number,
            summary=f"Erasure request carried out: {request.get_outcome_display()}",
        )
    )
    audit_record_many(entries)
    return request


def erasure_refuse(*, actor: Actor, request_id: int, reason: str) -> ErasureRequest:
    """Refuse a waiting request, with the reason the client will be told (422
    ``erasure_refusal_reason_required`` without one; 409 once decided; refusing a refused
    request again changes nothing)."""
    reason = reason.strip()
    if not reason:
        raise RuleRefused(Code.REFUSAL_REASON_REQUIRED, "Say why the request is refused.")
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        if request.status == ErasureStatus.REFUSED:
            return request
        if request.status != ErasureStatus.PENDING:
            raise Conflict(Code.ALREADY_DECIDED, "This request was already carried out.")
        request.status = ErasureStatus.REFUSED
        request.refusal_reason = reason[:2000]
        request.decided_by = _user(actor)
        request.decided_at = clock.now()
        request.save()
        audit_record(
            actor=actor,
            action="erasure.refuse",
            obj=request,
            client_id=request.client_number,
            summary=f"Erasure refused: {reason}",
        )
        return request


def client_dispose(*, actor: Actor, client_id: int, on: dt.date | None = None) -> dict[str, int]:
    """Destroy a client's whole file once every retention period is over (409
    ``not_due_for_disposal`` before); the rows deleted per kind, also in the audit entry.
    Disposing of a client already gone changes nothing and returns ``{}``."""
    on = on or clock.today()
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=client_id).first()
        if client is None:
            return {}
        due_on = disposal_date(retention_policy(), client_history(client))
        if due_on > on:
            raise Conflict(
                Code.NOT_DUE_FOR_DISPOSAL,
                f"This client's records must be kept until {due_on:%d %B %Y}.",
                details={"due_on": due_on.isoformat()},
            )
        entry = audit_entry(
            actor=actor,
            action="retention.dispose",
            obj=client,
            client_id=client.pk,
            summary=f"File destroyed: retention ended {due_on:%d %b %Y}",
        )
        erasure_participants_run(client)
        deleted = dict(delete_with_dependents(Client.objects.filter(pk=client.pk)))
        entry.data = {"due_on": due_on.isoformat(), "deleted": deleted}
        audit_record_many([entry])
        return deleted


def _user(actor: Actor) -> Any:
    return actor if getattr(actor, "pk", None) else None
