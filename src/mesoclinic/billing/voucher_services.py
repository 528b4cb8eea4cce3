"""Writes on gift vouchers: issuing (sold, or given away), redeeming against an
appointment, and voiding what is left on one.

Each write is one transaction and audited; the voucher row is locked while what is left
on it is counted (its value less its redemptions and any void), so two desks cannot spend
the same pound twice, nor spend what is being voided.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from mesoclinic.billing.amounts import (
    check_payment_fits,
    money_amount,
    recorder,
    taking_method,
)
from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import (
    GiftVoucher,
    Payment,
    PaymentKind,
    PaymentMethod,
    VoucherRedemption,
    VoucherVoid,
)
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, NotFound, RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone


def _new_voucher_code() -> str:
    return "GV-" + "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(8))


def voucher_issue(
    *,
    actor: Actor,
    value: Decimal | str,
    expires_on: dt.date,
    client: Client | None = None,
    code: str = "",
    note: str = "",
    method: str = PaymentMethod.NONE,
) -> GiftVoucher:
    """Issue a gift voucher worth ``value`` until ``expires_on`` (a new random code unless
    ``code`` is given; 409 ``voucher_code_taken`` when that one exists). ``method`` says
    how it was paid for when sold (money taken today), ``none`` when it is given away."""
    amount = money_amount(value)
    how = PaymentMethod.NONE if method == PaymentMethod.NONE else taking_method(method)
    if expires_on < clock.today():
        raise RuleRefused(
            Code.INVALID_EXPIRY,
            "A voucher cannot expire before today.",
            details={"field": "expires_on"},
        )
    wanted = code.strip().upper()
    if wanted and (len(wanted) > 20 or not all(c.isalnum() or c == "-" for c in wanted)):
        raise InvalidInput(
            Code.VOUCHER_UNKNOWN,
            "A voucher code is up to 20 letters, digits and dashes.",
            details={"field": "code"},
        )
    with transaction.atomic():
        chosen = wanted or _new_voucher_code()
        if GiftVoucher.objects.filter(code=chosen).exists():
            raise Conflict(
                Code.VOUCHER_CODE_TAKEN,
                f"A voucher with the code {chosen} already exists.",
                details={"field": "code"},
            )
        voucher = GiftVoucher.objects.create(
            code=chosen,
            value=amount,
            expires_on=expires_on,
            client=client,
            method=how,
            note=note.strip()[:300],
            issued_at=clock.now(),
            issued_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="voucher.issue",
            obj=voucher,
            client_id=client.pk if client else None,
            summary=f"Voucher {voucher.code} £{amount} until {expires_on:%Y-%m-%d}, "
            + ("given away" if how == PaymentMethod.NONE else f"sold ({how})"),
        )
    return voucher


def voucher_get(code: str) -> GiftVoucher:
    """The voucher with ``code`` (any case), else 404 ``voucher_unknown``."""
    voucher = GiftVoucher.objects.filter(code=code.strip().upper()).first()
    if voucher is None:
        raise NotFound(Code.VOUCHER_UNKNOWN, "No voucher has that code.", details={"code": code})
    return voucher


def voucher_redeem(
    *, actor: Actor, appointment: Appointment, code: str, amount: Decimal | str
) -> VoucherRedemption:
    """Pay ``amount`` of ``appointment`` with the voucher ``code``: a payment (method
    ``voucher``) and the redemption that spends it. 422 ``voucher_expired`` after its
    expiry; 409 ``voucher_used_up`` when nothing is left on it, ``voucher_balance_exceeded``
    when ``amount`` is more than what is left."""
    value = money_amount(amount)
    with transaction.atomic():
        voucher = GiftVoucher.objects.select_for_update().get(pk=voucher_get(code).pk)
        if voucher.expires_on < clock.today():
            raise RuleRefused(
                Code.VOUCHER_EXPIRED,
                f"Voucher {voucher.code} expired on {voucher.expires_on:%d %B %Y}.",
                details={"expires_on": voucher.expires_on.isoformat()},
            )
        _refuse_voided(voucher)
        left = _voucher_left(voucher)
        if left <= 0:
            raise Conflict(
                Code.VOUCHER_USED_UP,
                f"Voucher {voucher.code} has been used up.",
                details={"balance": "0.00"},
            )
        if value > left:
            raise Conflict(
                Code.VOUCHER_BALANCE_EXCEEDED,
                f"Voucher {voucher.code} has £{left} left; redeem no more than that.",
                details={"balance": str(left), "field": "amount"},
            )
        check_payment_fits(appointment, value)
        payment = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.PAYMENT,
            method=PaymentMethod.VOUCHER,
            amount=value,
            reference=voucher.code,
            note=f"Gift voucher {voucher.code}",
            recorded_at=clock.now(),
            recorded_by=recorder(actor),
        )
        redemption = VoucherRedemption.objects.create(
            voucher=voucher, payment=payment, amount=value, at=clock.now()
        )
        audit_record(
            actor=actor,
            action="voucher.redeem",
            obj=redemption,
            client_id=appointment.client_id,
            summary=f"£{value} of voucher {voucher.code} for appointment {appointment.pk} "
            f"(£{left - value} left)",
        )
    return redemption


def _voucher_left(voucher: GiftVoucher) -> Decimal:
    spent = voucher.redemptions.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return Decimal(voucher.value - spent)


def _refuse_voided(voucher: GiftVoucher) -> None:
    if VoucherVoid.objects.filter(voucher=voucher).exists():
        raise Conflict(
            Code.VOUCHER_VOIDED,
            f"Voucher {voucher.code} has been voided.",
            details={"code": voucher.code, "balance": "0.00"},
        )


def voucher_void(
    *, actor: Actor, voucher: GiftVoucher, refund_method: str = PaymentMethod.NONE, note: str = ""
) -> VoucherVoid:
    """Void ``voucher``: what is left on it can no longer be spent. With ``refund_method``
    (card, cash, bank transfer) that balance is given back to the buyer — only for a voucher
    that was sold (409 ``voucher_not_sold``). 409 ``voucher_voided`` when voided already,
    ``voucher_used_up`` when nothing is left on it."""
    refund = (
        PaymentMethod.NONE if refund_method == PaymentMethod.NONE else taking_method(refund_method)
    )
    with transaction.atomic():
        locked = GiftVoucher.objects.select_for_update().get(pk=voucher.pk)
        _refuse_voided(locked)
        left = _voucher_left(locked)
        if left <= 0:
            raise Conflict(
                Code.VOUCHER_USED_UP,
                f"Voucher {locked.code} has been used up: there is nothing left to void.",
                details={"balance": "0.00"},
            )
        if refund != PaymentMethod.NONE and locked.method == PaymentMethod.NONE:
            raise Conflict(
                Code.VOUCHER_NOT_SOLD,
                f"Voucher {locked.code} was given away, not sold: there is no money to give back.",
                details={"field": "refund_method"},
            )
        void = VoucherVoid.objects.create(
            voucher=locked,
            amount=left,
            refunded=left if refund != PaymentMethod.NONE else Decimal("0.00"),
            method=refund,
            note=note.strip()[:300],
            at=clock.now(),
            recorded_by=recorder(actor),
        )
        audit_record(
            actor=actor,
            action="voucher.void",
            obj=void,
            client_id=locked.client_id,
            summary=f"Voucher {locked.code} voided with £{left} left"
            + (f", refunded ({refund})" if void.refunded else ", nothing refunded"),
        )
    return void
