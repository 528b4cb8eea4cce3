"""Adverse events: a suspected reaction reported with its suspected batches (the Yellow
Card draft is built from it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction

from mesoclinic.catalogue.models import Batch
from mesoclinic.core import clock, validation
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.models import Client
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventProduct,
    ProductUse,
    Seriousness,
)
from mesoclinic.records.services.helpers import _label, _user
from mesoclinic.scheduling.models import Appointment


def _suspect_batch(lot: str, client: Client) -> Batch:
    lot = lot.strip()
    batches = list(Batch.objects.filter(lot=lot).select_related("formulation"))
    if not batches:
        raise InvalidInput(
            RecordError.UNKNOWN_BATCH, f"No batch with lot {lot!r}.", details={"lot": lot}
        )
    received = set(
        ProductUse.objects.filter(batch__in=batches, record__client=client).values_list(
            "batch_id", flat=True
        )
    )
    return next((b for b in batches if b.pk in received), batches[0])


def adverse_event_report(
    *,
    actor: Actor,
    client: Client,
    onset: dt.date,
    description: str,
    outcome: str,
    lots: Sequence[str] = (),
    seriousness: Sequence[str] = (),
    appointment: Appointment | None = None,
    treatment_given: str = "",
    other_medicines: Sequence[str] = (),
    ended_on: dt.date | None = None,
) -> AdverseEvent:
    """Report a suspected adverse reaction with its suspected batches (for the Yellow Card)."""
    description = description.strip()
    if not description:
        raise InvalidInput(
            RecordError.TEXT_REQUIRED, "Describe the reaction.", details={"field": "description"}
        )
    if onset > clock.today():
        raise validation.date_refusal(onset)(
            RecordError.ONSET_IN_FUTURE,
            "The onset cannot be in the future.",
            details={"field": "onset"},
        )
    _check_choices("seriousness", seriousness, Seriousness.values)
    _check_choices("outcome", [outcome], AdverseEventOutcome.values)
    if appointment is not None and appointment.client_id != client.pk:
        raise InvalidInput(
            RecordError.APPOINTMENT_NOT_FOR_CLIENT,
            "That appointment is another client's.",
            details={"field": "appointment"},
        )
    batches = [_suspect_batch(lot, client) for lot in dict.fromkeys(lots)]
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            client=client,
            appointment=appointment,
            onset=onset,
            ended_on=ended_on,
            description=description,
            seriousness=list(dict.fromkeys(seriousness)),
            outcome=outcome,
            treatment_given=treatment_given.strip(),
            other_medicines=[m.strip() for m in other_medicines if m.strip()],
            reported_at=clock.now(),
            reporter=_user(actor),
            reporter_label=_label(actor),
        )
        AdverseEventProduct.objects.bulk_create(
            AdverseEventProduct(event=event, batch=batch) for batch in batches
        )
        audit_record(
            actor=actor,
            action="adverse_event.report",
            obj=event,
            client_id=client.pk,
            summary=f"Onset {onset}; serious: {', '.join(seriousness) or 'no'}",
        )
    return event


def _check_choices(field_name: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise InvalidInput(
            f"invalid_{field_name}",
            f"Unknown {field_name} {unknown[0]!r}; use {', '.join(allowed)}.",
            details={"field": field_name, "allowed": list(allowed)},
        )
