"""Reads of the waiting list (``services.waitlist`` writes it)."""

from __future__ import annotations

from django.db.models import QuerySet

from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import WaitlistEntry, WaitlistStatus

_RELATED = ("client", "treatment", "practitioner", "site", "hold__practitioner", "hold__room")


def waitlist_get(*, entry_id: int | str) -> WaitlistEntry:
    """The entry with this id, or 404 ``waitlist_not_found``."""
    return get_by_opaque_id(
        WaitlistEntry.objects.select_related(*_RELATED, "hold__device"),
        entry_id,
        code=Code.WAITLIST_NOT_FOUND,
        noun="waiting-list entry",
    )


def waitlist_by_hold(*, hold_id: int) -> WaitlistEntry | None:
    """The entry whose offer is (or was last) the slot hold ``hold_id``, if any."""
    return WaitlistEntry.objects.select_related(*_RELATED).filter(hold_id=hold_id).first()


def waitlist_open() -> QuerySet[WaitlistEntry]:
    """Entries still waiting or holding an offer, oldest first (the order offers go in)."""
    return (
        WaitlistEntry.objects.filter(status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED))
        .select_related(*_RELATED)
        .order_by("created_at", "pk")
    )


def waitlist_closed(*, limit: int = 50) -> list[WaitlistEntry]:
    """The most recent accepted or cancelled entries."""
    return list(
        WaitlistEntry.objects.filter(status__in=(WaitlistStatus.ACCEPTED, WaitlistStatus.CANCELLED))
        .select_related(*_RELATED)
        .order_by("-created_at")[:limit]
    )
