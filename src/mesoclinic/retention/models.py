"""Erasure requests: a client's (or, on their behalf, staff's) request to be forgotten, and
what the clinic decided. The request outlives the client it names: ``client`` is emptied
when the client is deleted, ``client_number`` stays for the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.people.models import Client


class ErasureStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    COMPLETED = "completed", "Carried out"
    REFUSED = "refused", "Refused"


class ErasureOutcome(models.TextChoices):
    DELETED = "deleted", "Client deleted"
    ANONYMISED = "anonymised", "Contact details removed, records kept"


class RequestChannel(models.TextChoices):
    PORTAL = "portal", "Client portal"
    STAFF = "staff", "Recorded by staff"


class ErasureRequest(models.Model):
    """Who asked to be erased, when, and what was decided (``decisions``: one entry per part
    of the file: item, action, reason, kept until)."""

    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure_requests"
    )
    client_number = models.BigIntegerField(help_text="The client's number, kept after deletion.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=RequestChannel.choices)
    requested_at = models.DateTimeField()
    note = models.TextField(blank=True, help_text="What the client said, if anything.")
    status = models.CharField(
        max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=ErasureOutcome.choices, blank=True)
    decisions = models.JSONField(default=list, blank=True)
    refusal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="pending"),
                name="erasure_one_pending_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"Erasure request {self.pk} for client {self.client_number} ({self.status})"
