"""The client's own money page in the portal: prepaid packages with sessions left, gift
vouchers, account credit and no-show fees (read only; the clinic makes the changes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mesoclinic.billing.selectors import client_account_view
from mesoclinic.portal.models import ClientAccount
from mesoclinic.portal.views import client_required


@client_required
def account_money(request: HttpRequest, account: ClientAccount) -> HttpResponse:
    """The signed-in client's packages, vouchers, credit and fees (their own only)."""
    assert account.client is not None  # client_required sent unlinked accounts elsewhere
    found = client_account_view(actor=request.user, client=account.client, where="portal")
    return render(request, "portal/money.html", {"account": account, "money": found})
