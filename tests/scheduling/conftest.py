"""Fixtures for scheduling tests: a fixed "now", clients by name, booking helpers."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from mesoclinic.people.models import Client

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
"""Monday 1 February 2027, 08:00 in London: every test sees this moment as "now"."""


def london(day: str, time: str) -> dt.datetime:
    """An aware London wall-clock moment: ``london("2027-03-05", "10:00")``."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.fromisoformat(time), LONDON)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    """Freeze mesoclinic's clock at ``NOW``."""
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)
    return NOW


@pytest.fixture
def client_named(demo):
    """``client_named("Amelia", "Hart")`` is that demo client."""
    return lambda given, family: Client.objects.get(given_name=given, family_name=family)
