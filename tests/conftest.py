"""Shared fixtures: the demo clinic, staff users with tokens, an API client."""

from __future__ import annotations

import os

os.environ.setdefault("MESOCLINIC_STATIC_MANIFEST", "0")
os.environ.setdefault("MESOCLINIC_INSECURE_HTTP", "1")

import pytest
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client as HttpClient
from hypothesis import HealthCheck, settings

from mesoclinic.core.audit_guard import audit_erasure_allowed
from mesoclinic.demo.loader import demo_load
from mesoclinic.people.models import Site
from mesoclinic.people.services import api_token_create

# Property tests check what is true, never how fast: no per-example deadline and no
# "too slow" health check, which fail on a busy machine (both suites share two cores).
settings.register_profile("mesoclinic", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mesoclinic")

PURE_ENGINE_TESTS = ("test_engine", "test_scales.py", "test_maintenance.py")


def pytest_collection_modifyitems(config, items):
    """Mark the pure-engine tests, so the PostgreSQL run can leave them out."""
    for item in items:
        if item.path.name.startswith(PURE_ENGINE_TESTS):
            item.add_marker(pytest.mark.pure)


@pytest.fixture(scope="session", autouse=True)
def flush_may_erase_the_audit_trail():
    """Transactional and browser tests flush every table afterwards; the audit table's
    triggers refuse deletes, so the flush runs inside the one permitted erasure path."""
    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with audit_erasure_allowed(reason="test flush", using=self.connection.alias):
            return flush(self, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the portal's rate-limit counters live there)
    and reads the clinic's saved policies afresh."""
    from django.core.cache import cache

    from mesoclinic.people import policy

    cache.clear()
    policy.clear_cache()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo clinic once per test database; each test rolls back its own changes."""
    with django_db_blocker.unblock():
        demo_load(with_history=False)


@pytest.fixture(autouse=True)
def _second_factor_optional(settings):
    """Tests log in with ``force_login`` or a password alone, as in the demo; the 2FA tests
    turn the requirement back on (``two_factor_on``)."""
    settings.MESOCLINIC = {**settings.MESOCLINIC, "REQUIRE_2FA": False}


@pytest.fixture
def two_factor_on(settings):
    """The production rule: admins and practitioners must use a second factor."""
    settings.MESOCLINIC = {**settings.MESOCLINIC, "REQUIRE_2FA": True}


@pytest.fixture
def demo(db):
    """The demo clinic of domain.md §9 (reloaded if a transactional test flushed it)."""
    if not Site.objects.filter(code="london").exists():
        demo_load(with_history=False)


class Api:
    """A JSON client for /api/v1 that sends a bearer token."""

    def __init__(self, token: str) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params):
        return self.http.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body=None, *, raw: str | None = None):
        data = raw if raw is not None else __import__("json").dumps(body or {})
        return self.http.post(
            f"/api/v1{path}", data, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def browser_as(demo):
    """``browser_as("dr-patel")`` is a Django test client logged in as that demo user."""

    def login(username: str) -> HttpClient:
        browser = HttpClient()
        assert browser.login(username=username, password="mesoclinic-demo")
        return browser

    return login


@pytest.fixture
def api_as(demo):
    """``api_as("dr-patel")`` is an API client authenticated as that demo user."""
    return lambda username: Api(api_token_create(username=username))


@pytest.fixture
def api(api_as):
    """An API client authenticated as Dr Patel, the demo's doctor and prescriber (clinical
    content is for practitioners; the admin is the clinic manager)."""
    return api_as("dr-patel")
