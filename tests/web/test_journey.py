"""The staff client page's journey section: messages, quotes and payments, online account."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client as HttpClient
from tests.messaging.queued import booking_messages_written

from mesoclinic.billing import services as billing
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging import channels, delivery
from mesoclinic.messaging import services as messaging
from mesoclinic.messaging.models import Message, MessageKind, MessageStatus
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.portal import services as portal
from mesoclinic.scheduling import services as scheduling
from mesoclinic.scheduling.models import Appointment

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # Monday 1 February 2027
HTMX = {"HX-Request": "true"}
PASSWORD = "violet-harbour-42"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def clock(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESOCLINIC = {
        **settings.MESOCLINIC,
        "SMS_BACKEND": "mesoclinic.messaging.channels.LocmemSmsBackend",
    }
    channels.SMS_OUTBOX.clear()
    frozen = Clock()
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: frozen.now)
    return frozen


@pytest.fixture
def browser(demo):
    browser = HttpClient()
    assert browser.login(username="reception", password="mesoclinic-demo")
    return browser


@pytest.fixture
def amelia(demo):
    client = Client.objects.get(email="amelia.hart@example.com")
    client.phone = client.phone or "+447700900123"
    client.save(update_fields=["phone"])
    return client


def book(client: Client) -> Appointment:
    """Face revitalise on Monday 8 February 2027 at 10:00 London (messages written, as
    the worker writes them)."""
    appointment = scheduling.appointment_book(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        start=dt.datetime(2027, 2, 8, 10, 0, tzinfo=LONDON),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )
    booking_messages_written()
    return appointment


def journey(browser: HttpClient, client: Client) -> str:
    response = browser.get(f"/clients/{client.pk}/journey/", headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_client_page_loads_the_section_lazily(browser, amelia):
    html = browser.get(f"/clients/{amelia.pk}/").content.decode()
    assert f'hx-get="/clients/{amelia.pk}/journey/"' in html
    assert 'hx-trigger="load"' in html
    assert "No online account." not in html  # not rendered with the page itself


def test_empty_states(browser, amelia):
    html = journey(browser, amelia)
    assert "<html" not in html  # an htmx fragment
    assert "No messages to this client yet." in html
    assert "No quotes or payments recorded." in html
    assert "No online account." in html


def test_without_htmx_the_section_is_a_page_of_its_own(browser, amelia):
    html = browser.get(f"/clients/{amelia.pk}/journey/").content.decode()
    assert "<html" in html
    assert "<h1>Messages, payments and online account</h1>" in html
    assert "No messages to this client yet." in html


def test_messages_show_kind_channel_recipient_status_attempts_and_last_error(
    browser, amelia, clock, monkeypatch
):
    # given a booking, its confirmation email sent, and its confirmation SMS failing for good
    appointment = book(amelia)
    confirmation = Message.objects.get(
        appointment=appointment, kind=MessageKind.CONFIRMATION, channel="email"
    )
    sms = Message.objects.get(appointment=appointment, kind=MessageKind.CONFIRMATION, channel="sms")
    assert delivery.message_deliver(message_id=confirmation.pk) == "sent"

    def broken(outgoing):
        raise channels.DeliveryFailed("no route to the SMS provider")

    monkeypatch.setitem(channels.DELIVER, "sms", broken)
    outcomes = []
    for _ in range(5):
        outcomes.append(delivery.message_deliver(message_id=sms.pk))
        clock.advance(hours=3)
    assert outcomes[-1] == "failed"
    # when
    html = journey(browser, amelia)
    # then
    assert "Booking confirmation" in html
    assert "Reminder" in html
    assert "Preparation" in html
    assert amelia.email in html
    assert amelia.phone in html
    assert '<span class="badge ok">Sent</span>' in html
    assert '<span class="badge danger">Failed</span>' in html
    assert '<span class="badge warn">Scheduled</span>' in html
    assert "5 attempts" in html
    assert "Last error: no route to the SMS provider" in html
    assert '<th scope="col">Recipient</th>' in html
    total = Message.objects.filter(client=amelia).count()
    assert f"{total} messages: 1 sent, {total - 2} scheduled, 1 failed, 0 cancelled." in html


def test_messages_newest_first_capped_with_a_show_all_page(browser, amelia):
    for n in range(12):
        messaging.message_schedule(
            key=f"test:journey:{n}",
            kind=MessageKind.MAINTENANCE_DUE,
            channel="email",
            recipient=f"n{n:02d}@example.com",
            subject="Due",
            body="Due",
            send_after=NOW + dt.timedelta(days=n),
            client=amelia,
        )
    html = journey(browser, amelia)
    assert html.count("Maintenance due") == 10
    assert html.index("n11@example.com") < html.index("n10@example.com")
    assert "n01@example.com" not in html
    assert f'<a href="/clients/{amelia.pk}/messages/">Show all 12 messages</a>' in html
    page = browser.get(f"/clients/{amelia.pk}/messages/").content.decode()
    assert page.count("Maintenance due") == 12
    assert "n00@example.com" in page


def test_payments_and_quotes_with_totals_and_the_balance_per_appointment(browser, amelia):
    # given
    reception = get_user_model().objects.get(username="reception")
    appointment = book(amelia)
    for kind, amount in (("deposit", "20"), ("payment", "60"), ("refund", "10")):
        billing.payment_record(
            actor=reception,
            appointment=appointment,
            kind=kind,
            method="card",
            amount=amount,
            reference=f"ref-{kind}",
        )
    quote = billing.quote_create(
        actor=reception, treatment=appointment.treatment, sessions=6, client=amelia
    )
    # when
    html = journey(browser, amelia)
    # then
    assert billing.appointment_balance(appointment=appointment) == Decimal("70.00")
    assert "<caption>Money recorded, by appointment</caption>" in html
    for text in ("Deposit", "Payment", "Refund", "ref-deposit", "−£10.00", "by reception"):
        assert text in html
    assert "<dt>Deposits</dt><dd>£20.00</dd>" in html
    assert "<dt>Payments</dt><dd>£60.00</dd>" in html
    assert "<dt>Refunds</dt><dd>£10.00</dd>" in html
    assert "<dt>Held</dt><dd><strong>£70.00</strong></dd>" in html
    assert "Held for this appointment" in html
    assert "<caption>Quotes, newest first</caption>" in html
    assert f"<strong>£{quote.total}</strong>" in html
    assert "No quotes or payments recorded." not in html


def test_a_kept_deposit_after_a_late_cancellation_is_shown(browser, amelia, clock):
    appointment = book(amelia)
    billing.payment_record(
        actor=None, appointment=appointment, kind="deposit", method="cash", amount="25"
    )
    clock.now = appointment.start - dt.timedelta(hours=2)  # inside the notice period
    billing.deposit_settle_on_cancel(actor=None, appointment=appointment)
    html = journey(browser, amelia)
    assert "Deposit kept (late cancellation)" in html
    assert "<dt>Deposits kept</dt><dd>£25.00</dd>" in html


def verified_account(client: Client):
    portal.account_signup(
        email=client.email,
        given_name=client.given_name,
        family_name=client.family_name,
        birth_date=client.birth_date,
    )
    run_pending()
    body = next(m.body for m in reversed(mail.outbox) if client.email in m.to)
    token = re.search(r"/account/verify/([^/\s]+)/", body).group(1)
    account, _ = portal.signup_complete(
        token=token,
        password=PASSWORD,
        given_name=client.given_name,
        family_name=client.family_name,
        birth_date=client.birth_date,
    )
    return account


def test_a_verified_online_account_is_shown(browser, amelia):
    account = verified_account(amelia)
    assert account.client == amelia
    html = journey(browser, amelia)
    assert '<span class="badge ok">Verified</span> since 1 Feb 2027' in html
    assert "To this client, already on file" in html
    assert "No online account." not in html


def test_login_is_required(demo, amelia):
    for path in (f"/clients/{amelia.pk}/journey/", f"/clients/{amelia.pk}/messages/"):
        response = HttpClient().get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_a_client_logged_in_to_the_portal_is_refused(amelia):
    account = verified_account(amelia)
    visitor = HttpClient()
    assert visitor.login(username=account.user.username, password=PASSWORD)
    assert visitor.get(f"/clients/{amelia.pk}/journey/", headers=HTMX).status_code == 403
    assert visitor.get(f"/clients/{amelia.pk}/messages/").status_code == 403
    assert not AuditEntry.objects.filter(action="client.journey.view").exists()


@pytest.mark.parametrize("username", ["reception", "dr-patel", "admin"])
def test_staff_may_see_it_and_each_read_is_audited(demo, amelia, username):
    browser = HttpClient()
    assert browser.login(username=username, password="mesoclinic-demo")
    assert browser.get(f"/clients/{amelia.pk}/journey/", headers=HTMX).status_code == 200
    entry = AuditEntry.objects.get(action="client.journey.view")
    assert entry.client_id == amelia.pk
    assert entry.actor_label == username
    assert entry.object_type == "client"
    assert entry.object_id == str(amelia.pk)


def test_an_unknown_client_is_a_404(browser):
    assert browser.get("/clients/999999/journey/", headers=HTMX).status_code == 404


def test_the_messages_page_is_audited_too(browser, amelia):
    assert browser.get(f"/clients/{amelia.pk}/messages/").status_code == 200
    assert AuditEntry.objects.filter(
        action="client.journey.view", client_id=amelia.pk, summary="All messages, page 1"
    ).exists()


def test_cancelled_messages_are_listed_for_staff(browser, amelia):
    appointment = book(amelia)
    scheduling.appointment_cancel(actor=None, appointment=appointment, reason="Client asked")
    html = journey(browser, amelia)
    assert Message.objects.filter(client=amelia, status=MessageStatus.CANCELLED).exists()
    assert '<span class="badge">Cancelled</span>' in html
    assert "Appointment cancelled" in html
