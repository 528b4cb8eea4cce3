"""Recall: noting that a client was told about a recalled lot."""

from __future__ import annotations

from django.db import transaction

from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.people.models import Client
from mesoclinic.records.models import RecallContact
from mesoclinic.records.services.helpers import _label


def recall_contact_mark(*, actor: Actor, lot: str, client: Client, note: str = "") -> RecallContact:
    """Note that a client was told about a recalled lot (once per lot and client)."""
    with transaction.atomic():
        contact, created = RecallContact.objects.get_or_create(
            lot=lot.strip(),
            client=client,
            defaults={
                "contacted_at": clock.now(),
                "contacted_by_label": _label(actor),
                "note": note.strip()[:300],
            },
        )
        if created:
            audit_record(
                actor=actor,
                action="recall.contact",
                obj=contact,
                client_id=client.pk,
                summary=f"Contacted about lot {lot}",
            )
    return contact
