"""Money on account for the demo clinic: a prepaid package, a gift voucher and goodwill
credit, so the staff account panel and the client's portal page have something to show.

Idempotent: each is added only when it is not there yet (the voucher by its code, the
package by client and treatment, the credit by its note).
"""

from __future__ import annotations

import datetime as dt

from mesoclinic.billing import account_services as account
from mesoclinic.billing.models import AccountEntry, CoursePackage, GiftVoucher
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client

DEMO_CLIENT = "sophie.carter@example.com"
PACKAGE = ("pigmentation", 6, "1500.00")  # treatment, sessions, price
VOUCHER = ("GV-DEMO-GIFT", "100.00", 365)  # code, value, valid for days
CREDIT = ("25.00", "Demo: goodwill credit after a late-running appointment")


def load_billing_demo() -> None:
    """Add the demo's package, voucher and credit where they are missing."""
    client = Client.objects.filter(email=DEMO_CLIENT).first()
    if client is None:
        return
    code, sessions, price = PACKAGE
    treatment = Treatment.objects.filter(code=code).first()
    if treatment and not CoursePackage.objects.filter(client=client, treatment=treatment).exists():
        account.package_sell(
            actor=None,
            client=client,
            treatment=treatment,
            sessions=sessions,
            price=price,
            method="card",
        )
    voucher_code, value, days = VOUCHER
    if not GiftVoucher.objects.filter(code=voucher_code).exists():
        account.voucher_issue(
            actor=None,
            value=value,
            expires_on=clock.today() + dt.timedelta(days=days),
            client=client,
            code=voucher_code,
            note="Demo: a birthday present",
        )
    amount, note = CREDIT
    if not AccountEntry.objects.filter(client=client, note=note).exists():
        account.credit_goodwill(actor=None, client=client, amount=amount, note=note)
