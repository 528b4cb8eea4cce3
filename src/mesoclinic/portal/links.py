"""The portal's one-time emailed links (email verification, password reset, waiting-list
offers).

A :class:`~mesoclinic.portal.models.PortalLink` row is created when the email is asked for;
its token is made when the email is sent (:func:`link_mint_for_send`, registered with
messaging) and only its SHA-256 is stored, so neither the link table nor the message log
holds a usable link. A link works once, until ``expires_at``
(``MESOCLINIC["PORTAL_LINK_MINUTES"]``, 60 by default; a waiting-list offer's link until
its hold runs out, and only while that offer is open).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from mesoclinic.core import clock
from mesoclinic.core.errors import InvalidInput
from mesoclinic.messaging.content import public_url
from mesoclinic.messaging.links import link_ref
from mesoclinic.portal.models import ClientAccount, LinkPurpose, PortalLink, SignupRequest
from mesoclinic.scheduling.models import SlotHold, WaitlistEntry, WaitlistStatus
from mesoclinic.scheduling.waitlist_selectors import waitlist_by_hold

MINTER = "portal"
VIEW_FOR = {
    LinkPurpose.VERIFY: "portal:verify",
    LinkPurpose.RESET: "portal:reset_confirm",
    LinkPurpose.OFFER: "portal:waitlist_offer",
}


def link_minutes() -> int:
    """How long an emailed link works (``MESOCLINIC["PORTAL_LINK_MINUTES"]``)."""
    return int(settings.MESOCLINIC.get("PORTAL_LINK_MINUTES", 60))  # type: ignore[call-overload]


def token_hash(token: str) -> str:
    """The stored form of a token (tokens are 256 random bits, so a plain hash suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_create(
    *,
    purpose: str,
    signup: SignupRequest | None = None,
    account: ClientAccount | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[PortalLink, str]:
    """A new link (token made at send time) and the ``link_ref`` for its message. It works
    for ``link_minutes()``, or until ``expires_at`` when that comes sooner (a booking's
    link dies with the slot's hold)."""
    now = clock.now()
    ends = now + dt.timedelta(minutes=link_minutes())
    link = PortalLink.objects.create(
        purpose=purpose,
        signup=signup,
        account=account,
        created_at=now,
        expires_at=min(ends, expires_at) if expires_at is not None else ends,
    )
    return link, link_ref(MINTER, link.pk)


def offer_link_create(*, hold: SlotHold) -> tuple[PortalLink, str]:
    """The link of a waiting-list offer: it works exactly as long as the offer's hold."""
    link = PortalLink.objects.create(
        purpose=LinkPurpose.OFFER, hold=hold, created_at=clock.now(), expires_at=hold.expires_at
    )
    return link, link_ref(MINTER, link.pk)


def offer_of(link: PortalLink) -> WaitlistEntry | None:
    """The open offer an ``offer`` link shows: its entry, while that entry still holds this
    link's hold and the hold has not run out (accepted, declined, passed on or removed:
    None)."""
    entry = waitlist_by_hold(hold_id=link.hold_id) if link.hold_id else None
    if (
        entry is None
        or entry.status != WaitlistStatus.OFFERED
        or entry.hold is None
        or entry.hold.expires_at <= clock.now()
    ):
        return None
    return entry


def link_use(link: PortalLink) -> None:
    """Mark ``link`` used (it works once)."""
    PortalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=clock.now())


def link_mint_for_send(ident: str) -> str | None:
    """Make the link's token now, keep its hash, and return the URL to email (messaging
    calls this at send time). ``None`` if the link was used or has expired."""
    with transaction.atomic():
        link = PortalLink.objects.select_for_update().filter(pk=int(ident)).first()
        if link is None or link.used_at is not None or link.expires_at <= clock.now():
            return None
        if link.purpose == LinkPurpose.OFFER and offer_of(link) is None:
            return None
        token = secrets.token_urlsafe(32)
        link.token_hash = token_hash(token)
        link.save(update_fields=["token_hash"])
    return public_url(reverse(VIEW_FOR[LinkPurpose(link.purpose)], args=[token]))


def link_check(*, token: str, purpose: str, lock: bool = False) -> PortalLink:
    """The open link for ``token`` (locked with ``lock``), or ``link_invalid``.

    Unknown, used and expired links are refused alike.
    """
    rows = PortalLink.objects.select_related("signup", "account__user")
    if lock:
        rows = rows.select_for_update(of=("self",))
    link = (
        rows.filter(token_hash=token_hash(token), purpose=purpose).first()
        if 20 <= len(token) <= 100
        else None
    )
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        raise InvalidInput(
            "link_invalid",
            "This link has already been used or has expired. Links work once, for "
            f"{link_minutes()} minutes.",
        )
    return link
