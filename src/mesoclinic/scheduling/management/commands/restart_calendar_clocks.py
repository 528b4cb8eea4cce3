"""``mesoclinic manage restart_calendar_clocks``: after a restore or a bulk load that went
around the database triggers, make every running process re-read its scheduling data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mesoclinic.core.audit import audit_record
from mesoclinic.scheduling import revisions


class Command(BaseCommand):
    help = (
        "Draw new epochs for the appointments and resources revision clocks, so that every "
        "running process reloads the busy time and site resources it keeps in memory "
        "(needed after restoring a backup or loading appointments with the triggers dropped)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for key in (revisions.APPOINTMENTS, revisions.RESOURCES):
            revisions.restart(key)
        audit_record(
            actor=None,
            action="calendar.clocks_restarted",
            summary="Revision clocks restarted: running processes reload scheduling data",
        )
        self.stdout.write("Restarted the appointments and resources clocks.")
