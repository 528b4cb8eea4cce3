"""Staff pages for a client's account: marking a no-show (the treatment's rule applied),
prepaid packages, gift vouchers, account credit and no-show fees.

The client page loads the account section lazily (htmx ``hx-get`` on load), like the
journey section; without JavaScript the same URL is a page of its own. Reads are audited by
``billing.selectors.client_account_view``; every write goes through
``billing.account_services`` (audited, one transaction).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from mesoclinic.billing import account_services as account
from mesoclinic.billing.account_services import TAKING_METHODS
from mesoclinic.billing.models import PaymentMethod
from mesoclinic.billing.selectors import client_account_view
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError, NotFound
from mesoclinic.people.models import Client
from mesoclinic.scheduling import selectors as scheduling_selectors
from mesoclinic.scheduling.models import Appointment, AppointmentStatus
from mesoclinic.web.http import HtmxHttpRequest, form_refusal
from mesoclinic.web.permissions import staff_required

METHOD_CHOICES = [(m.value, m.label) for m in PaymentMethod if m in TAKING_METHODS]


def _client(client_id: int) -> Client:
    return get_object_or_404(Client.objects.select_related("home_site"), pk=client_id)


def _appointment(appointment_id: int) -> Appointment:
    try:
        return scheduling_selectors.appointment_for_id(appointment_id)
    except NotFound:
        raise Http404("No such appointment.") from None


def _money_text(amount: Decimal) -> str:
    return f"£{amount:.2f}"


# --- Marking a no-show ----------------------------------------------------------------------


class NoShowForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, the client did not come",
        error_messages={"required": "Tick the box to confirm the no-show."},
    )


@staff_required
def appointment_no_show(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """GET asks for confirmation and says what the treatment's rule will charge; POST marks
    the no-show and applies the rule (``billing.account_services.no_show_mark``)."""
    appointment = _appointment(appointment_id)
    form = NoShowForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _, charge = account.no_show_mark(actor=request.user, appointment=appointment)
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                parts = []
                if charge.forfeit:
                    parts.append(f"deposit {_money_text(charge.forfeit)} kept")
                if charge.fee:
                    parts.append(
                        f"no-show fee {_money_text(charge.fee)} added to the client's account"
                    )
                messages.success(
                    request,
                    "Marked a no-show"
                    + (": " + ", ".join(parts) if parts else "; nothing is charged")
                    + ".",
                )
                return redirect("web:appointment_detail", appointment_id=appointment.pk)
        else:
            status = 400
    from mesoclinic.billing.policy import no_show_rule

    with timezone.override(appointment.site.tzinfo):
        return render(
            request,
            "web/billing/no_show.html",
            {
                "appointment": appointment,
                "form": form,
                "rule": no_show_rule(appointment.treatment),
                "started": clock.now() >= appointment.start,
                "markable": appointment.status
                in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),
            },
            status=status,
        )


# --- Paying an appointment with a voucher or credit, refunding to credit -------------------


class VoucherPayForm(forms.Form):
    code = forms.CharField(label="Voucher code", max_length=20)
    amount = forms.DecimalField(label="Amount (£)", min_value=Decimal("0.01"), max_digits=8)


class CreditPayForm(forms.Form):
    amount = forms.DecimalField(label="Amount (£)", min_value=Decimal("0.01"), max_digits=8)


class RefundCreditForm(forms.Form):
    amount = forms.DecimalField(label="Amount (£)", min_value=Decimal("0.01"), max_digits=8)
    note = forms.CharField(label="Why", required=False, max_length=300)


PAY_FORMS: dict[str, type[forms.Form]] = {
    "voucher": VoucherPayForm,
    "credit": CreditPayForm,
    "refund": RefundCreditForm,
}


def _pay(action: str, request: HtmxHttpRequest, appointment: Appointment, values: Any) -> str:
    """Carry out one of the payment forms; the message to show."""
    if action == "voucher":
        account.voucher_redeem(
            actor=request.user,
            appointment=appointment,
            code=values["code"],
            amount=values["amount"],
        )
        return f"£{values['amount']:.2f} paid by voucher."
    if action == "credit":
        account.credit_spend(actor=request.user, appointment=appointment, amount=values["amount"])
        return f"£{values['amount']:.2f} paid by account credit."
    account.credit_from_refund(
        actor=request.user, appointment=appointment, amount=values["amount"], note=values["note"]
    )
    return f"£{values['amount']:.2f} refunded to the client's account credit."


@staff_required
def appointment_pay(request: HtmxHttpRequest, appointment_id: int) -> HttpResponse:
    """Pay part of an appointment with a gift voucher or the client's account credit, or
    refund part of what was paid to their account credit."""
    appointment = _appointment(appointment_id)
    post = request.POST if request.method == "POST" else None
    action = next((name for name in PAY_FORMS if post and name in post), None)
    forms_shown = {
        name: form_class(post if name == action else None, prefix=name)
        for name, form_class in PAY_FORMS.items()
    }
    status = 200
    if action is not None:
        form = forms_shown[action]
        if not form.is_valid():
            status = 400
        else:
            try:
                done = _pay(action, request, appointment, form.cleaned_data)
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(request, done)
                return redirect("web:appointment_detail", appointment_id=appointment.pk)
    found = client_account_view(
        actor=request.user, client=appointment.client, where="paying an appointment"
    )
    with timezone.override(appointment.site.tzinfo):
        return render(
            request,
            "web/billing/pay.html",
            {
                "appointment": appointment,
                "voucher_form": forms_shown["voucher"],
                "credit_form": forms_shown["credit"],
                "refund_form": forms_shown["refund"],
                "account": found,
            },
            status=status,
        )


# --- The client's account -------------------------------------------------------------------


class PackageForm(forms.Form):
    treatment = forms.ModelChoiceField(
        Treatment.objects.filter(active=True), to_field_name="code", empty_label=None
    )
    sessions = forms.IntegerField(label="Sessions", min_value=1, max_value=52, initial=6)
    price = forms.DecimalField(label="Price (£)", min_value=Decimal("0.01"), max_digits=8)
    method = forms.ChoiceField(label="Paid by", choices=METHOD_CHOICES)


class VoucherForm(forms.Form):
    value = forms.DecimalField(label="Value (£)", min_value=Decimal("0.01"), max_digits=8)
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}))
    code = forms.CharField(
        label="Code (optional)",
        required=False,
        max_length=20,
        help_text="Left empty, a code is made up.",
    )
    method = forms.ChoiceField(
        label="Paid by",
        choices=[*METHOD_CHOICES, (PaymentMethod.NONE.value, "Given away (not sold)")],
        help_text="A voucher sold is money taken today; one given away is not.",
    )


class CreditForm(forms.Form):
    amount = forms.DecimalField(label="Amount (£)", min_value=Decimal("0.01"), max_digits=8)
    note = forms.CharField(label="Why", required=False, max_length=300)


class FeePayForm(forms.Form):
    amount = forms.DecimalField(label="Amount (£)", min_value=Decimal("0.01"), max_digits=8)
    method = forms.ChoiceField(label="Paid by", choices=METHOD_CHOICES)


FORMS: dict[str, type[forms.Form]] = {
    "package": PackageForm,
    "voucher": VoucherForm,
    "credit": CreditForm,
    "fee": FeePayForm,
}


def _write(action: str, request: HtmxHttpRequest, client: Client, values: dict[str, Any]) -> str:
    """Carry out one of the account forms; the message to show."""
    actor = request.user
    match action:
        case "package":
            account.package_sell(
                actor=actor,
                client=client,
                treatment=values["treatment"],
                sessions=values["sessions"],
                price=values["price"],
                method=values["method"],
            )
            return f"Sold {values['sessions']} sessions of {values['treatment'].name}."
        case "voucher":
            voucher = account.voucher_issue(
                actor=actor,
                client=client,
                value=values["value"],
                expires_on=values["expires_on"],
                code=values["code"],
                method=values["method"],
            )
            return f"Voucher {voucher.code} issued for £{voucher.value:.2f}."
        case "credit":
            account.credit_goodwill(
                actor=actor, client=client, amount=values["amount"], note=values["note"]
            )
            return f"£{values['amount']:.2f} goodwill credit added."
    account.no_show_fee_pay(
        actor=actor, client=client, amount=values["amount"], method=values["method"]
    )
    return f"£{values['amount']:.2f} paid towards no-show fees."


@staff_required
def client_account(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """The client's account: no-shows and fees, credit, packages, vouchers; and the forms
    to sell a package, issue a voucher, give credit or take a fee payment (POST ``action``)."""
    client = _client(client_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms_by_action = {
        name: form_class(request.POST if name == action else None, prefix=name)
        for name, form_class in FORMS.items()
    }
    forms_by_action["voucher"].initial.setdefault(
        "expires_on", clock.today() + dt.timedelta(days=365)
    )
    status = 200
    if action in FORMS:
        form = forms_by_action[action]
        if form.is_valid():
            try:
                text = _write(action, request, client, form.cleaned_data)
            except DomainError as refused:
                status = form_refusal(form, refused)
            else:
                messages.success(request, text)
                return redirect("web:client_account", client_id=client.pk)
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    found = client_account_view(actor=request.user, client=client, where="client page")
    template = (
        "web/billing/client_account.html#panel"
        if request.htmx and request.method == "GET"
        else "web/billing/client_account.html"
    )
    return render(
        request,
        template,
        {"client": client, "account": found, "forms": forms_by_action},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path(
        "appointments/<int:appointment_id>/no-show/",
        appointment_no_show,
        name="appointment_no_show",
    ),
    path("appointments/<int:appointment_id>/pay/", appointment_pay, name="appointment_pay"),
    path("clients/<int:client_id>/account/", client_account, name="client_account"),
]
