"""Public pages of a waiting-list offer: the emailed link shows the held time, and the
client accepts (booked) or declines it (it goes to the next person; they keep waiting).

The link is a :class:`~mesoclinic.portal.models.PortalLink` of purpose ``offer`` (its
token made when the email is sent, only its hash kept, like the account links): it works
until the offer's hold runs out and while that offer is open, and once accepted or
declined it is used. Opening a link changes nothing; only the page's button (a POST) does.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from mesoclinic.core.errors import DomainError
from mesoclinic.messaging.models import MessageKind
from mesoclinic.messaging.services import account_email_send
from mesoclinic.portal.links import link_check, link_use, offer_link_create, offer_of
from mesoclinic.portal.models import LinkPurpose, PortalLink
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import WaitlistEntry


def offer_notify(entry: WaitlistEntry) -> None:
    """Email the client their offer with accept and decline links (if they have an email);
    the link lives as long as the offer's hold."""
    client, hold = entry.client, entry.hold
    if not client.email or hold is None:
        return
    _, ref = offer_link_create(hold=hold)
    account_email_send(
        kind=MessageKind.WAITLIST_OFFER,
        email=client.email,
        context={
            "client_name": client.given_name,
            "treatment_name": entry.treatment.name,
            "start": hold.start,
            "expires_at": hold.expires_at,
            "practitioner_name": hold.practitioner.display_name,
        },
        site=entry.site,
        link_ref=ref,
    )


def _open_offer(token: str) -> tuple[PortalLink, WaitlistEntry] | None:
    try:
        link = link_check(token=token, purpose=LinkPurpose.OFFER)
    except DomainError:
        return None
    entry = offer_of(link)
    return None if entry is None else (link, entry)


def _answer(link: PortalLink, entry: WaitlistEntry, action: str) -> dict[str, Any]:
    """Accept or decline; the link is used once either has gone through."""
    try:
        if action == "accept":
            answered: dict[str, Any] = {"booked": services.waitlist_accept(actor=None, entry=entry)}
        elif action == "decline":
            services.waitlist_decline(actor=None, entry=entry)
            answered = {"declined": True}
        else:
            return {}
    except DomainError as exc:
        return {"error": exc.message}
    link_use(link)
    return answered


@require_http_methods(["GET", "POST"])
def waitlist_offer(request: HttpRequest, token: str, action: str = "") -> HttpResponse:
    """The offer: GET shows it (with the button ``action`` asks for); POST accepts or
    declines it."""
    found = _open_offer(token)
    context: dict[str, Any] = {"entry": found[1] if found else None, "action": action}
    context["token"] = token
    if found is None:
        context["closed"] = True
        return render(request, "portal/waitlist_offer.html", context, status=400)
    link, entry = found
    assert entry.hold is not None
    tz = entry.site.tzinfo
    context |= {
        "start": entry.hold.start.astimezone(tz),
        "expires_at": entry.hold.expires_at.astimezone(tz),
    }
    if request.method == "POST":
        context |= _answer(link, entry, action)
    return render(request, "portal/waitlist_offer.html", context)
