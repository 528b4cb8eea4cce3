"""The message log (an outbox: every message to a client, sent or due).

A :class:`Message` is created when something happens (a booking, a signed record) and is
sent later by a background task. Its ``key`` is unique — one row per appointment, kind,
channel and occurrence — so scheduling the same message twice creates nothing new, and
sending claims the row first so two workers never send it twice. Each attempt to send is
a :class:`DeliveryAttempt`.

The sending tasks themselves are queued by django-tasks-db (see ``messaging.worker``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation"
    RESCHEDULED = "rescheduled", "Appointment moved"
    CANCELLATION = "cancellation", "Appointment cancelled"
    REMINDER = "reminder", "Reminder"
    PREPARATION = "preparation", "Preparation"
    AFTERCARE = "aftercare", "Aftercare"
    MAINTENANCE_DUE = "maintenance_due", "Maintenance due"
    EMAIL_VERIFICATION = "email_verification", "Email verification"
    ACCOUNT_EXISTS = "account_exists", "Sign-up for an existing account"
    PASSWORD_RESET = "password_reset", "Password reset"
    RESET_NO_ACCOUNT = "reset_no_account", "Password reset for an unknown address"
    WAITLIST_OFFER = "waitlist_offer", "Waiting-list offer"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Due"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Message(models.Model):
    """One message to one recipient on one channel, with its content fixed at scheduling."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=24, choices=MessageKind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    attach_ics = models.BooleanField(default=False)
    link_ref = models.CharField(
        max_length=100,
        blank=True,
        help_text="A one-time link made at send time in place of the body's marker "
        "(messaging.links); the link itself is never stored.",
    )
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["send_after", "id"]
        indexes = [
            models.Index(fields=["status", "send_after"], name="message_due"),
            models.Index(fields=["client", "send_after"], name="message_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="message_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} to {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at handing a message to its channel: when, and whether it worked."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    at = models.DateTimeField()
    succeeded = models.BooleanField()
    error = models.CharField(max_length=500, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return (
            f"{self.message_id} {'ok' if self.succeeded else 'failed'} at {self.at:%Y-%m-%d %H:%M}"
        )
