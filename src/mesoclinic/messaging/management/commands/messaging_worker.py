"""``manage.py messaging_worker``: run the django-tasks database worker."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from mesoclinic.messaging.taskqueue import run_pending, run_worker
from mesoclinic.messaging.tasks import periodic_jobs


class Command(BaseCommand):
    help = "Run background tasks (message sending, reminders) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="run what is due, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            ran = run_pending()
            self.stdout.write(f"Ran {ran} task(s).")
            return
        self.stdout.write("mesoclinic worker running (Ctrl+C to stop)")
        run_worker(interval_seconds=options["interval"], periodic=periodic_jobs())
