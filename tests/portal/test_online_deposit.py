"""A client pays their deposit online through the payment provider (the sandbox here):
the deposit is recorded once, only when the provider says it was paid; no card data kept."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client as Browser

from mesoclinic.billing.models import OnlinePayment, Payment
from mesoclinic.people.models import Client

from .conftest import next_weekday
from .test_accounts import PASSWORD, _book, _verified_account


@pytest.fixture
def sandbox(settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PAYMENT_PROVIDER": "sandbox"}


@pytest.fixture
def amelia_booked(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    account = _verified_account(amelia)
    appointment = _book(amelia, next_weekday(1, weeks=3))
    browser = Browser()
    assert browser.login(username=account.user.username, password=PASSWORD)
    return browser, appointment


def _checkout(browser, appointment) -> str:
    response = browser.post(f"/account/appointments/{appointment.pk}/deposit/")
    assert response.status_code == 302
    assert re.fullmatch(r"/pay/sandbox/sbx_[\w-]+/", response["Location"])
    return response["Location"]


def test_a_client_pays_the_deposit_with_a_test_card(sandbox, amelia_booked):
    browser, appointment = amelia_booked
    assert "Pay the £60.00 deposit now" in browser.get("/account/").content.decode()

    checkout = _checkout(browser, appointment)
    back = browser.post(checkout, {"card_number": "4242 4242 4242 4242"})
    done = browser.get(back["Location"], follow=True)

    deposit = Payment.objects.get(appointment=appointment, kind="deposit")
    assert deposit.amount == Decimal("60.00")
    assert deposit.reference.startswith("sbx_")
    assert "your £60.00 deposit is paid" in done.content.decode()
    assert "Pay the" not in browser.get("/account/").content.decode()
    # coming back again records nothing twice
    browser.get(back["Location"])
    assert Payment.objects.filter(appointment=appointment, kind="deposit").count() == 1
    assert "4242" not in str(list(OnlinePayment.objects.values()))


def test_a_declined_card_takes_no_deposit(sandbox, amelia_booked):
    browser, appointment = amelia_booked
    checkout = _checkout(browser, appointment)

    back = browser.post(checkout, {"card_number": "4000 0000 0000 0002"})
    done = browser.get(back["Location"], follow=True)

    assert not Payment.objects.filter(appointment=appointment).exists()
    assert "The card was declined" in done.content.decode()


def test_a_card_that_is_not_a_test_card_is_refused_plainly(sandbox, amelia_booked):
    browser, appointment = amelia_booked
    response = browser.post(_checkout(browser, appointment), {"card_number": "1234"})
    assert response.status_code == 400
    assert "Use a test card" in response.content.decode()


def test_without_a_provider_the_deposit_is_paid_at_the_clinic(amelia_booked):
    browser, appointment = amelia_booked
    assert "Pay the" not in browser.get("/account/").content.decode()
    response = browser.post(f"/account/appointments/{appointment.pk}/deposit/", follow=True)
    assert "Deposits are paid at the clinic" in response.content.decode()
    assert Browser().get("/pay/sandbox/sbx_x/").status_code == 404


def test_another_clients_payment_cannot_be_finished_by_someone_else(sandbox, amelia_booked):
    browser, appointment = amelia_booked
    checkout = _checkout(browser, appointment)
    intent = checkout.rstrip("/").rsplit("/", 1)[1]
    other = Client.objects.exclude(pk=appointment.client_id).filter(email__gt="").first()
    other_account = _verified_account(other)
    stranger = Browser()
    assert stranger.login(username=other_account.user.username, password=PASSWORD)
    assert stranger.get(f"/account/deposit/{intent}/").status_code == 404
