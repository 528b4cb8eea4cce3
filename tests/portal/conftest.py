"""Fixtures for portal tests: locmem email and SMS, a helper to follow the booking steps."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from mesoclinic.core import clock
from mesoclinic.messaging import channels
from mesoclinic.messaging.worker import run_pending


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESOCLINIC = {
        **settings.MESOCLINIC,
        "SMS_BACKEND": "mesoclinic.messaging.channels.LocmemSmsBackend",
    }
    channels.SMS_OUTBOX.clear()


def next_weekday(weekday: int, *, weeks: int = 1) -> dt.date:
    """The date of ``weekday`` (0 = Monday) at least ``weeks`` weeks from today."""
    today = clock.today()
    day = today + dt.timedelta(days=7 * weeks)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def verification_link() -> str:
    """Deliver queued emails and return the path of the last verification link."""
    run_pending()
    for message in reversed(mail.outbox):
        found = re.search(r"https?://[^/\s]+(/account/verify/[^\s]+/)", message.body)
        if found:
            return found.group(1)
    raise AssertionError("no verification email")
