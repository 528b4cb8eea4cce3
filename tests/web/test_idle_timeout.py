"""Staff sessions end after MESOCLINIC_STAFF_IDLE_MINUTES without a request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry


@pytest.fixture
def reception(demo):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="reception"))
    assert browser.get("/").status_code == 200  # the first request starts the idle clock
    return browser


def _move_clock(monkeypatch, minutes: float) -> None:
    later = clock.now() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)


def test_a_staff_session_idle_past_the_limit_goes_to_login_with_a_message(reception, monkeypatch):
    # when
    _move_clock(monkeypatch, 31)
    response = reception.get("/clients/")

    # then
    assert (response.status_code, response["Location"]) == (302, "/login/?next=%2Fclients%2F")
    page = reception.get(response["Location"]).content.decode()
    assert "You were logged out after 30 minutes without activity." in page
    assert reception.get("/clients/").status_code == 302
    entry = AuditEntry.objects.get(action="login.logout")
    assert (entry.actor_label, entry.data["reason"]) == ("reception", "idle")


def test_activity_within_the_limit_keeps_the_session(reception, monkeypatch):
    for _ in range(3):  # 87 minutes in all, never 30 idle
        _move_clock(monkeypatch, 29)
        assert reception.get("/clients/").status_code == 200


def test_the_limit_is_configurable(reception, monkeypatch, settings):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "STAFF_IDLE_MINUTES": 5}
    _move_clock(monkeypatch, 6)
    assert reception.get("/").status_code == 302


def test_an_idle_htmx_request_redirects_the_whole_page(reception, monkeypatch):
    _move_clock(monkeypatch, 31)
    response = reception.get("/clients/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/login/?next=%2Fclients%2F"


def test_an_idle_session_is_refused_by_the_api(reception, monkeypatch):
    assert reception.get("/api/v1/treatments").status_code == 200
    _move_clock(monkeypatch, 31)
    assert reception.get("/api/v1/treatments").status_code == 401


def test_sessions_last_at_most_a_working_day(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
