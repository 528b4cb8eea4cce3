"""Reversing money on a client's account: a package's unused sessions refunded, a gift
voucher voided (what is left on it given back when it was sold). Values by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.records.factories import book
from tests.web.staff import staff_login

from mesoclinic.billing import account_services as account
from mesoclinic.billing.models import PackageEntry, VoucherVoid
from mesoclinic.billing.selectors import client_account
from mesoclinic.core.models import AuditEntry

from .conftest import NOW

EXPIRY = dt.date(2027, 12, 31)


def _sell(client, treatment, sessions=6, price="1440"):
    return account.package_sell(
        actor=None,
        client=client,
        treatment=treatment,
        sessions=sessions,
        price=price,
        method="card",
    )


def test_refunding_a_package_gives_back_the_unused_sessions_share(amelia, treatment, desk):
    package = _sell(amelia, treatment)  # £240 a session
    for day in (2, 3):
        account.package_session_use(actor=None, appointment=book(at=NOW.replace(day=day, hour=9)))

    response = desk.post(
        f"/clients/{amelia.pk}/packages/{package.pk}/refund", {"method": "cash", "note": "Moved"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sessions_refunded"], body["refunded"], body["method"]) == (
        4,
        {"amount": "960.00", "currency": "GBP"},  # 1440 × 4 ÷ 6
        "cash",
    )
    assert (body["package"]["sessions_left"], body["package"]["sessions_refunded"]) == (0, 4)
    entry = PackageEntry.objects.get(package=package, kind="refunded")
    assert (entry.sessions, entry.amount, entry.method) == (-4, Decimal("960.00"), "cash")
    assert AuditEntry.objects.filter(action="package.refund", client_id=amelia.pk).count() == 1
    # a later session of the treatment no longer uses the refunded package
    later = book(at=NOW.replace(day=4, hour=9))
    assert account.package_session_use(actor=None, appointment=later) is None
    again = desk.post(f"/clients/{amelia.pk}/packages/{package.pk}/refund", {})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "package_refunded"


def test_a_package_with_every_session_used_is_a_409_and_writes_nothing(amelia, treatment, desk):
    package = _sell(amelia, treatment, sessions=1, price="300")
    account.package_session_use(actor=None, appointment=book(at=NOW.replace(day=2, hour=9)))

    response = desk.post(f"/clients/{amelia.pk}/packages/{package.pk}/refund", {})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "package_used_up"
    assert not PackageEntry.objects.filter(kind="refunded").exists()
    assert not AuditEntry.objects.filter(action="package.refund").exists()


def test_a_refund_is_rounded_to_the_penny_and_defaults_to_the_sale_method(amelia, treatment):
    package = _sell(amelia, treatment, sessions=3, price="100")
    account.package_session_use(actor=None, appointment=book(at=NOW.replace(day=2, hour=9)))

    entry = account.package_refund(actor=None, package=package)

    assert (entry.amount, entry.method) == (Decimal("66.67"), "card")  # 100 × 2 ÷ 3


def test_another_clients_package_is_a_404(amelia, treatment, desk):
    package = _sell(amelia, treatment)
    other = desk.post(f"/clients/{amelia.pk + 1}/packages/{package.pk}/refund", {})
    assert other.status_code == 404
    assert desk.post(f"/clients/{amelia.pk}/packages/99999/refund", {}).status_code == 404


def test_voiding_a_sold_voucher_refunds_what_is_left_and_stops_it(amelia, desk):
    account.voucher_issue(
        actor=None, value="100", expires_on=EXPIRY, client=amelia, code="GV-V1", method="card"
    )
    visit = book(at=NOW.replace(hour=9))
    account.voucher_redeem(actor=None, appointment=visit, code="GV-V1", amount="30")

    response = desk.post("/vouchers/gv-v1/void", {"refund_method": "card", "note": "Lost"})

    assert response.status_code == 201, response.content
    assert response.json() == {
        "code": "GV-V1",
        "voided": {"amount": "70.00", "currency": "GBP"},
        "refunded": {"amount": "70.00", "currency": "GBP"},
        "method": "card",
    }
    (line,) = client_account(client=amelia).vouchers
    assert (line.balance, line.voided) == (Decimal("0.00"), Decimal("70.00"))
    voucher = desk.get(f"/clients/{amelia.pk}/account").json()["vouchers"][0]
    assert (voucher["voided"], voucher["sold"], voucher["balance"]["amount"]) == (
        True,
        True,
        "0.00",
    )
    spend = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "GV-V1", "amount": "5"})
    assert spend.status_code == 409
    assert spend.json()["error"]["code"] == "voucher_voided"
    twice = desk.post("/vouchers/GV-V1/void", {})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "voucher_voided"
    assert AuditEntry.objects.filter(action="voucher.void").count() == 1


def test_a_voucher_given_away_is_voided_without_money_back(amelia, desk):
    account.voucher_issue(actor=None, value="25", expires_on=EXPIRY, code="GV-GIFT")

    refused = desk.post("/vouchers/GV-GIFT/void", {"refund_method": "cash"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "voucher_not_sold"
    done = desk.post("/vouchers/GV-GIFT/void", {})
    assert done.status_code == 201
    void = VoucherVoid.objects.get()
    assert (void.amount, void.refunded, void.method) == (Decimal("25.00"), Decimal("0"), "none")


def test_a_used_up_voucher_has_nothing_to_void(amelia, desk):
    account.voucher_issue(actor=None, value="20", expires_on=EXPIRY, code="GV-DONE", method="cash")
    account.voucher_redeem(
        actor=None, appointment=book(at=NOW.replace(hour=9)), code="GV-DONE", amount="20"
    )
    response = desk.post("/vouchers/GV-DONE/void", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "voucher_used_up"
    assert not VoucherVoid.objects.exists()


def test_staff_confirm_a_package_refund_on_its_own_page(amelia, treatment):
    package = _sell(amelia, treatment, sessions=4, price="1000")
    desk = staff_login("reception")
    url = f"/clients/{amelia.pk}/packages/{package.pk}/refund/"
    assert url in desk.get(f"/clients/{amelia.pk}/account/").content.decode()

    page = desk.get(url).content.decode()
    assert "4 of 4 sessions left" in page
    assert "£1000.00" in page
    unconfirmed = desk.post(url, {"method": "card"})
    assert unconfirmed.status_code == 400
    assert not PackageEntry.objects.filter(kind="refunded").exists()
    done = desk.post(url, {"method": "card", "confirm": "on"}, follow=True)
    assert "4 unused sessions refunded: £1000.00 given back." in done.content.decode()
    again = desk.post(url, {"method": "card", "confirm": "on"})
    assert again.status_code == 409
    assert "nothing to refund" in desk.get(url).content.decode()


def test_staff_confirm_voiding_a_voucher_on_its_own_page(amelia):
    voucher = account.voucher_issue(
        actor=None, value="60", expires_on=EXPIRY, client=amelia, code="GV-P1", method="card"
    )
    desk = staff_login("reception")
    url = f"/vouchers/{voucher.pk}/void/"
    assert url in desk.get(f"/clients/{amelia.pk}/account/").content.decode()

    page = desk.get(url).content.decode()
    assert "£60.00" in page
    assert "Refunded: Card (terminal)" in page
    done = desk.post(url, {"refund_method": "card", "confirm": "on"}, follow=True)
    assert "Voucher GV-P1 voided (£60.00 left on it, £60.00 given back)." in (done.content.decode())
    assert "voided already" in desk.get(url).content.decode()
    assert desk.post(url, {"refund_method": "none", "confirm": "on"}).status_code == 409
