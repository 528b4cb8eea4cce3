"""Fixtures for the records tests (factories live in tests/records/factories.py)."""

from __future__ import annotations

import pytest
from tests.records.factories import book, clear_screening, move_clock_past, receive


@pytest.fixture
def appointment(demo):
    """A face-revitalise appointment tomorrow with dr-patel, client screened clear."""
    clear_screening(treatment="face-revitalise")
    return book()


@pytest.fixture
def fresh_batch(demo):
    """Ten mL of the revitalise cocktail expiring in a year."""
    return receive("revitalise-cocktail", "T-REV-FRESH")


@pytest.fixture
def after_session(appointment, monkeypatch):
    """The clock moved past the ``appointment``'s end: a record can be signed only once
    the treatment has started."""
    move_clock_past(monkeypatch, appointment)
