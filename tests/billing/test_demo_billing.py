"""The demo's money on account: a package, a voucher and credit, loaded once."""

from __future__ import annotations

from decimal import Decimal

from mesoclinic.billing.models import AccountEntry, CoursePackage, GiftVoucher
from mesoclinic.billing.selectors import client_account
from mesoclinic.demo.billing import DEMO_CLIENT, load_billing_demo
from mesoclinic.people.models import Client


def test_the_demo_has_a_package_a_voucher_and_credit_and_loads_them_once(demo):
    load_billing_demo()
    load_billing_demo()

    sophie = Client.objects.get(email=DEMO_CLIENT)
    found = client_account(client=sophie)
    assert [(line.bought, line.left) for line in found.packages] == [(6, 6)]
    assert [line.voucher.code for line in found.vouchers] == ["GV-DEMO-GIFT"]
    assert found.balances.credit == Decimal("25.00")
    assert CoursePackage.objects.count() == 1
    assert GiftVoucher.objects.count() == 1
    assert AccountEntry.objects.count() == 1
