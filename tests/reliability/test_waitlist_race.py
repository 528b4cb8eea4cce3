"""Taking an entry off the waiting list while another transaction offers it a time, in
threads with their own database connections (SQLite or PostgreSQL): the removal waits
for the offer, then lets the offered time go, so no hold is left behind for an entry
that no longer waits.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from tests.reliability.support import TUESDAY, london_at, london_open_day

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import NotFound
from mesoclinic.people.models import Client, Practitioner, Site
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import HoldStatus, WaitlistEntry, WaitlistStatus

pytestmark = [pytest.mark.django_db(transaction=True)]

OFFER_HELD_SECONDS = 0.5


def _waiting_entry() -> WaitlistEntry:
    """An entry that waits for ten free minutes of dr-patel's, not yet offered them."""
    start = london_at(london_open_day(TUESDAY, days_ahead=28), 10)
    return WaitlistEntry.objects.create(
        client=Client.objects.get(email="amelia.hart@example.com"),
        treatment=Treatment.objects.get(code="face-revitalise"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
        site=Site.objects.get(code="london"),
        window_start=start,
        window_end=start + dt.timedelta(minutes=10),
        created_at=clock.now(),
    )


def _offer_slowly(offered: threading.Event) -> None:
    """In its own connection: offer the waiting entries a time and hold the transaction
    open, so a removal started meanwhile waits for it."""

    def offer() -> None:
        try:
            with transaction.atomic():
                assert services.waitlist_match() == 1
                offered.set()
                time.sleep(OFFER_HELD_SECONDS)
        finally:
            connection.close()

    threading.Thread(target=offer, daemon=True).start()
    assert offered.wait(10)


def test_removing_an_entry_while_it_is_offered_a_time_lets_that_time_go(demo):
    # given: a waiting entry, being offered a time by an open transaction
    entry = _waiting_entry()
    offered = threading.Event()
    _offer_slowly(offered)
    # when: it is taken off the list meanwhile, from what was read before the offer
    removed = services.waitlist_cancel(actor=None, entry=entry)
    # then: the entry is off the list and the offered time is no longer held
    assert removed.status == WaitlistStatus.CANCELLED
    stored = WaitlistEntry.objects.select_related("hold").get(pk=entry.pk)
    assert stored.status == WaitlistStatus.CANCELLED
    assert stored.hold is not None
    assert stored.hold.status != HoldStatus.HELD


def test_removing_an_entry_that_is_gone_is_not_found(demo):
    # given: an entry object whose row no longer exists
    entry = _waiting_entry()
    WaitlistEntry.objects.filter(pk=entry.pk).delete()
    # when/then: 404 waitlist_not_found, not a 500
    with pytest.raises(NotFound) as refused:
        services.waitlist_cancel(actor=None, entry=entry)
    assert refused.value.code == "waitlist_not_found"
