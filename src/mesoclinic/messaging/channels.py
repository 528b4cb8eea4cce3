"""Channels: one interface to hand a message to email or SMS.

Email goes through Django's email framework (``EMAIL_BACKEND``; the console backend in the
demo). SMS goes through ``MESOCLINIC["SMS_BACKEND"]``: a logging backend by default, a
``locmem`` backend for tests, or a provider adapter a clinic writes against
:class:`SmsBackend` (one method: ``send(to, text) -> reference``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

logger = logging.getLogger("mesoclinic.sms")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a channel needs to deliver one message."""

    recipient: str
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()


class DeliveryFailed(Exception):
    """A channel could not hand the message over; the send will be retried."""


class SmsBackend(Protocol):
    """An SMS provider adapter."""

    def send(self, to: str, text: str) -> str:
        """Send ``text`` to the phone number ``to``; return the provider's reference."""
        ...


class LoggingSmsBackend:
    """Writes each SMS to the ``mesoclinic.sms`` log instead of sending it."""

    def send(self, to: str, text: str) -> str:
        reference = f"log-{get_random_string(12)}"
        logger.info("SMS to %s [%s]: %s", to, reference, text)
        return reference


SMS_OUTBOX: list[tuple[str, str]] = []
"""What :class:`LocmemSmsBackend` has sent, for tests (like ``django.core.mail.outbox``)."""


class LocmemSmsBackend:
    """Keeps SMS in :data:`SMS_OUTBOX` (tests)."""

    def send(self, to: str, text: str) -> str:
        SMS_OUTBOX.append((to, text))
        return f"locmem-{len(SMS_OUTBOX)}"


def sms_backend() -> SmsBackend:
    """The configured SMS backend."""
    default = "mesoclinic.messaging.channels.LoggingSmsBackend"
    path = str(settings.MESOCLINIC.get("SMS_BACKEND", default))
    backend: SmsBackend = import_string(path)()
    return backend


def deliver_email(outgoing: Outgoing) -> str:
    """Send one email; returns a reference (the Message-ID is set by Django)."""
    email = EmailMessage(
        subject=outgoing.subject,
        body=outgoing.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outgoing.recipient],
    )
    for filename, content, mimetype in outgoing.attachments:
        # A type with parameters (``text/calendar; method=CANCEL``, as iMIP asks) is kept
        # whole: Django builds text parts as MIMEText(content, "<subtype; params>"), which
        # writes ``Content-Type: text/calendar; method=CANCEL; charset="utf-8"``.
        email.attach(filename, content, mimetype)
    try:
        sent = email.send(fail_silently=False)
    except Exception as error:  # SMTP and backend errors of every kind are retried
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
    if sent != 1:
        raise DeliveryFailed("The email backend accepted no message.")
    return "email"


def deliver_sms(outgoing: Outgoing) -> str:
    """Send one SMS through the configured backend."""
    try:
        return sms_backend().send(outgoing.recipient, outgoing.body)
    except Exception as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


DELIVER = {"email": deliver_email, "sms": deliver_sms}
