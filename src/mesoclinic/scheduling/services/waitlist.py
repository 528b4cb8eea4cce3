"""The waiting list (issue 16): a client asks for a treatment within a time window; when a
start inside it is free, the oldest waiting entry that fits gets it as an *offer*: a slot
hold (``services.holds``) kept for it for ``WAITLIST_OFFER_MINUTES``, and a message with
accept and decline links. An offer that runs out or is declined goes back to waiting (that
start is not offered to it again) and the start passes to the next entry.

:func:`waitlist_match` does the matching; the worker that ``mesoclinic serve`` starts runs
it every few seconds (``messaging.tasks.periodic_jobs``), and joining or declining runs it
at once, so a cancellation, a reschedule or a removed absence reaches the list with no
other process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, DomainError, InvalidInput
from mesoclinic.core.lookups import get_locked
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code
from mesoclinic.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    HoldStatus,
    SlotHold,
    WaitlistEntry,
    WaitlistStatus,
)
from mesoclinic.scheduling.services.checks import _default_site, _require_aware
from mesoclinic.scheduling.services.holds import slot_hold, slot_hold_confirm, slot_hold_release

OfferNotifier = Callable[[WaitlistEntry], object]
_NOT_FOUND = {"code": Code.WAITLIST_NOT_FOUND, "noun": "waiting-list entry"}
_NOTIFIERS: list[OfferNotifier] = []


def waitlist_notifier_register(notifier: OfferNotifier) -> None:
    """Who tells the client about a new offer (the portal registers its email with links:
    scheduling knows no public pages)."""
    if notifier not in _NOTIFIERS:
        _NOTIFIERS.append(notifier)


def max_days() -> int:
    """The longest window allowed (``MESOCLINIC["WAITLIST_MAX_DAYS"]``)."""
    return int(settings.MESOCLINIC.get("WAITLIST_MAX_DAYS", 90))  # type: ignore[call-overload]


def offer_minutes() -> int:
    """How long an offer is held (``MESOCLINIC["WAITLIST_OFFER_MINUTES"]``)."""
    return int(settings.MESOCLINIC.get("WAITLIST_OFFER_MINUTES", 60))  # type: ignore[call-overload]


def _check_window(window_start: dt.datetime, window_end: dt.datetime) -> None:
    _require_aware(window_start, "from")
    _require_aware(window_end, "to")
    if window_end <= window_start:
        raise InvalidInput(
            Code.INVALID_RANGE, "'to' must be after 'from'.", details={"field": "to"}
        )
    if window_end <= clock.now():
        raise InvalidInput(
            Code.WAITLIST_WINDOW_PAST,
            "That window is already over: choose times in the future.",
            details={"field": "to"},
        )
    if window_end - window_start > dt.timedelta(days=max_days()):
        raise InvalidInput(
            Code.WAITLIST_WINDOW_TOO_LONG,
            f"A waiting-list window may span at most {max_days()} days.",
            details={"field": "to", "max_days": max_days()},
        )


def waitlist_join(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    window_start: dt.datetime,
    window_end: dt.datetime,
    practitioner: Practitioner | None = None,
    site: Site | None = None,
) -> WaitlistEntry:
    """Put ``client`` on the waiting list for ``treatment`` with a start in
    ``[window_start, window_end]``; if a start is free already, it is offered at once.
    400 ``invalid_range``, ``waitlist_window_past``, ``waitlist_window_too_long``; 409
    ``waitlist_already_waiting`` while the client has an open entry for the treatment (one
    client, one entry: each entry would otherwise hold a time of its own)."""
    _check_window(window_start, window_end)
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        open_entry = WaitlistEntry.objects.filter(
            client=client,
            treatment=treatment,
            status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED],
        ).first()
        if open_entry is not None:
            raise Conflict(
                Code.WAITLIST_ALREADY_WAITING,
                f"{client} is already on the waiting list for {treatment.name}; change or "
                "remove that entry instead.",
                details={"entry": str(open_entry.pk)},
            )
        entry = WaitlistEntry.objects.create(
            client=client,
            treatment=treatment,
            practitioner=practitioner,
            site=site or _default_site(client),
            window_start=window_start,
            window_end=window_end,
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="waitlist.join",
            obj=entry,
            client_id=client.pk,
            summary=f"{treatment.code} between {window_start:%Y-%m-%d %H:%M} and "
            f"{window_end:%Y-%m-%d %H:%M}",
        )
    waitlist_match()
    entry.refresh_from_db()
    return entry


def _client_free(client_id: int, start: dt.datetime, end: dt.datetime) -> bool:
    return not Appointment.objects.filter(
        client_id=client_id, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).exists()


def _offer_to(entry: WaitlistEntry) -> SlotHold | None:
    """Hold the first free start that fits ``entry`` (or None)."""
    now = clock.now()
    earliest = max(entry.window_start, now + dt.timedelta(minutes=offer_minutes()))
    if earliest > entry.window_end:
        return None
    tz = entry.site.tzinfo
    slots = selectors.availability_for(
        treatment=entry.treatment,
        date_from=earliest.astimezone(tz).date(),
        date_to=entry.window_end.astimezone(tz).date(),
        site=entry.site,
        practitioner=entry.practitioner,
        not_before=earliest,
        limit=200,
    )
    practitioners = {p.code: p for p in Practitioner.objects.all()}
    for slot in slots:
        if not (earliest <= slot.start <= entry.window_end):
            continue
        if slot.start.isoformat() in entry.passed_starts:
            continue
        if not _client_free(entry.client_id, slot.start, slot.end):
            continue
        try:
            return slot_hold(
                actor=None,
                treatment=entry.treatment,
                site=entry.site,
                start=slot.start,
                minutes=offer_minutes(),
                purpose=f"waiting list {entry.pk}",
                practitioner=practitioners[slot.practitioner],
            )
        except DomainError:
            continue
    return None


def _back_to_waiting(entry: WaitlistEntry, *, why: str) -> None:
    hold = entry.hold
    if hold is not None:
        entry.passed_starts = [*entry.passed_starts, hold.start.isoformat()]
    entry.status, entry.hold = WaitlistStatus.WAITING, None
    entry.save(update_fields=["status", "hold", "passed_starts"])
    audit_record(actor=None, action="waitlist.offer_passed", obj=entry, summary=why)


def _expire_offers() -> None:
    now = clock.now()
    ran_out = WaitlistEntry.objects.filter(
        status=WaitlistStatus.OFFERED, hold__expires_at__lte=now
    ).select_related("hold")
    for entry in ran_out:
        _back_to_waiting(entry, why="The offer ran out")


def waitlist_match() -> int:
    """Pass ran-out offers on, then offer each waiting entry (oldest first) the first free
    start in its window; returns how many offers were made. Each offer is its own
    transaction (a hold, as race-safe as a booking) and its message goes after commit."""
    _expire_offers()
    made = 0
    waiting = WaitlistEntry.objects.filter(
        status=WaitlistStatus.WAITING, window_end__gt=clock.now()
    ).select_related("site", "treatment", "practitioner")
    for entry in waiting.order_by("created_at", "pk"):
        with transaction.atomic():
            locked = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
            if locked.status != WaitlistStatus.WAITING:
                continue
            hold = _offer_to(entry)
            if hold is None:
                continue
            locked.status, locked.hold = WaitlistStatus.OFFERED, hold
            locked.save(update_fields=["status", "hold"])
            audit_record(
                actor=None,
                action="waitlist.offer",
                obj=locked,
                client_id=locked.client_id,
                summary=f"Offered {hold.start:%Y-%m-%d %H:%M} until {hold.expires_at:%H:%M}",
            )
            for notify in _NOTIFIERS:
                notify(locked)
            made += 1
    return made


def _locked_offer(entry: WaitlistEntry) -> WaitlistEntry:
    locked = get_locked(
        WaitlistEntry.objects.select_related("hold", "client"), entry.pk, **_NOT_FOUND
    )
    if locked.status != WaitlistStatus.OFFERED or locked.hold is None:
        raise Conflict(
            Code.WAITLIST_NOT_OFFERED,
            "There is no open offer on this waiting-list entry"
            + (" (it was already accepted)." if locked.status == "accepted" else "."),
            details={"status": locked.status},
        )
    return locked


def waitlist_accept(*, actor: Actor, entry: WaitlistEntry) -> Appointment:
    """Book the offered start for the entry's client (a booking's rules; the hold becomes
    the appointment). 409 ``waitlist_not_offered``; 409 ``hold_expired`` when the offer ran
    out and the time was taken."""
    with transaction.atomic():
        locked = _locked_offer(entry)
        assert locked.hold is not None
        appointment = slot_hold_confirm(actor=actor, hold=locked.hold, client=locked.client)
        locked.status, locked.appointment = WaitlistStatus.ACCEPTED, appointment
        locked.save(update_fields=["status", "appointment"])
        audit_record(
            actor=actor,
            action="waitlist.accept",
            obj=locked,
            client_id=locked.client_id,
            summary=f"Accepted as appointment {appointment.pk}",
        )
    return appointment


def waitlist_decline(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """Decline the open offer: the time goes to the next entry; this one keeps waiting
    for other starts. 409 ``waitlist_not_offered``."""
    with transaction.atomic():
        locked = _locked_offer(entry)
        assert locked.hold is not None
        slot_hold_release(actor=actor, hold=locked.hold, reason="Waiting-list offer declined")
        _back_to_waiting(locked, why="The offer was declined")
    waitlist_match()
    locked.refresh_from_db()
    return locked


def waitlist_cancel(*, actor: Actor, entry: WaitlistEntry) -> WaitlistEntry:
    """Take the entry off the list (an open offer's time is let go)."""
    with transaction.atomic():
        locked = get_locked(WaitlistEntry.objects.select_related("hold"), entry.pk, **_NOT_FOUND)
        if locked.status in (WaitlistStatus.ACCEPTED, WaitlistStatus.CANCELLED):
            return locked
        if locked.hold is not None and locked.hold.status == HoldStatus.HELD:
            slot_hold_release(actor=actor, hold=locked.hold, reason="Waiting-list entry removed")
        locked.status = WaitlistStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="waitlist.cancel", obj=locked, client_id=locked.client_id)
    return locked
