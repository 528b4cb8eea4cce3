"""Staff pages that reverse money on a client's account, each behind a confirmation page:
refunding a prepaid package's unused sessions, and voiding a gift voucher (what is left on
it, given back to the buyer when it was sold).

GET says what will happen (sessions and money); POST with the box ticked does it through
``billing.account_services`` (audited, one transaction). A refusal (nothing left, done
already) is shown above the form with its status (409).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path

from mesoclinic.billing import account_services as account
from mesoclinic.billing.account_services import TAKING_METHODS
from mesoclinic.billing.models import GiftVoucher, PaymentMethod
from mesoclinic.billing.selectors import package_for_id, package_refund_quote, voucher_line
from mesoclinic.core.errors import DomainError, NotFound
from mesoclinic.people.models import Client
from mesoclinic.web.http import HtmxHttpRequest, form_refusal
from mesoclinic.web.permissions import staff_required

METHOD_CHOICES = [(m.value, m.label) for m in PaymentMethod if m in TAKING_METHODS]
NO_REFUND = (PaymentMethod.NONE.value, "Nothing given back")
_T = TypeVar("_T")


class PackageRefundForm(forms.Form):
    method = forms.ChoiceField(label="Given back by", choices=METHOD_CHOICES)
    note = forms.CharField(label="Why", required=False, max_length=300)
    confirm = forms.BooleanField(
        label="Yes, refund the unused sessions",
        error_messages={"required": "Tick the box to confirm the refund."},
    )


class VoucherVoidForm(forms.Form):
    refund_method = forms.ChoiceField(label="What is left is", choices=[NO_REFUND])
    note = forms.CharField(label="Why", required=False, max_length=300)
    confirm = forms.BooleanField(
        label="Yes, void this voucher",
        error_messages={"required": "Tick the box to confirm voiding the voucher."},
    )

    def __init__(self, *args: object, sold: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["refund_method"]
        assert isinstance(field, forms.ChoiceField)
        if sold:
            refunds = [(value, f"Refunded: {label}") for value, label in METHOD_CHOICES]
            field.choices = [*refunds, NO_REFUND]


def _posted(request: HtmxHttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _confirmed(form: forms.Form, act: Callable[[dict[str, Any]], _T]) -> tuple[int, _T | None]:
    """A confirmation form's outcome: (200, None) until it is posted; (400, None) when it
    is not valid; the refusal's status (shown on the form) when ``act`` is refused; else
    (200, what ``act`` did)."""
    if not form.is_bound:
        return 200, None
    if not form.is_valid():
        return 400, None
    try:
        return 200, act(form.cleaned_data)
    except DomainError as refused:
        return form_refusal(form, refused), None


@staff_required
def package_refund(request: HtmxHttpRequest, client_id: int, package_id: int) -> HttpResponse:
    """Confirm, then refund a package's unused sessions (their share of its price)."""
    client = get_object_or_404(Client, pk=client_id)
    try:
        package = package_for_id(client=client, package_id=package_id)
    except NotFound:
        raise Http404("No such package.") from None
    form = PackageRefundForm(_posted(request), initial={"method": package.method})
    status, entry = _confirmed(
        form,
        lambda data: account.package_refund(
            actor=request.user, package=package, method=data["method"], note=data["note"]
        ),
    )
    if entry is not None:
        messages.success(
            request,
            f"{-entry.sessions} unused sessions refunded: "
            f"£{entry.amount or Decimal('0'):.2f} given back.",
        )
        return redirect("web:client_account", client_id=client.pk)
    context = {"client": client, "quote": package_refund_quote(package), "form": form}
    return render(request, "web/billing/package_refund.html", context, status=status)


@staff_required
def voucher_void(request: HtmxHttpRequest, voucher_id: int) -> HttpResponse:
    """Confirm, then void a voucher (its balance refunded when it was sold and staff say so)."""
    voucher = get_object_or_404(GiftVoucher.objects.select_related("client"), pk=voucher_id)
    line = voucher_line(voucher)
    sold = voucher.method != PaymentMethod.NONE
    form = VoucherVoidForm(_posted(request), sold=sold, initial={"refund_method": voucher.method})
    status, void = _confirmed(
        form,
        lambda data: account.voucher_void(
            actor=request.user,
            voucher=voucher,
            refund_method=data["refund_method"],
            note=data["note"],
        ),
    )
    if void is not None:
        messages.success(
            request,
            f"Voucher {voucher.code} voided (£{void.amount:.2f} left on it"
            + (f", £{void.refunded:.2f} given back)." if void.refunded else ")."),
        )
        if voucher.client_id:
            return redirect("web:client_account", client_id=voucher.client_id)
        return redirect("web:voucher_void", voucher_id=voucher.pk)
    context = {"voucher": voucher, "line": line, "sold": sold, "form": form}
    return render(request, "web/billing/voucher_void.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path(
        "clients/<int:client_id>/packages/<int:package_id>/refund/",
        package_refund,
        name="package_refund",
    ),
    path("vouchers/<int:voucher_id>/void/", voucher_void, name="voucher_void"),
]
