"""Follow-ups: recording a follow-up's outcome, once, by a practitioner."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.people import roles
from mesoclinic.records import reactions as reaction_rules
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import AdverseEvent, FollowUp, FollowUpOutcome, Reaction
from mesoclinic.records.services.helpers import _label


def follow_up_complete(
    *,
    actor: Actor,
    follow_up: FollowUp,
    outcome: str,
    notes: str = "",
    adverse_event: AdverseEvent | None = None,
) -> FollowUp:
    """Record a follow-up's outcome (including ``no_adverse_event``); done once only, by a
    practitioner. A session that recorded a reaction at the adverse-event threshold (a
    large bruise) cannot be closed as ``no_adverse_event`` (422 ``adverse_event_threshold``)."""
    if isinstance(actor, AbstractBaseUser):
        roles.own_practitioner(actor)
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput(
            "invalid_outcome",
            f"Outcome must be one of {', '.join(FollowUpOutcome.values)}.",
            details={"field": "outcome"},
        )
    _check_threshold(follow_up, outcome)
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.is_done:
            raise Conflict(RecordError.FOLLOW_UP_DONE, "This follow-up is already recorded.")
        locked.outcome = outcome
        locked.notes = notes.strip()
        locked.adverse_event = adverse_event
        locked.completed_at = clock.now()
        locked.completed_by_label = _label(actor)
        locked.save()
        audit_record(
            actor=actor,
            action="follow_up.complete",
            obj=locked,
            client_id=locked.client_id,
            summary=f"{locked.kind}: {outcome}",
        )
    return locked


def _check_threshold(follow_up: FollowUp, outcome: str) -> None:
    at_threshold = reaction_rules.at_adverse_event_threshold(follow_up.record.reactions or ())
    if outcome == FollowUpOutcome.NO_ADVERSE_EVENT and at_threshold:
        labels = ", ".join(str(Reaction(code).label).lower() for code in at_threshold)
        raise RuleRefused(
            RecordError.ADVERSE_EVENT_THRESHOLD,
            f"The session recorded a {labels}, which is at the adverse-event threshold: "
            "report it as an adverse event, or record the follow-up as expected effects "
            "settling.",
            details={"field": "outcome", "reactions": at_threshold},
        )
