"""Prepaid packages, gift vouchers and account credit: ledgers that only grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.records.factories import book

from mesoclinic.billing import account_services as account
from mesoclinic.billing.models import AccountEntry, PackageEntry, Payment
from mesoclinic.billing.selectors import account_balances, client_account
from mesoclinic.core.errors import Conflict, InvalidInput, NotFound, RuleRefused
from mesoclinic.core.models import AuditEntry

from .conftest import NOW


def test_a_package_sold_at_the_desk_shows_sessions_bought_used_and_left(amelia, desk):
    response = desk.post(
        f"/clients/{amelia.pk}/packages",
        {"treatment": "face-revitalise", "sessions": 6, "price": "1440.00", "method": "card"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["sessions_left"] == 6
    first, second = book(at=NOW.replace(hour=9)), book(at=NOW.replace(day=2, hour=9))

    account.package_session_use(actor=None, appointment=first)
    account.package_session_use(actor=None, appointment=first)  # twice: one session only
    account.package_session_use(actor=None, appointment=second)

    body = desk.get(f"/clients/{amelia.pk}/account").json()
    (package,) = body["packages"]
    assert (package["sessions_bought"], package["sessions_used"], package["sessions_left"]) == (
        6,
        2,
        4,
    )
    assert AuditEntry.objects.filter(action="package.sell").count() == 1
    assert AuditEntry.objects.filter(action="package.use").count() == 2
    assert AuditEntry.objects.filter(action="client.account.view").exists()


def test_the_oldest_package_is_used_first_and_an_empty_one_never(amelia, treatment):
    older = account.package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=1, price="300", method="cash"
    )
    newer = account.package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=1, price="300", method="cash"
    )
    uses = [
        account.package_session_use(actor=None, appointment=book(at=NOW.replace(day=d, hour=9)))
        for d in (2, 3, 4)
    ]
    assert [u.package_id if u else None for u in uses] == [older.pk, newer.pk, None]
    assert [line.left for line in client_account(client=amelia).packages] == [0, 0]


def test_ledger_rows_are_never_changed(amelia, treatment):
    package = account.package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=3, price="900", method="card"
    )
    entry = PackageEntry.objects.get(package=package)
    entry.sessions = 30
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


@pytest.mark.parametrize(("sessions", "price"), [(0, "100"), (53, "100"), (3, "-1"), (3, "x")])
def test_a_bad_package_is_refused(amelia, treatment, sessions, price):
    with pytest.raises(InvalidInput):
        account.package_sell(
            actor=None,
            client=amelia,
            treatment=treatment,
            sessions=sessions,
            price=price,
            method="card",
        )


def test_a_voucher_pays_up_to_its_balance_then_is_used_up(amelia, desk):
    issued = desk.post(
        "/vouchers",
        {"value": "100.00", "expires_on": "2027-12-31", "client": str(amelia.pk), "code": "gv-t1"},
    )
    assert issued.status_code == 201, issued.content
    assert issued.json()["code"] == "GV-T1"
    visit = book(at=NOW.replace(hour=9))

    paid = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "gv-t1", "amount": "70"})
    assert paid.status_code == 201, paid.content
    assert paid.json()["balance"] == {"amount": "30.00", "currency": "GBP"}

    too_much = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "GV-T1", "amount": "31"})
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "voucher_balance_exceeded"
    assert (
        desk.post(
            f"/appointments/{visit.pk}/voucher", {"code": "GV-T1", "amount": "30"}
        ).status_code
        == 201
    )
    used_up = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "GV-T1", "amount": "1"})
    assert used_up.status_code == 409
    assert used_up.json()["error"]["code"] == "voucher_used_up"
    payments = Payment.objects.filter(appointment=visit, method="voucher")
    assert sum(p.amount for p in payments) == Decimal("100.00")
    (line,) = client_account(client=amelia).vouchers
    assert line.balance == Decimal("0.00")


def test_an_expired_voucher_is_refused_and_an_unknown_code_is_404(amelia, desk, monkeypatch):
    account.voucher_issue(actor=None, value="50", expires_on=dt.date(2027, 2, 1), code="GV-OLD")
    visit = book(at=NOW.replace(hour=9))
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW + dt.timedelta(days=1))

    expired = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "GV-OLD", "amount": "5"})
    assert expired.status_code == 422
    assert expired.json()["error"]["code"] == "voucher_expired"
    unknown = desk.post(f"/appointments/{visit.pk}/voucher", {"code": "GV-NONE", "amount": "5"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "voucher_unknown"
    assert not Payment.objects.filter(appointment=visit).exists()


def test_a_voucher_code_is_unique_and_expiry_not_in_the_past(amelia):
    account.voucher_issue(actor=None, value="50", expires_on=dt.date(2027, 6, 1), code="GV-X")
    with pytest.raises(Conflict):
        account.voucher_issue(actor=None, value="10", expires_on=dt.date(2027, 6, 1), code="gv-x")
    with pytest.raises(RuleRefused):
        account.voucher_issue(actor=None, value="10", expires_on=dt.date(2027, 1, 1))
    made_up = account.voucher_issue(actor=None, value="10", expires_on=dt.date(2027, 6, 1))
    assert made_up.code.startswith("GV-")
    assert len(made_up.code) == 11


def test_credit_from_a_refund_and_goodwill_is_spent_on_a_payment(amelia, desk, missed):
    # the £60 deposit of an appointment is refunded to credit instead of the card
    account.credit_from_refund(actor=None, appointment=missed, amount="60")
    with pytest.raises(Conflict):  # nothing more was paid for it
        account.credit_from_refund(actor=None, appointment=missed, amount="1")
    assert (
        desk.post(f"/clients/{amelia.pk}/credit", {"amount": "15", "note": "Sorry"}).status_code
        == 201
    )
    assert account_balances(client=amelia).credit == Decimal("75.00")

    visit = book(at=NOW.replace(day=2, hour=9))
    spent = desk.post(f"/appointments/{visit.pk}/credit", {"amount": "70"})
    assert spent.status_code == 201, spent.content
    assert account_balances(client=amelia).credit == Decimal("5.00")
    too_much = desk.post(f"/appointments/{visit.pk}/credit", {"amount": "5.01"})
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "credit_insufficient"
    kinds = list(
        AccountEntry.objects.filter(client=amelia).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["credit_refund", "credit_goodwill", "credit_spent"]
    assert Payment.objects.get(appointment=visit).method == "credit"


def test_a_voucher_or_credit_pays_no_more_than_is_left_to_pay(amelia, desk):
    account.credit_goodwill(actor=None, client=amelia, amount="500")
    visit = book(at=NOW.replace(hour=9))  # £300
    refused = desk.post(f"/appointments/{visit.pk}/credit", {"amount": "300.01"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "payment_exceeds_price"


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "0", "-5", "abc", "100000"])
def test_an_amount_that_is_not_money_is_400(amelia, amount):
    with pytest.raises(InvalidInput) as refused:
        account.credit_goodwill(actor=None, client=amelia, amount=amount)
    assert refused.value.code == "invalid_amount"


def test_an_unknown_voucher_code_is_not_found(demo):
    with pytest.raises(NotFound):
        account.voucher_get("nope")


def test_an_erased_client_takes_their_account_with_them(amelia, treatment, missed):
    from mesoclinic.billing.models import CoursePackage, GiftVoucher
    from mesoclinic.retention.deletion import delete_with_dependents
    from mesoclinic.retention.selectors import client_histories

    account.package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=2, price="500", method="card"
    )
    account.package_session_use(actor=None, appointment=missed)
    account.voucher_issue(actor=None, value="20", expires_on=dt.date(2027, 6, 1), client=amelia)
    account.credit_from_refund(actor=None, appointment=missed, amount="60")
    assert client_histories([amelia])[amelia.pk] is not None

    delete_with_dependents(type(amelia).objects.filter(pk=amelia.pk))

    assert not CoursePackage.objects.exists()
    assert not GiftVoucher.objects.exists()
    assert not AccountEntry.objects.exists()
