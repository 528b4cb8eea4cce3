"""Tests' stand-in for the worker's first step after a booking."""

from __future__ import annotations

from mesoclinic.messaging.tasks import booking_messages_write
from mesoclinic.messaging.worker import run_pending


def booking_messages_written() -> int:
    """Run the booking-message tasks queued so far, as the worker would, and nothing else
    (the messages they write stay pending); how many tasks ran."""
    return run_pending(tasks=[booking_messages_write])
