"""Staff view of what a client did and was sent: messages, quotes and payments, online account.

The client page loads this section lazily (htmx ``hx-get`` on load), so the page itself
stays fast; without JavaScript the same URL renders a page of its own. Each read is audited
as ``client.journey.view``.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils import timezone

from mesoclinic.billing.selectors import client_billing
from mesoclinic.core.audit import audit_read
from mesoclinic.messaging.selectors import client_message_counts, client_message_log
from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount
from mesoclinic.web.http import HtmxHttpRequest
from mesoclinic.web.permissions import staff_required

RECENT_MESSAGES = 10
MESSAGES_PER_PAGE = 50


def _client(client_id: int) -> Client:
    return get_object_or_404(Client.objects.select_related("home_site"), pk=client_id)


def _time_zone(client: Client) -> str:
    """Times are shown on the wall clock of the client's home clinic."""
    return client.home_site.time_zone if client.home_site else timezone.get_current_timezone_name()


@staff_required
def client_journey(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Recent messages, quotes and payments with totals, and the client's online account."""
    client = _client(client_id)
    audit_read(
        actor=request.user,
        action="client.journey.view",
        obj=client,
        client_id=client.pk,
        summary="Messages, payments and online account",
    )
    context = {
        "client": client,
        "tz": _time_zone(client),
        "recent_messages": list(client_message_log(client=client)[:RECENT_MESSAGES]),
        "message_counts": client_message_counts(client=client),
        "billing": client_billing(client=client),
        "account": ClientAccount.objects.filter(client=client).first(),
    }
    template = (
        "web/journey/client_journey.html#panel"
        if request.htmx
        else "web/journey/client_journey.html"
    )
    return render(request, template, context)


@staff_required
def client_message_list(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Every message to the client (the "show all" of the journey section), paginated."""
    client = _client(client_id)
    page = Paginator(client_message_log(client=client), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit_read(
        actor=request.user,
        action="client.journey.view",
        obj=client,
        client_id=client.pk,
        summary=f"All messages, page {page.number}",
    )
    return render(
        request,
        "web/journey/client_messages.html",
        {"client": client, "tz": _time_zone(client), "page": page},
    )


urlpatterns: list[URLPattern] = [
    path("clients/<int:client_id>/journey/", client_journey, name="client_journey"),
    path("clients/<int:client_id>/messages/", client_message_list, name="client_messages"),
]
