"""Reads for messaging: a client's messages, for the portal and the staff client page."""

from __future__ import annotations

from django.db.models import QuerySet

from mesoclinic.messaging.models import Message, MessageStatus
from mesoclinic.people.models import Client


def client_messages(*, client: Client, include_cancelled: bool = False) -> QuerySet[Message]:
    """Messages to ``client``, newest first, with their delivery attempts."""
    messages = Message.objects.filter(client=client).prefetch_related("deliveries")
    if not include_cancelled:
        messages = messages.exclude(status=MessageStatus.CANCELLED)
    return messages.order_by("-send_after", "-id")
