"""Marking a no-show applies the treatment's rule: in one transaction, audited, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesoclinic.billing.account_services import no_show_charge_apply, no_show_mark
from mesoclinic.billing.models import AccountEntry, Payment, PaymentKind
from mesoclinic.billing.selectors import account_balances, booking_flags
from mesoclinic.core.errors import Conflict, RuleRefused
from mesoclinic.core.models import AuditEntry
from mesoclinic.scheduling.models import AppointmentStatus

from .conftest import NOW, set_policy


def _kept(appointment) -> Decimal:
    return sum(
        (p.amount for p in Payment.objects.filter(appointment=appointment, kind="forfeit")),
        Decimal("0"),
    )


def test_the_strict_rule_keeps_the_deposit_and_charges_the_fee_on_the_account(
    missed, treatment, amelia, desk
):
    set_policy(treatment, "strict", "50")

    response = desk.post(f"/appointments/{missed.pk}/no-show")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "no_show"
    assert body["no_show_charge"] == {
        "deposit_kept": {"amount": "60.00", "currency": "GBP"},
        "fee": {"amount": "150.00", "currency": "GBP"},
    }
    assert _kept(missed) == Decimal("60.00")
    assert account_balances(client=amelia).fees_due == Decimal("150.00")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"appointment.no_show", "payment.forfeit", "account.no_show_fee"} <= actions
    account = desk.get(f"/clients/{amelia.pk}/account").json()
    assert account["no_shows"] == 1
    assert account["fees_due"] == {"amount": "150.00", "currency": "GBP"}


def test_marking_twice_changes_nothing(missed, treatment, amelia, desk):
    set_policy(treatment, "strict")
    assert desk.post(f"/appointments/{missed.pk}/no-show").status_code == 200
    audits = AuditEntry.objects.count()

    again = desk.post(f"/appointments/{missed.pk}/no-show")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "appointment_not_active"
    # applying the rule again (a retried job, a second desk) takes nothing more either
    charge = no_show_charge_apply(actor=None, appointment=missed)
    assert (charge.forfeit, charge.fee) == (Decimal("60.00"), Decimal("150.00"))
    assert _kept(missed) == Decimal("60.00")
    assert AccountEntry.objects.filter(client=amelia).count() == 1
    assert AuditEntry.objects.count() == audits


def test_the_moderate_rule_keeps_the_deposit_only(missed, treatment, amelia):
    set_policy(treatment, "moderate")
    _, charge = no_show_mark(actor=None, appointment=missed)
    assert (charge.forfeit, charge.fee) == (Decimal("60.00"), Decimal("0"))
    assert not AccountEntry.objects.filter(client=amelia).exists()


def test_the_flexible_rule_takes_nothing(missed, treatment, amelia):
    set_policy(treatment, "flexible")
    _, charge = no_show_mark(actor=None, appointment=missed)
    assert charge.nothing
    assert not Payment.objects.filter(appointment=missed, kind=PaymentKind.FORFEIT).exists()
    assert booking_flags([amelia.pk])[amelia.pk].no_shows == 1


def test_a_refusal_writes_nothing(amelia, treatment):
    from tests.records.factories import book

    set_policy(treatment, "strict")
    ahead = book(at=NOW.replace(day=3))
    with pytest.raises(RuleRefused):
        no_show_mark(actor=None, appointment=ahead)
    ahead.refresh_from_db()
    assert ahead.status == AppointmentStatus.BOOKED
    assert not AccountEntry.objects.exists()
    with pytest.raises(Conflict):  # not a no-show: no charge to apply
        no_show_charge_apply(actor=None, appointment=ahead)


def test_a_failure_after_the_status_change_rolls_it_back(missed, treatment, monkeypatch):
    set_policy(treatment, "strict")

    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr("mesoclinic.billing.account_services.no_show_charge_apply", broken)
    with pytest.raises(RuntimeError):
        no_show_mark(actor=None, appointment=missed)
    missed.refresh_from_db()
    assert missed.status == AppointmentStatus.BOOKED


def test_fees_are_paid_down_and_never_overpaid(missed, treatment, amelia):
    set_policy(treatment, "strict", "10")
    no_show_mark(actor=None, appointment=missed)
    from mesoclinic.billing.account_services import no_show_fee_pay

    no_show_fee_pay(actor=None, client=amelia, amount="20", method="cash")
    assert account_balances(client=amelia).fees_due == Decimal("10.00")
    with pytest.raises(Conflict) as refused:
        no_show_fee_pay(actor=None, client=amelia, amount="10.01", method="cash")
    assert refused.value.code == "fee_payment_exceeds_fees"
    assert booking_flags([amelia.pk])[amelia.pk].fees_due == Decimal("10.00")


def test_the_reports_count_the_no_show(missed, treatment, api_as):
    set_policy(treatment, "strict")
    no_show_mark(actor=None, appointment=missed)
    summary = api_as("admin").get("/reports/summary", **{"from": "2027-02-01", "to": "2027-02-01"})
    assert summary.json()["appointments"]["no_show"] == 1
