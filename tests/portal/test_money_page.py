"""The client's own packages, vouchers, credit and fees in the portal."""

from __future__ import annotations

import datetime as dt

from django.test import Client as HttpClient
from tests.portal.accounts import verified_client_account

from mesoclinic.billing import account_services as account
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client


def _signed_in(client: Client, email: str) -> HttpClient:
    portal = verified_client_account(email=email, password="violet-harbour-42")
    portal.client = client
    portal.save(update_fields=["client"])
    browser = HttpClient()
    browser.force_login(portal.user)
    return browser


def test_the_client_sees_their_package_voucher_credit_and_fees(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    treatment = Treatment.objects.get(code="face-revitalise")
    account.package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=6, price="1440", method="card"
    )
    account.voucher_issue(
        actor=None,
        value="75",
        expires_on=clock.today() + dt.timedelta(days=200),
        client=amelia,
        code="GV-AMELIA",
    )
    account.credit_goodwill(actor=None, client=amelia, amount="20")
    browser = _signed_in(amelia, "amelia.portal@example.com")

    assert "/account/money/" in browser.get("/account/").content.decode()
    page = browser.get("/account/money/").content.decode()

    assert "6 of 6 sessions left" in page
    assert "GV-AMELIA" in page
    assert "£75.00 left" in page
    assert 'id="credit-balance">£20.00<' in page
    assert 'id="fees-due">£0.00<' in page
    assert AuditEntry.objects.filter(action="client.account.view", client_id=amelia.pk).exists()


def test_another_clients_account_is_not_shown(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    account.credit_goodwill(actor=None, client=amelia, amount="33")
    other = Client.objects.exclude(pk=amelia.pk).first()
    page = _signed_in(other, "other.portal@example.com").get("/account/money/").content.decode()
    assert "£33.00" not in page
    assert 'id="credit-balance">£0.00<' in page


def test_staff_and_visitors_do_not_get_the_client_page(demo):
    assert HttpClient().get("/account/money/").status_code == 302
    staff = HttpClient()
    staff.login(username="reception", password="mesoclinic-demo")
    assert staff.get("/account/money/").status_code == 403
