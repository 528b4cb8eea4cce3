"""Paying a deposit online: the client starts a checkout with the clinic's payment
provider and comes back to a page that records the deposit once the provider confirms
it. With the ``sandbox`` provider (the demo) the checkout page is served here and takes
test cards only. See :mod:`mesoclinic.billing.providers`."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.billing import online
from mesoclinic.billing.models import OnlinePayment, OnlinePaymentStatus
from mesoclinic.billing.providers import SandboxProvider, payment_provider
from mesoclinic.core.errors import DomainError
from mesoclinic.portal import selectors
from mesoclinic.portal.models import ClientAccount
from mesoclinic.portal.views import _client_of, client_required


@client_required
@require_POST
def deposit_pay(request: HttpRequest, account: ClientAccount, appointment_id: int) -> HttpResponse:
    """Start paying the deposit of one's own appointment: off to the provider's checkout."""
    try:
        appointment = selectors.client_appointment(
            client=_client_of(account), appointment_id=appointment_id
        )
        started = online.deposit_checkout_start(actor=request.user, appointment=appointment)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("portal:account")
    provider = payment_provider()
    assert provider is not None  # checked by deposit_checkout_start
    return redirect(provider.intent(started.intent_id).checkout_url)


@client_required
def deposit_return(request: HttpRequest, account: ClientAccount, intent_id: str) -> HttpResponse:
    """Back from the provider: ask it what happened and record a paid deposit once."""
    own = OnlinePayment.objects.filter(
        intent_id=intent_id, appointment__client=_client_of(account)
    ).exists()
    if not own:
        raise Http404("No such payment")
    try:
        paid = online.deposit_checkout_finish(actor=request.user, intent_id=intent_id)
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("portal:account")
    if paid.status == OnlinePaymentStatus.SUCCEEDED:
        messages.success(request, f"Thank you: your £{paid.amount} deposit is paid.")
    elif paid.status == OnlinePaymentStatus.FAILED:
        messages.error(request, "The card was declined, so no deposit was taken. Please try again.")
    return redirect("portal:account")


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest, intent_id: str) -> HttpResponse:
    """The sandbox provider's own checkout page (demo only; the intent id is the key)."""
    provider = payment_provider()
    if not isinstance(provider, SandboxProvider):
        raise Http404("No sandbox payments here")
    payment = OnlinePayment.objects.filter(provider=provider.code, intent_id=intent_id).first()
    if payment is None:
        raise Http404("No such payment")
    error = ""
    if request.method == "POST" and payment.status == OnlinePaymentStatus.PENDING:
        try:
            online.sandbox_pay(intent_id=intent_id, card_number=request.POST.get("card_number", ""))
        except DomainError as refused:
            error = refused.message
        else:
            return redirect(reverse("portal:deposit_return", args=[intent_id]))
    return render(
        request,
        "portal/sandbox_checkout.html",
        {"payment": payment, "error": error},
        status=400 if error else 200,
    )
