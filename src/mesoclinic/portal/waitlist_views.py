"""Public pages of a waiting-list offer: the emailed link shows the held time, and the
client accepts (booked) or declines it (it goes to the next person; they keep waiting).

The link's token is made when the email is sent (:func:`offer_link_mint`, registered with
messaging) and only its hash is kept, like the portal's account links. Opening a link
changes nothing; only the page's button (a POST) does.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError
from mesoclinic.messaging.content import public_url
from mesoclinic.messaging.links import link_ref
from mesoclinic.messaging.models import MessageKind
from mesoclinic.messaging.services import account_email_send
from mesoclinic.portal.links import token_hash
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import WaitlistEntry, WaitlistStatus
from mesoclinic.scheduling.waitlist_selectors import waitlist_by_token_hash

MINTER = "waitlist"


def offer_link_mint(ident: str) -> str | None:
    """The offer page's URL with a fresh token (its hash kept); None once the offer is no
    longer open (accepted, declined, ran out)."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("hold")
            .filter(pk=int(ident))
            .first()
        )
        if (
            entry is None
            or entry.status != WaitlistStatus.OFFERED
            or entry.hold is None
            or entry.hold.expires_at <= clock.now()
        ):
            return None
        token = secrets.token_urlsafe(32)
        entry.offer_token_hash = token_hash(token)
        entry.save(update_fields=["offer_token_hash"])
    return public_url(reverse("portal:waitlist_offer", args=[token]))


def offer_notify(entry: WaitlistEntry) -> None:
    """Email the client their offer with accept and decline links (if they have an email)."""
    client, hold = entry.client, entry.hold
    if not client.email or hold is None:
        return
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
        link_ref=link_ref(MINTER, entry.pk),
    )


def _entry(token: str) -> WaitlistEntry | None:
    if not 20 <= len(token) <= 100:
        return None
    return waitlist_by_token_hash(token_hash=token_hash(token))


@require_http_methods(["GET", "POST"])
def waitlist_offer(request: HttpRequest, token: str, action: str = "") -> HttpResponse:
    """The offer: GET shows it (with the button ``action`` asks for); POST accepts or
    declines it."""
    entry = _entry(token)
    context: dict[str, Any] = {"entry": entry, "action": action, "token": token}
    is_open = (
        entry is not None
        and entry.status == WaitlistStatus.OFFERED
        and entry.hold is not None
        and entry.hold.expires_at > clock.now()
    )
    if not is_open:
        context["closed"] = True
        return render(request, "portal/waitlist_offer.html", context, status=400)
    assert entry is not None
    assert entry.hold is not None
    tz = entry.site.tzinfo
    context |= {
        "start": entry.hold.start.astimezone(tz),
        "expires_at": entry.hold.expires_at.astimezone(tz),
    }
    if request.method == "POST":
        try:
            if action == "accept":
                appointment = services.waitlist_accept(actor=None, entry=entry)
                context["booked"] = appointment
            elif action == "decline":
                services.waitlist_decline(actor=None, entry=entry)
                context["declined"] = True
        except DomainError as exc:
            context["error"] = exc.message
    return render(request, "portal/waitlist_offer.html", context)
