"""A client's account: no-show fees, credit, prepaid packages and gift vouchers (staff).

Money is ``{"amount": "30.00", "currency": "GBP"}`` out and an ``amount`` text in.
Refusals: 409 ``voucher_used_up`` / ``voucher_balance_exceeded`` / ``voucher_voided`` /
``voucher_not_sold`` / ``credit_insufficient`` / ``payment_exceeds_price`` /
``package_used_up`` / ``package_refunded``, 422 ``voucher_expired``, 404
``voucher_unknown`` / ``package_not_found``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.api.types import InputSchema, SaneDate, Text
from mesoclinic.billing import account_services as account
from mesoclinic.billing import selectors as billing_selectors
from mesoclinic.billing.selectors import (
    ClientAccount,
    PackageLine,
    client_account_view,
    package_for_id,
)
from mesoclinic.catalogue.selectors import treatment_by_code
from mesoclinic.people.roles import Access, require
from mesoclinic.people.selectors import client_by_id
from mesoclinic.scheduling.selectors import appointment_for_id

router = Router(tags=["billing"])

# More than zero and under £100,000, in pounds with at most two decimals: "30", "12.50".
MONEY_PATTERN = r"^([1-9][0-9]{0,4}(\.[0-9]{1,2})?|0?\.(0[1-9]|[1-9][0-9]?))$"
Amount = Annotated[str, Field(pattern=MONEY_PATTERN, max_length=8, examples=["30.00"])]
Method = Literal["card", "cash", "bank-transfer"]
MethodOrNone = Literal["card", "cash", "bank-transfer", "none"]
VOUCHER_CODE_PATTERN = r"^[A-Za-z0-9-]{1,20}$"


class Money(Schema):
    amount: str
    currency: str


def _money(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": "GBP"}


class PackageOut(Schema):
    id: str
    treatment: str
    sessions_bought: int
    sessions_used: int
    sessions_left: int
    sessions_refunded: int
    price: Money
    sold_at: str


class VoucherOut(Schema):
    code: str
    value: Money
    balance: Money
    expires_on: str
    expired: bool
    voided: bool
    sold: bool


class EntryOut(Schema):
    kind: str
    amount: Money
    appointment: str | None
    note: str
    at: str


class AccountOut(Schema):
    client: str
    no_shows: int
    fees_due: Money
    credit: Money
    packages: list[PackageOut]
    vouchers: list[VoucherOut]
    entries: list[EntryOut]


def _account_out(found: ClientAccount) -> dict[str, Any]:
    return {
        "client": str(found.client.pk),
        "no_shows": found.no_shows,
        "fees_due": _money(found.balances.fees_due),
        "credit": _money(found.balances.credit),
        "packages": [_package_out(line) for line in found.packages],
        "vouchers": [
            _voucher_out(line.voucher, line.balance, line.expired, voided=bool(line.voided))
            for line in found.vouchers
        ],
        "entries": [
            {
                "kind": entry.kind,
                "amount": _money(entry.amount),
                "appointment": str(entry.appointment_id) if entry.appointment_id else None,
                "note": entry.note,
                "at": entry.at.isoformat(),
            }
            for entry in found.entries
        ],
    }


def _package_out(line: PackageLine) -> dict[str, Any]:
    return {
        "id": str(line.package.pk),
        "treatment": line.package.treatment.code,
        "sessions_bought": line.bought,
        "sessions_used": line.used,
        "sessions_left": line.left,
        "sessions_refunded": line.refunded,
        "price": _money(line.package.price),
        "sold_at": line.package.sold_at.isoformat(),
    }


def _voucher_out(
    voucher: Any, balance: Decimal, expired: bool, *, voided: bool = False
) -> dict[str, Any]:
    return {
        "code": voucher.code,
        "value": _money(voucher.value),
        "balance": _money(balance),
        "expires_on": voucher.expires_on.isoformat(),
        "expired": expired,
        "voided": voided,
        "sold": voucher.method != "none",
    }


@router.get("/clients/{client_id}/account", response=AccountOut)
def client_account(request: HttpRequest, client_id: str) -> dict[str, Any]:
    """The client's no-show count, unpaid no-show fees, account credit, packages (sessions
    bought, used, left), vouchers they hold and the account ledger (newest first)."""
    require(request.user, Access.STAFF)
    client = client_by_id(client_id)
    return _account_out(client_account_view(actor=request.user, client=client, where="API"))


class PackageIn(InputSchema):
    treatment: str
    sessions: int = Field(ge=1, le=52)
    price: Amount
    method: Method = "card"


@router.post("/clients/{client_id}/packages", response={201: PackageOut})
def package_sell(request: HttpRequest, client_id: str, payload: PackageIn) -> Status[Any]:
    """Sell the client a prepaid package of ``sessions`` of ``treatment``; each attended
    session of that treatment (its record signed) uses one."""
    require(request.user, Access.STAFF)
    client = client_by_id(client_id)
    package = account.package_sell(
        actor=request.user,
        client=client,
        treatment=treatment_by_code(payload.treatment),
        sessions=payload.sessions,
        price=payload.price,
        method=payload.method,
    )
    return Status(201, _package_out(PackageLine(package, bought=package.sessions, used=0)))


class PackageRefundIn(InputSchema):
    method: Method | None = None
    note: Text = Field("", max_length=300)


class PackageRefundOut(Schema):
    package: PackageOut
    sessions_refunded: int
    refunded: Money
    method: str


@router.post("/clients/{client_id}/packages/{package_id}/refund", response={201: PackageRefundOut})
def package_refund(
    request: HttpRequest, client_id: str, package_id: str, payload: PackageRefundIn
) -> Status[Any]:
    """Reverse a sold package: its unused sessions come off and their share of the price
    (price × left ÷ sessions) is given back (by ``method``, the sale's unless given). 409
    ``package_used_up`` when every session was used, ``package_refunded`` the second time."""
    require(request.user, Access.STAFF)
    package = package_for_id(client=client_by_id(client_id), package_id=package_id)
    entry = account.package_refund(
        actor=request.user, package=package, method=payload.method or "", note=payload.note
    )
    line = next(
        line
        for line in billing_selectors.client_account(client=package.client).packages
        if line.package.pk == package.pk
    )
    return Status(
        201,
        {
            "package": _package_out(line),
            "sessions_refunded": -entry.sessions,
            "refunded": _money(entry.amount or Decimal("0")),
            "method": entry.method,
        },
    )


class VoucherIn(InputSchema):
    value: Amount
    expires_on: SaneDate
    client: str | None = None
    code: str = Field("", pattern=r"^(?:[A-Za-z0-9-]{1,20})?$", max_length=20)
    note: Text = Field("", max_length=300)
    method: MethodOrNone = "none"


@router.post("/vouchers", response={201: VoucherOut})
def voucher_issue(request: HttpRequest, payload: VoucherIn) -> Status[Any]:
    """Issue a gift voucher (a random code unless ``code`` is given). ``method``: how it
    was paid for when sold (its value is money taken today), ``none`` (the default) when it
    is given away."""
    require(request.user, Access.STAFF)
    voucher = account.voucher_issue(
        actor=request.user,
        value=payload.value,
        expires_on=payload.expires_on,
        client=client_by_id(payload.client) if payload.client else None,
        code=payload.code,
        note=payload.note,
        method=payload.method,
    )
    return Status(201, _voucher_out(voucher, voucher.value, False))


class VoucherVoidIn(InputSchema):
    refund_method: MethodOrNone = "none"
    note: Text = Field("", max_length=300)


class VoucherVoidOut(Schema):
    code: str
    voided: Money
    refunded: Money
    method: str


@router.post("/vouchers/{code}/void", response={201: VoucherVoidOut})
def voucher_void(request: HttpRequest, code: str, payload: VoucherVoidIn) -> Status[Any]:
    """Void a voucher: what is left on it can no longer be spent; with ``refund_method``
    it is given back to the buyer (a sold voucher only: 409 ``voucher_not_sold``). 409
    ``voucher_voided``, ``voucher_used_up``."""
    require(request.user, Access.STAFF)
    void = account.voucher_void(
        actor=request.user,
        voucher=account.voucher_get(code),
        refund_method=payload.refund_method,
        note=payload.note,
    )
    return Status(
        201,
        {
            "code": void.voucher.code,
            "voided": _money(void.amount),
            "refunded": _money(void.refunded),
            "method": void.method,
        },
    )


class RedeemIn(InputSchema):
    code: str = Field(pattern=VOUCHER_CODE_PATTERN, max_length=20)
    amount: Amount


class PaidOut(Schema):
    appointment: str
    amount: Money
    method: str
    balance: Money | None = None


@router.post("/appointments/{appointment_id}/voucher", response={201: PaidOut})
def voucher_redeem(request: HttpRequest, appointment_id: str, payload: RedeemIn) -> Status[Any]:
    """Pay part of an appointment with a voucher (``balance``: what is left on it)."""
    require(request.user, Access.STAFF)
    appointment = appointment_for_id(appointment_id)
    redemption = account.voucher_redeem(
        actor=request.user, appointment=appointment, code=payload.code, amount=payload.amount
    )
    left = redemption.voucher.value - sum(
        (r.amount for r in redemption.voucher.redemptions.all()), Decimal("0")
    )
    return Status(
        201,
        {
            "appointment": str(appointment.pk),
            "amount": _money(redemption.amount),
            "method": "voucher",
            "balance": _money(left),
        },
    )


class CreditIn(InputSchema):
    amount: Amount
    note: Text = Field("", max_length=300)


@router.post("/clients/{client_id}/credit", response={201: EntryOut})
def credit_goodwill(request: HttpRequest, client_id: str, payload: CreditIn) -> Status[Any]:
    """Give the client goodwill credit."""
    require(request.user, Access.STAFF)
    entry = account.credit_goodwill(
        actor=request.user, client=client_by_id(client_id), amount=payload.amount, note=payload.note
    )
    return Status(201, _entry_out(entry))


class SpendIn(InputSchema):
    amount: Amount


@router.post("/appointments/{appointment_id}/credit", response={201: PaidOut})
def credit_spend(request: HttpRequest, appointment_id: str, payload: SpendIn) -> Status[Any]:
    """Pay part of an appointment from the client's account credit."""
    require(request.user, Access.STAFF)
    appointment = appointment_for_id(appointment_id)
    entry = account.credit_spend(actor=request.user, appointment=appointment, amount=payload.amount)
    return Status(
        201,
        {"appointment": str(appointment.pk), "amount": _money(entry.amount), "method": "credit"},
    )


def _entry_out(entry: Any) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "amount": _money(entry.amount),
        "appointment": str(entry.appointment_id) if entry.appointment_id else None,
        "note": entry.note,
        "at": entry.at.isoformat(),
    }
