"""Waiting-list offer links are portal links (purpose ``offer``): only the token's hash is
kept, the link works until the offer's hold runs out and while that offer is open, and an
answer uses it up."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.core import mail
from django.test import Client as Browser

from mesoclinic.messaging.links import LINK_MARKER
from mesoclinic.messaging.models import Message
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client
from mesoclinic.portal.models import PortalLink
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import WaitlistEntry

from .conftest import NOW
from .test_waitlist import NINE, _freya, _join


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _offer_path() -> str:
    run_pending()
    email = next(m for m in reversed(mail.outbox) if "waiting list" in m.body)
    return re.search(r"https?://[^/\s]+(/waitlist/offer/\S+/)accept/", email.body).group(1)


def _page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_the_offer_link_is_a_portal_link_living_as_long_as_the_hold(api):
    entry = WaitlistEntry.objects.get(pk=_join(api, _freya()).json()["id"])
    link = PortalLink.objects.get(purpose="offer")
    assert link.hold_id == entry.hold_id
    assert link.expires_at == entry.hold.expires_at == NOW + dt.timedelta(minutes=60)
    assert link.token_hash == ""  # no token before the email goes
    # when
    path = _offer_path()
    # then: only the token's SHA-256 is kept, and the log keeps the marker, not the link
    token = path.rstrip("/").rsplit("/", 1)[1]
    link.refresh_from_db()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    logged = Message.objects.get(kind="waitlist_offer")
    assert LINK_MARKER in logged.body
    assert token not in logged.body


def test_answering_uses_the_link_once(api):
    _join(api, _freya())
    path = _offer_path()
    browser = Browser()
    # when
    declined = browser.post(f"{path}decline/")
    # then
    assert "we've passed this time on" in _page(declined)
    assert PortalLink.objects.get(purpose="offer").used_at == NOW
    assert browser.get(f"{path}accept/").status_code == 400
    assert browser.post(f"{path}accept/").status_code == 400


def test_an_offer_answered_at_the_desk_closes_its_emailed_link(api):
    entry = _join(api, _freya()).json()
    path = _offer_path()
    # when: reception declines it for the client, and a later start is offered to them
    stored = WaitlistEntry.objects.get(pk=entry["id"])
    stored.window_end = NINE + dt.timedelta(hours=3)
    stored.save(update_fields=["window_end"])
    services.waitlist_decline(actor=None, entry=stored)
    stored.refresh_from_db()
    assert stored.status == "offered"
    assert stored.hold.start > NINE
    # then: the first email's link shows nothing; the new offer's link shows the new time
    closed = Browser().get(f"{path}accept/")
    assert closed.status_code == 400
    assert "This offer is no longer open" in _page(closed)
    assert Browser().get(f"{_offer_path()}accept/").status_code == 200


def test_an_offer_that_ran_out_has_a_dead_link(api, monkeypatch):
    _join(api, _freya())
    path = _offer_path()
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW + dt.timedelta(minutes=61))
    # when
    page = Browser().post(f"{path}accept/")
    # then
    assert page.status_code == 400
    assert not WaitlistEntry.objects.filter(status="accepted").exists()


def test_an_offer_closed_before_its_email_goes_sends_nothing(api):
    entry = _join(api, _freya()).json()
    services.waitlist_cancel(actor=None, entry=WaitlistEntry.objects.get(pk=entry["id"]))
    # when
    run_pending()
    # then
    assert not [m for m in mail.outbox if "waiting list" in m.body]
    assert Message.objects.get(kind="waitlist_offer").status == "cancelled"


def test_a_client_without_an_email_gets_no_link(api):
    freya = _freya()
    Client.objects.filter(pk=freya.pk).update(email="")
    _join(api, freya)
    assert not PortalLink.objects.filter(purpose="offer").exists()
