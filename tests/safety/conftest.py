"""Safety fixtures: the demo clinic's safety data, loaded once per test database."""

from __future__ import annotations

import pytest

from mesoclinic.catalogue.models import Treatment
from mesoclinic.demo.safety import load_safety_demo
from mesoclinic.people.models import Client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo clinic plus its safety data (idempotent once the demo loader calls it)."""
    with django_db_blocker.unblock():
        load_safety_demo()


@pytest.fixture
def client_by_email(demo):
    return lambda email: Client.objects.get(email=email)


@pytest.fixture
def treatment(demo):
    return lambda code: Treatment.objects.select_related("default_formulation").get(code=code)
