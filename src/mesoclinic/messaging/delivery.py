"""Delivering messages: send one due message at most once (:func:`message_deliver`, run by
the worker's ``deliver_message`` task), retry a failure with backoff, and put messages
whose worker died or whose task was lost back in the queue
(:func:`messages_requeue_stale`). Messages are scheduled by ``messaging.services``."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q

from mesoclinic.core import clock
from mesoclinic.messaging.channels import DELIVER, DeliveryFailed, Outgoing
from mesoclinic.messaging.ics import appointment_ics, ics_content_type, ics_method
from mesoclinic.messaging.links import body_with_link, link_mint
from mesoclinic.messaging.models import DeliveryAttempt, Message, MessageStatus
from mesoclinic.messaging.schedule import retry_delay
from mesoclinic.messaging.services import COURSE_KEY_PART, _enqueue_deliveries
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

logger = logging.getLogger(__name__)

STALE_SENDING = dt.timedelta(minutes=15)
"""A message left "sending" this long (its worker died) goes back to the queue."""


def _attachments(message: Message) -> tuple[tuple[str, bytes, str], ...]:
    appointment = message.appointment
    if not message.attach_ics or appointment is None:
        return ()
    # The appointment as it stands at sending, with its own SEQUENCE: the same file the
    # .ics endpoint serves, so a calendar never sees the email's copy as newer or older.
    if appointment.course_id and f":{COURSE_KEY_PART}:" in message.key:
        sessions = Appointment.objects.filter(
            course_id=appointment.course_id, status=AppointmentStatus.BOOKED
        ).select_related("site", "client", "treatment", "practitioner", "room")
        return tuple(
            (
                f"session-{session.session_number}.ics",
                appointment_ics(session),
                ics_content_type(ics_method(session), charset=False),
            )
            for session in sessions.order_by("session_number", "pk")
        )
    ics = appointment_ics(appointment)
    content_type = ics_content_type(ics_method(appointment), charset=False)
    return (("appointment.ics", ics, content_type),)


def message_deliver(*, message_id: int) -> str:
    """Send one due message at most once; on failure schedule a retry with backoff.

    Returns what happened: ``sent``, ``retry``, ``failed``, or why nothing was done
    (``already_sent``, ``cancelled``, ``not_due``, ``in_progress``, ``deleted``: the
    message was erased with its client after it was queued).
    """
    now = clock.now()
    claimed = Message.objects.filter(
        pk=message_id, status=MessageStatus.PENDING, send_after__lte=now
    ).update(status=MessageStatus.SENDING)
    if not claimed:
        message = Message.objects.filter(pk=message_id).first()
        if message is None:  # erased with its client (retention) after it was queued
            return "deleted"
        return {
            MessageStatus.SENT: "already_sent",
            MessageStatus.CANCELLED: "cancelled",
            MessageStatus.FAILED: "failed",
            MessageStatus.SENDING: "in_progress",
        }.get(MessageStatus(message.status), "not_due")
    message = Message.objects.select_related("appointment__site", "appointment__client").get(
        pk=message_id
    )
    body = message.body
    if message.link_ref:
        url = link_mint(message.link_ref)
        if url is None:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.CANCELLED, last_error="The link is no longer valid."
            )
            return "cancelled"
        body = body_with_link(body, url)
    outgoing = Outgoing(
        recipient=message.recipient,
        subject=message.subject,
        body=body,
        attachments=_attachments(message),
    )
    try:
        reference = DELIVER[message.channel](outgoing)
    except DeliveryFailed as error:
        return _record_failure(message, str(error))
    with transaction.atomic():
        sent_at = clock.now()
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT,
            sent_at=sent_at,
            attempts=message.attempts + 1,
            last_error="",
        )
        DeliveryAttempt.objects.create(
            message=message, at=sent_at, succeeded=True, provider_reference=reference[:120]
        )
    return "sent"


def _record_failure(message: Message, error: str) -> str:
    attempts = message.attempts + 1
    delay = retry_delay(attempts)
    now = clock.now()
    logger.warning("Message %s attempt %s failed: %s", message.pk, attempts, error)
    with transaction.atomic():
        DeliveryAttempt.objects.create(message=message, at=now, succeeded=False, error=error[:500])
        if delay is None:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.FAILED, attempts=attempts, last_error=error[:500]
            )
            return "failed"
        retry_at = now + delay
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.PENDING,
            attempts=attempts,
            last_error=error[:500],
            send_after=retry_at,
        )
        _enqueue_deliveries([(message.pk, retry_at)])
    return "retry"


def messages_requeue_stale() -> int:
    """Return messages stuck in "sending" (a worker died mid-send) to the queue.

    Also re-enqueues pending messages whose time passed more than 15 minutes ago without a
    delivery (their task was lost), so nothing due is ever forgotten.
    """
    now = clock.now()
    stuck = Message.objects.filter(status=MessageStatus.SENDING, send_after__lt=now - STALE_SENDING)
    count = stuck.update(status=MessageStatus.PENDING)
    overdue = Message.objects.filter(
        Q(status=MessageStatus.PENDING) & Q(send_after__lt=now - STALE_SENDING)
    ).values_list("pk", flat=True)
    overdue_ids = list(overdue)
    _enqueue_deliveries((message_id, now) for message_id in overdue_ids)
    return count + len(overdue_ids)
