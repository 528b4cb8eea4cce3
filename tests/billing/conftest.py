"""Billing fixtures: a fixed "now", a past appointment with a deposit, the desk's API."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.records.factories import book

from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.people.models import Client

NOW = dt.datetime(2027, 2, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)
    return NOW


@pytest.fixture
def amelia(demo):
    return Client.objects.get(email="amelia.hart@example.com")


@pytest.fixture
def treatment(demo):
    return Treatment.objects.get(code="face-revitalise")


@pytest.fixture
def missed(amelia, treatment):
    """A face-revitalise appointment at 09:00 today (its start has passed) with a £60
    deposit taken by card."""
    appointment = book(at=NOW.replace(hour=9))
    payment_record(
        actor=None, appointment=appointment, kind="deposit", method="card", amount="60.00"
    )
    return appointment


def set_policy(treatment, preset: str, percent: str = "50") -> None:
    Treatment.objects.filter(pk=treatment.pk).update(
        no_show_policy=preset, no_show_fee_percent=percent
    )


@pytest.fixture
def desk(api_as):
    return api_as("reception")
