"""Writes on a client's account: no-show charges, prepaid packages, gift vouchers, credit.

Every write is one transaction, audited, and adds rows to an append-only ledger
(``billing.models``); balances are sums over those rows, read under a row lock on the
thing being spent (the client, the package's client, the voucher) so two desks cannot
spend the same pound or session twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum

from mesoclinic.billing.errors import BillingErrorCode as Code
from mesoclinic.billing.models import (
    AccountEntry,
    AccountEntryKind,
    CoursePackage,
    GiftVoucher,
    PackageEntry,
    PackageEntryKind,
    Payment,
    PaymentKind,
    PaymentMethod,
    VoucherRedemption,
)
from mesoclinic.billing.policy import NoShowCharge, no_show_rule
from mesoclinic.billing.selectors import account_balances, package_sessions_left
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, NotFound, RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.scheduling import services as scheduling
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

PENNY = Decimal("0.01")
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
TAKING_METHODS = (
    PaymentMethod.CARD,
    PaymentMethod.CASH,
    PaymentMethod.BANK_TRANSFER,
)


def _user(actor: Actor) -> Any:
    """The user to name as having recorded a row (none for the system)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def _money(value: Decimal | str | int) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(PENNY)
    except InvalidOperation:
        raise InvalidInput(
            Code.INVALID_AMOUNT, "The amount is not a number.", details={"field": "amount"}
        ) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("100000"):
        raise InvalidInput(
            Code.INVALID_AMOUNT,
            "The amount must be more than zero and less than £100,000.",
            details={"field": "amount"},
        )
    return amount


def _method(method: str) -> PaymentMethod:
    if method not in TAKING_METHODS:
        raise InvalidInput(
            Code.INVALID_METHOD,
            f"Method must be one of {', '.join(TAKING_METHODS)}.",
            details={"field": "method"},
        )
    return PaymentMethod(method)


def _lock_client(client: Client) -> Client:
    return Client.objects.select_for_update().get(pk=client.pk)


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
                recorded_by=_user(actor),
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
                recorded_by=_user(actor),
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
    value, how = _money(amount), _method(method)
    with transaction.atomic():
        _lock_client(client)
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
            recorded_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="account.fee_paid",
            obj=entry,
            client_id=client.pk,
            summary=f"£{value} {how} towards no-show fees",
        )
    return entry


# --- Prepaid course packages ----------------------------------------------------------------


def package_sell(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    sessions: int,
    price: Decimal | str,
    method: str,
) -> CoursePackage:
    """Sell ``client`` a prepaid package of ``sessions`` of ``treatment``: the package and
    its first ledger line (the sessions bought)."""
    if not isinstance(sessions, int) or not 1 <= sessions <= 52:
        raise InvalidInput(
            Code.INVALID_SESSIONS,
            "A package holds 1 to 52 sessions.",
            details={"field": "sessions"},
        )
    value, how = _money(price), _method(method)
    now = clock.now()
    with transaction.atomic():
        package = CoursePackage.objects.create(
            client=client,
            treatment=treatment,
            sessions=sessions,
            price=value,
            method=how,
            sold_at=now,
            sold_by=_user(actor),
        )
        PackageEntry.objects.create(
            package=package, kind=PackageEntryKind.BOUGHT, sessions=sessions, at=now
        )
        audit_record(
            actor=actor,
            action="package.sell",
            obj=package,
            client_id=client.pk,
            summary=f"{sessions} × {treatment.code} for £{value} ({how})",
        )
    return package


def package_session_use(*, actor: Actor, appointment: Appointment) -> PackageEntry | None:
    """An attended session of a treatment the client holds a package for uses one of its
    sessions (the oldest package with sessions left). Idempotent: an appointment uses at
    most one session. None when there is no package to use (or it was already used)."""
    with transaction.atomic():
        already = PackageEntry.objects.filter(
            appointment_id=appointment.pk, kind=PackageEntryKind.USED
        ).first()
        if already is not None:
            return None
        packages = list(
            CoursePackage.objects.select_for_update()
            .filter(client_id=appointment.client_id, treatment_id=appointment.treatment_id)
            .order_by("sold_at", "id")
        )
        left = package_sessions_left(packages)
        package = next((p for p in packages if left[p.pk] > 0), None)
        if package is None:
            return None
        try:
            with transaction.atomic():
                entry = PackageEntry.objects.create(
                    package=package,
                    kind=PackageEntryKind.USED,
                    sessions=-1,
                    appointment_id=appointment.pk,
                    at=clock.now(),
                )
        except IntegrityError:  # another writer used a session for it meanwhile
            return None
        audit_record(
            actor=actor,
            action="package.use",
            obj=entry,
            client_id=appointment.client_id,
            summary=f"Session of package {package.pk} used by appointment {appointment.pk} "
            f"({left[package.pk] - 1} left)",
        )
    return entry


# --- Gift vouchers --------------------------------------------------------------------------


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
) -> GiftVoucher:
    """Issue a gift voucher worth ``value`` until ``expires_on`` (a new random code unless
    ``code`` is given; 409 ``voucher_code_taken`` when that one exists)."""
    amount = _money(value)
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
            note=note.strip()[:300],
            issued_at=clock.now(),
            issued_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="voucher.issue",
            obj=voucher,
            client_id=client.pk if client else None,
            summary=f"Voucher {voucher.code} £{amount} until {expires_on:%Y-%m-%d}",
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
    value = _money(amount)
    with transaction.atomic():
        voucher = GiftVoucher.objects.select_for_update().get(pk=voucher_get(code).pk)
        if voucher.expires_on < clock.today():
            raise RuleRefused(
                Code.VOUCHER_EXPIRED,
                f"Voucher {voucher.code} expired on {voucher.expires_on:%d %B %Y}.",
                details={"expires_on": voucher.expires_on.isoformat()},
            )
        spent = voucher.redemptions.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        left = voucher.value - spent
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
        _check_payment_fits(appointment, value)
        payment = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.PAYMENT,
            method=PaymentMethod.VOUCHER,
            amount=value,
            reference=voucher.code,
            note=f"Gift voucher {voucher.code}",
            recorded_at=clock.now(),
            recorded_by=_user(actor),
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


def _check_payment_fits(appointment: Appointment, value: Decimal) -> None:
    """A voucher or credit pays at most what is still to pay for the appointment."""
    totals = {
        row["kind"]: row["total"]
        for row in Payment.objects.filter(appointment=appointment)
        .values("kind")
        .annotate(total=Sum("amount"))
    }
    paid = (
        Decimal(totals.get(PaymentKind.DEPOSIT, 0))
        + Decimal(totals.get(PaymentKind.PAYMENT, 0))
        - Decimal(totals.get(PaymentKind.REFUND, 0))
    )
    to_pay = max(appointment.price - paid, Decimal("0"))
    if value > to_pay:
        raise Conflict(
            Code.PAYMENT_EXCEEDS_PRICE,
            f"Only £{to_pay} is left to pay for this appointment.",
            details={"to_pay": str(to_pay), "field": "amount"},
        )


# --- Account credit -------------------------------------------------------------------------


def credit_goodwill(
    *, actor: Actor, client: Client, amount: Decimal | str, note: str = ""
) -> AccountEntry:
    """Give ``client`` goodwill credit to spend on a later payment."""
    value = _money(amount)
    with transaction.atomic():
        entry = AccountEntry.objects.create(
            client=client,
            kind=AccountEntryKind.CREDIT_GOODWILL,
            amount=value,
            note=note.strip()[:300] or "Goodwill credit",
            at=clock.now(),
            recorded_by=_user(actor),
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
    value = _money(amount)
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
            recorded_by=_user(actor),
        )
        entry = AccountEntry.objects.create(
            client_id=appointment.client_id,
            kind=AccountEntryKind.CREDIT_REFUND,
            amount=value,
            appointment=appointment,
            payment=refund,
            note=note.strip()[:300] or "Refund kept as credit",
            at=clock.now(),
            recorded_by=_user(actor),
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
    value = _money(amount)
    with transaction.atomic():
        client = _lock_client(appointment.client)
        credit = account_balances(client=client).credit
        if value > credit:
            raise Conflict(
                Code.CREDIT_INSUFFICIENT,
                f"The client has £{credit} of credit; spend no more than that.",
                details={"credit": str(credit), "field": "amount"},
            )
        _check_payment_fits(appointment, value)
        payment = Payment.objects.create(
            appointment=appointment,
            kind=PaymentKind.PAYMENT,
            method=PaymentMethod.CREDIT,
            amount=value,
            note="Paid from account credit",
            recorded_at=clock.now(),
            recorded_by=_user(actor),
        )
        entry = AccountEntry.objects.create(
            client=client,
            kind=AccountEntryKind.CREDIT_SPENT,
            amount=value,
            appointment=appointment,
            payment=payment,
            note="Spent on a payment",
            at=clock.now(),
            recorded_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="account.credit_spent",
            obj=entry,
            client_id=client.pk,
            summary=f"£{value} of credit paid appointment {appointment.pk}",
        )
    return entry
