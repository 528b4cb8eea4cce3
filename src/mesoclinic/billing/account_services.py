"""Writes on a client's account: no-show charges and account credit; prepaid packages
(``package_services``) and gift vouchers (``voucher_services``) are re-exported here, so
callers keep one module to import writes on the account from.

Every write is one transaction, audited, and adds rows to an append-only ledger
(``billing.models``); balances are sums over those rows, read under a row lock on the
thing being spent (the client, the package's client, the voucher) so two desks cannot
spend the same pound or session twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from mesoclinic.billing.amounts import (
    TAKING_METHODS,
    check_payment_fits,
    lock_client,
    money_amount,
    recorder,
    taking_method,
)
from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import (
    AccountEntry,
    AccountEntryKind,
    Payment,
    PaymentKind,
    PaymentMethod,
)
from mesoclinic.billing.package_services import (
    package_refund,
    package_sell,
    package_session_use,
)
from mesoclinic.billing.policy import NoShowCharge, no_show_rule
from mesoclinic.billing.selectors import account_balances
from mesoclinic.billing.voucher_services import (
    voucher_get,
    voucher_issue,
    voucher_redeem,
    voucher_void,
)
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict
from mesoclinic.people.models import Client
from mesoclinic.scheduling import services as scheduling
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

__all__ = [
    "TAKING_METHODS",
    "credit_from_refund",
    "credit_goodwill",
    "credit_spend",
    "no_show_charge_apply",
    "no_show_fee_pay",
    "no_show_mark",
    "package_refund",
    "package_sell",
    "package_session_use",
    "voucher_get",
    "voucher_issue",
    "voucher_redeem",
    "voucher_void",
]


# --- No-shows -------------------------------------------------------------------------------


def no_show_mark(*, actor: Actor, appointment: Appointment) -> tuple[Appointment, NoShowCharge]:
    """Mark ``appointment`` a no-show and apply its treatment's no-show rule, in one
    transaction: the appointment's refusals (409 not booked, 422 not started) write
    nothing. Marking it a second time is a 409 and changes nothing."""
    with transaction.atomic():
        missed = scheduling.appointment_no_show(actor=actor, appointment=appointment)
        charge = no_show_charge_apply(actor=actor, appointment=missed)
    return missed, charge


def no_show_charge_apply(*, actor: Actor, appointment: Appointment) -> NoShowCharge:
    """Keep the deposit and/or charge the fee the treatment's rule asks for a missed
    ``appointment``. Idempotent: what was already kept or charged is not taken again, so a
    second call returns what the first did and writes nothing."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("treatment")
            .get(pk=appointment.pk)
        )
        if appointment.status != AppointmentStatus.NOSHOW:
            raise Conflict(
                Code.NO_SHOW_FEE_NOT_OWED,
                "Only an appointment marked a no-show carries a no-show charge.",
                details={"status": appointment.status},
            )
        totals = {
            row["kind"]: row["total"]
            for row in Payment.objects.filter(appointment=appointment)
            .values("kind")
            .annotate(total=Sum("amount"))
        }
        deposits = Decimal(totals.get(PaymentKind.DEPOSIT, 0))
        refunded = Decimal(totals.get(PaymentKind.REFUND, 0))
        kept = Decimal(totals.get(PaymentKind.FORFEIT, 0))
        fee_before = AccountEntry.objects.filter(
            appointment=appointment, kind=AccountEntryKind.NO_SHOW_FEE
        ).first()
        rule = no_show_rule(appointment.treatment)
        due = rule.charge(
            price=appointment.price, deposit_held=max(deposits - refunded, Decimal("0"))
        )
        forfeit = max(due.forfeit - kept, Decimal("0"))
        if forfeit > 0:
            payment = Payment.objects.create(
                appointment=appointment,
                kind=PaymentKind.FORFEIT,
                method=PaymentMethod.NONE,
                amount=forfeit,
                note="No-show: deposit kept",
                recorded_at=clock.now(),
                recorded_by=recorder(actor),
            )
            audit_record(
                actor=actor,
                action="payment.forfeit",
                obj=payment,
                client_id=appointment.client_id,
                summary=f"No-show ({rule.preset}): deposit £{forfeit} kept",
            )
        if due.fee > 0 and fee_before is None:
            fee = AccountEntry.objects.create(
                client_id=appointment.client_id,
                kind=AccountEntryKind.NO_SHOW_FEE,
                amount=due.fee,
                appointment=appointment,
                note=f"No-show fee: {rule.fee_percent.normalize():f}% of "
                f"£{appointment.price} ({appointment.treatment.name}, "
                f"{appointment.start:%d %b %Y})",
                at=clock.now(),
                recorded_by=recorder(actor),
            )
            audit_record(
                actor=actor,
                action="account.no_show_fee",
                obj=fee,
                client_id=appointment.client_id,
                summary=f"No-show fee £{due.fee} for appointment {appointment.pk}",
            )
    return NoShowCharge(
        forfeit=kept + forfeit, fee=fee_before.amount if fee_before is not None else due.fee
    )


def no_show_fee_pay(
    *, actor: Actor, client: Client, amount: Decimal | str, method: str
) -> AccountEntry:
    """Record money taken towards the client's unpaid no-show fees (409 when it is more
    than they owe)."""
    value, how = money_amount(amount), taking_method(method)
    with transaction.atomic():
        lock_client(client)
        owed = account_balances(client=client).fees_due
        if value > owed:
            raise Conflict(
                Code.FEE_PAYMENT_EXCEEDS_FEES,
                f"The client owes £{owed} in no-show fees; take no more than that.",
                details={"owed": str(owed), "field": "amount"},
            )
        entry = AccountEntry.objects.create(
            client=client,
            kind=AccountEntryKind.FEE_PAID,
            amount=value,
            method=how,
            note="No-show fee paid",
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="account.fee_paid",
            obj=entry,
            client_id=client.pk,
            summary=f"£{value} {how} towards no-show fees",
        )
    return entry


# --- Account credit -------------------------------------------------------------------------


def credit_goodwill(
    *, actor: Actor, client: Client, amount: Decimal | str, note: str = ""
) -> AccountEntry:
    """Give ``client`` goodwill credit to spend on a later payment."""
    value = money_amount(amount)
    with transaction.atomic():
        entry = AccountEntry.objects.create(
            client=client,
            kind=AccountEntryKind.CREDIT_GOODWILL,
            amount=value,
            note=note.strip()[:300] or "Goodwill credit",
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="account.credit_goodwill",
            obj=entry,
            client_id=client.pk,
            summary=f"£{value} goodwill credit",
        )
    return entry


def credit_from_refund(
    *, actor: Actor, appointment: Appointment, amount: Decimal | str, note: str = ""
) -> AccountEntry:
    """Refund ``amount`` of what was paid for ``appointment`` to the client's account
    credit instead of their card: a refund (method ``credit``) and the credit it gives.
    409 ``refund_exceeds_payments`` when more than was paid."""
    value = money_amount(amount)
    with transaction.atomic():
        Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        totals = {
            row["kind"]: row["total"]
            for row in Payment.objects.filter(appointment=appointment)
            .values("kind")
            .annotate(total=Sum("amount"))
        }
        held = (
            Decimal(totals.get(PaymentKind.DEPOSIT, 0))
            + Decimal(totals.get(PaymentKind.PAYMENT, 0))
            - Decimal(totals.get(PaymentKind.REFUND, 0))
            - Decimal(totals.get(PaymentKind.FORFEIT, 0))
        )
        if value > held:
            raise Conflict(
                Code.REFUND_EXCEEDS_PAYMENTS,
                f"Only £{max(held, Decimal('0'))} paid for this appointment can be refunded.",
                details={"held": str(held), "field": "amount"},
            )
        refund = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.REFUND,
            method=PaymentMethod.CREDIT,
            amount=value,
            note="Refunded to account credit",
            recorded_at=clock.now(),
            recorded_by=recorder(actor),
        )
        entry = AccountEntry.objects.create(
            client_id=appointment.client_id,
            kind=AccountEntryKind.CREDIT_REFUND,
            amount=value,
            appointment=appointment,
            payment=refund,
            note=note.strip()[:300] or "Refund kept as credit",
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="account.credit_refund",
            obj=entry,
            client_id=appointment.client_id,
            summary=f"£{value} of appointment {appointment.pk} refunded to credit",
        )
    return entry


def credit_spend(*, actor: Actor, appointment: Appointment, amount: Decimal | str) -> AccountEntry:
    """Pay ``amount`` of ``appointment`` from the client's account credit: a payment
    (method ``credit``) and the credit it spends. 409 ``credit_insufficient`` when the
    client has less credit than that."""
    value = money_amount(amount)
    with transaction.atomic():
        client = lock_client(appointment.client)
        credit = account_balances(client=client).credit
        if value > credit:
            raise Conflict(
                Code.CREDIT_INSUFFICIENT,
                f"The client has £{credit} of credit; spend no more than that.",
                details={"credit": str(credit), "field": "amount"},
            )
        check_payment_fits(appointment, value)
        payment = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.PAYMENT,
            method=PaymentMethod.CREDIT,
            amount=value,
            note="Paid from account credit",
            recorded_at=clock.now(),
            recorded_by=recorder(actor),
        )
        entry = AccountEntry.objects.create(
            client=client,
            kind=AccountEntryKind.CREDIT_SPENT,
            amount=value,
            appointment=appointment,
            payment=payment,
            note="Spent on a payment",
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="account.credit_spent",
            obj=entry,
            client_id=client.pk,
            summary=f"£{value} of credit paid appointment {appointment.pk}",
        )
    return entry
