"""Calendar and booking pages: a fixed clock (Monday 1 February 2027) and a reception login."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from tests.web.scheduling.support import NOW

from mesoclinic.people.models import Client


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)


@pytest.fixture
def browser(demo):
    browser = HttpClient()
    assert browser.login(username="reception", password="mesoclinic-demo")
    return browser


@pytest.fixture
def manager(demo):
    """The clinic manager's browser (absences are an administrator's or the practitioner's)."""
    browser = HttpClient()
    assert browser.login(username="admin", password="mesoclinic-demo")
    return browser


@pytest.fixture
def amelia(demo):
    return Client.objects.get(email="amelia.hart@example.com")
