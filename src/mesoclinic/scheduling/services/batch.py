"""Guarded writes of several new appointments at once (a course's sessions): one lock
round, one re-check query for all of them and one ``INSERT``, instead of a re-check, a
savepoint and an insert per session. Any doubt (a session no longer fits as the engine
placed it, or the insert loses a race) falls back to ``_write_guarded`` per session, with
its retries and its refusals, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, OperationalError, transaction

from mesoclinic.core.errors import Conflict
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services.guarded import (
    Placement,
    _choose_resources,
    _is_lost_race,
    _lock_against_holds,
    _lock_lounge,
    _NewAppointment,
    _recheck_rows,
)


def _write_all_at_once(
    *,
    placements: Sequence[Placement],
    inserts: Sequence[_NewAppointment],
    client: Client,
) -> list[Appointment] | None:
    """Inside the caller's transaction: lock for every placement, re-check them all in
    one query and insert every appointment in one ``INSERT``, each with the engine's room
    and device when still free (else the first free one, as ``_choose_resources`` picks).
    ``None`` when any session needs more than that: nothing is written, and the caller
    books the sessions one by one (``_write_guarded``), which then names the refusal."""
    if not placements:
        return []
    treatment = inserts[0].treatment
    locked: set[tuple[int, int]] = set()
    for placement in placements:
        key = (placement.site.pk, placement.practitioner.pk)
        if key not in locked:
            locked.add(key)
            _lock_against_holds(placement, exclusive=False)
    for site in {placement.site.pk: placement.site for placement in placements}.values():
        _lock_lounge(site, treatment)
    found = _recheck_rows(placements, client=client)
    rows: list[Appointment] = []
    for placement, insert in zip(placements, inserts, strict=True):
        try:
            room, device = _choose_resources(
                placement,
                client=client,
                treatment=treatment,
                exclude_ids=(),
                pinned_room=False,
                pinned_device=False,
                found=found,
            )
        except Conflict:
            return None
        rows.append(insert.build(placement, room, device))
    try:
        with transaction.atomic():
            return Appointment.objects.bulk_create(rows)
    except (IntegrityError, OperationalError) as error:
        if not _is_lost_race(error):
            raise
        return None
