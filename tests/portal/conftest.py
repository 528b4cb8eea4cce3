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


def emailed_link(kind: str = "verify", to: str | None = None) -> str:
    """Deliver queued emails and return the path of the last ``kind`` link emailed
    (``verify`` or ``password-reset``), to ``to`` if given."""
    run_pending()
    for message in reversed(mail.outbox):
        if to is not None and to not in message.to:
            continue
        found = re.search(rf"https?://[^/\s]+(/account/{kind}/[^\s]+/)", message.body)
        if found:
            return found.group(1)
    raise AssertionError(f"no {kind} email")


def verification_link() -> str:
    """Deliver queued emails and return the path of the last verification link."""
    return emailed_link("verify")


NEW_PASSWORD = "violet-harbour-42"


def complete_signup(browser, link: str, *, booking_mine: str | None = "yes", **changes):
    """Open the verification ``link`` and finish the sign-up with :data:`NEW_PASSWORD`
    (keeping the details shown unless ``changes`` says otherwise); returns the response."""
    page = browser.get(link)
    assert page.status_code == 200, page.content.decode()[:500]
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in ("given_name", "family_name", "phone")}
    data["birth_date"] = form.initial["birth_date"].isoformat()
    data |= {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    if booking_mine is not None:
        data["booking_mine"] = booking_mine
    return browser.post(link, data | changes)
