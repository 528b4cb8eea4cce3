"""Reads for messaging: a client's messages, for the portal and the staff client page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from mesoclinic.messaging.models import Message, MessageStatus
from mesoclinic.people.models import Client


def client_messages(*, client: Client, include_cancelled: bool = False) -> QuerySet[Message]:
    """Messages to ``client``, newest first, with their delivery attempts."""
    messages = Message.objects.filter(client=client).prefetch_related("deliveries")
    if not include_cancelled:
        messages = messages.exclude(status=MessageStatus.CANCELLED)
    return messages.order_by("-send_after", "-id")


def client_message_log(*, client: Client) -> QuerySet[Message]:
    """Every message to ``client`` (cancelled ones too), newest first, for staff.

    Attempts and the last error are on the row itself, so no delivery rows are loaded;
    slice or paginate the result.
    """
    return Message.objects.filter(client=client).order_by("-send_after", "-id")


@dataclass(frozen=True, slots=True)
class MessageCounts:
    """How many of a client's messages are in each state."""

    total: int = 0
    pending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0


def client_message_counts(*, client: Client) -> MessageCounts:
    """Counts of ``client``'s messages by state (sending counts as pending), in one query."""
    by_status = dict(
        Message.objects.filter(client=client)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return MessageCounts(
        total=sum(by_status.values()),
        pending=by_status.get(MessageStatus.PENDING, 0) + by_status.get(MessageStatus.SENDING, 0),
        sent=by_status.get(MessageStatus.SENT, 0),
        failed=by_status.get(MessageStatus.FAILED, 0),
        cancelled=by_status.get(MessageStatus.CANCELLED, 0),
    )
