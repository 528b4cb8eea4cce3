"""Staff pages: mark a no-show and see the fee, the client's account, the booking flags,
the no-show preset in the treatment settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.records.factories import book
from tests.web.staff import staff_login

from mesoclinic.billing.models import AccountEntry, CoursePackage, GiftVoucher
from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client

NOW = dt.datetime(2027, 2, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)


@pytest.fixture
def amelia(demo):
    return Client.objects.get(email="amelia.hart@example.com")


@pytest.fixture
def strict(demo):
    Treatment.objects.filter(code="face-revitalise").update(
        no_show_policy="strict", no_show_fee_percent=Decimal("40")
    )


def test_reception_marks_a_no_show_and_sees_the_fee(amelia, strict):
    visit = book(at=NOW.replace(hour=9))
    payment_record(actor=None, appointment=visit, kind="deposit", method="card", amount="60")
    desk = staff_login("reception")
    detail = desk.get(f"/appointments/{visit.pk}/").content.decode()
    assert "Mark a no-show" in detail

    confirm = desk.get(f"/appointments/{visit.pk}/no-show/").content.decode()
    assert "Strict" in confirm
    assert "a fee of 40% of the price" in confirm
    refused = desk.post(f"/appointments/{visit.pk}/no-show/", {})
    assert refused.status_code == 400
    response = desk.post(f"/appointments/{visit.pk}/no-show/", {"confirm": "on"}, follow=True)

    page = response.content.decode()
    assert "Marked a no-show: deposit £60.00 kept, no-show fee £120.00 added" in page
    assert 'id="no-show-fee"' in page
    assert "£120.00" in page
    assert AccountEntry.objects.get(client=amelia).amount == Decimal("120.00")
    again = desk.post(f"/appointments/{visit.pk}/no-show/", {"confirm": "on"})
    assert again.status_code == 409
    assert AccountEntry.objects.filter(client=amelia).count() == 1


def test_a_future_appointment_offers_no_no_show(amelia):
    visit = book(at=NOW + dt.timedelta(days=2))
    desk = staff_login("reception")
    assert "Mark a no-show" not in desk.get(f"/appointments/{visit.pk}/").content.decode()
    assert desk.post(f"/appointments/{visit.pk}/no-show/", {"confirm": "on"}).status_code == 422


def test_the_booking_page_shows_the_clients_no_shows_and_unpaid_fee(amelia, strict):
    from mesoclinic.billing.account_services import no_show_mark

    no_show_mark(actor=None, appointment=book(at=NOW.replace(hour=9)))
    page = staff_login("reception").get("/calendar/book/", {"q": "Hart"}).content.decode()
    assert "1 no-show · £120.00 unpaid fee" in page


def test_the_client_account_sells_a_package_issues_a_voucher_and_gives_credit(amelia):
    desk = staff_login("reception")
    url = f"/clients/{amelia.pk}/account/"
    assert f'hx-get="{url}"' in desk.get(f"/clients/{amelia.pk}/").content.decode()

    sold = desk.post(
        url,
        {
            "action": "package",
            "package-treatment": "face-revitalise",
            "package-sessions": "6",
            "package-price": "1440",
            "package-method": "card",
        },
        follow=True,
    )
    assert "Sold 6 sessions of" in sold.content.decode()
    desk.post(
        url,
        {
            "action": "voucher",
            "voucher-value": "50",
            "voucher-expires_on": "2027-12-31",
            "voucher-method": "card",
        },
    )
    desk.post(url, {"action": "credit", "credit-amount": "25", "credit-note": "Goodwill"})
    bad = desk.post(url, {"action": "credit", "credit-amount": "-3"})
    assert bad.status_code == 400

    panel = desk.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in panel
    assert "£25.00" in panel
    assert "<strong>6</strong>" in panel
    assert CoursePackage.objects.get(client=amelia).sessions == 6
    assert GiftVoucher.objects.get(client=amelia).value == Decimal("50.00")
    assert AuditEntry.objects.filter(action="client.account.view").exists()


def test_the_fee_payment_form_refuses_more_than_is_owed(amelia):
    response = staff_login("reception").post(
        f"/clients/{amelia.pk}/account/",
        {"action": "fee", "fee-amount": "10", "fee-method": "cash"},
    )
    assert response.status_code == 409
    assert "owes £0" in response.content.decode()


def test_the_owner_sets_a_treatments_no_show_policy_in_the_settings(demo):
    owner = staff_login("admin")
    treatment = Treatment.objects.get(code="face-revitalise")
    page = owner.get("/settings/treatments/face-revitalise/").content.decode()
    assert "No-show policy" in page
    assert "Strict: the deposit is kept and a fee is charged" in page
    data = {
        "name": treatment.name,
        "treatment_minutes": treatment.treatment_minutes,
        "numbing_minutes": treatment.numbing_minutes,
        "price": "300",
        "no_show_policy": "strict",
        "no_show_fee_percent": "25",
        "bookable_online": "on",
        "active": "on",
    }
    assert owner.post("/settings/treatments/face-revitalise/", data).status_code == 302
    treatment.refresh_from_db()
    assert (treatment.no_show_policy, treatment.no_show_fee_percent) == ("strict", Decimal("25"))
    entry = AuditEntry.objects.get(action="treatment.update")
    assert entry.data["changes"]["no_show_policy"] == {"from": "moderate", "to": "strict"}
    refused = owner.post(
        "/settings/treatments/face-revitalise/", data | {"no_show_fee_percent": "120"}
    )
    assert refused.status_code == 400


def test_the_booking_page_tells_the_client_the_no_show_rule_before_booking(strict):
    from mesoclinic.billing.policy import booking_policy_summary

    text = booking_policy_summary(Treatment.objects.get(code="face-revitalise"))
    assert "If you miss your appointment without telling us" in text
    assert "40%" in text


def test_the_desk_refunds_part_of_a_payment_to_credit_and_the_client_spends_it(amelia):
    visit = book(at=NOW + dt.timedelta(days=3))
    payment_record(actor=None, appointment=visit, kind="payment", method="card", amount="100")
    desk = staff_login("reception")
    url = f"/appointments/{visit.pk}/pay/"
    assert "Refund to account credit" in desk.get(url).content.decode()

    too_much = desk.post(url, {"refund": "1", "refund-amount": "150"})
    assert too_much.status_code == 409
    assert not AccountEntry.objects.filter(client=amelia).exists()

    refunded = desk.post(url, {"refund": "1", "refund-amount": "40", "refund-note": "Late start"})
    assert refunded.status_code == 302
    [credit] = AccountEntry.objects.filter(client=amelia)
    assert (credit.kind, credit.amount) == ("credit_refund", Decimal("40.00"))

    spent = desk.post(url, {"credit": "1", "credit-amount": "25"}, follow=True)
    assert "£25.00 paid by account credit." in spent.content.decode()
    kinds = sorted(AccountEntry.objects.filter(client=amelia).values_list("kind", flat=True))
    assert kinds == ["credit_refund", "credit_spent"]
    assert (
        AuditEntry.objects.filter(action__startswith="account.", client_id=amelia.pk).count() >= 2
    )
