"""The administrators' audit page: lists and filters the trail, admin role only, and
opening it is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.utils import timezone

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client

PASSWORD = "mesoclinic-demo"
NOW = dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)


def _as(username: str) -> HttpClient:
    browser = HttpClient(REMOTE_ADDR="192.0.2.90")
    assert browser.login(username=username, password=PASSWORD)
    return browser


@pytest.fixture
def entries(demo, monkeypatch):
    """Three reads by different users on different days, about two clients."""
    users = get_user_model().objects
    amelia = Client.objects.get(email="amelia.hart@example.com")
    mia = Client.objects.get(email="mia.fernandes@example.com")
    made = {}
    for name, user, client, day in (
        ("old", "dr-patel", amelia, dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC)),
        ("mid", "reception", mia, dt.datetime(2027, 3, 5, 10, tzinfo=dt.UTC)),
        ("new", "dr-patel", mia, dt.datetime(2027, 3, 9, 10, tzinfo=dt.UTC)),
    ):
        monkeypatch.setattr("mesoclinic.core.clock.now", lambda day=day: day)
        made[name] = audit_record(
            actor=users.get(username=user),
            action="record.view" if name != "mid" else "client.view",
            client_id=client.pk,
            summary=f"marker-{name}",
        )
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)
    return made


def _markers(response) -> list[str]:
    html = response.content.decode()
    return [name for name in ("new", "mid", "old") if f"marker-{name}" in html]


def test_the_page_lists_entries_newest_first_with_user_role_and_ip(entries):
    # when
    response = _as("admin").get("/audit/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert _markers(response) == ["new", "mid", "old"]
    assert html.index("marker-new") < html.index("marker-mid") < html.index("marker-old")
    assert '<caption class="visually-hidden">Audit entries, newest first</caption>' in html
    assert '<label for="id_since">From</label>' in html


def test_the_action_filter_offers_each_action_once(entries):
    html = _as("admin").get("/audit/").content.decode()
    assert html.count('<option value="record.view">') == 1
    assert html.index('<option value="client.view">') < html.index('<option value="record.view">')


def test_filtering_by_date_range(entries):
    response = _as("admin").get("/audit/", {"since": "2027-03-02", "until": "2027-03-05"})
    assert _markers(response) == ["mid"]


def test_filtering_by_user_client_and_action(entries):
    browser = _as("admin")
    mia = Client.objects.get(email="mia.fernandes@example.com")
    assert _markers(browser.get("/audit/", {"user": "DR-PATEL"})) == ["new", "old"]
    assert _markers(browser.get("/audit/", {"client": mia.pk})) == ["new", "mid"]
    assert _markers(browser.get("/audit/", {"action": "client.view"})) == ["mid"]
    assert _markers(browser.get("/audit/", {"user": "dr-patel", "client": mia.pk})) == ["new"]


def test_a_reversed_date_range_is_a_form_error_not_a_crash(entries):
    response = _as("admin").get("/audit/", {"since": "2027-03-05", "until": "2027-03-01"})
    assert response.status_code == 422
    assert "The end date must not be before the start date." in response.content.decode()
    assert _markers(response) == []


def test_the_list_is_paginated(entries, monkeypatch):
    # given: more entries than fit on one page
    monkeypatch.setattr("mesoclinic.web.audit_views.ENTRIES_PER_PAGE", 1)
    browser = _as("admin")
    # when
    first = browser.get("/audit/", {"user": "dr-patel"})
    second = browser.get("/audit/", {"user": "dr-patel", "page": 2})
    # then
    assert (_markers(first), _markers(second)) == (["new"], ["old"])
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?user=dr-patel&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_htmx_filtering_returns_only_the_results(entries):
    response = _as("admin").get(
        "/audit/", {"action": "client.view"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert _markers(response) == ["mid"]


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_other_roles_are_refused(entries, username):
    before = AuditEntry.objects.filter(action="audit.view").count()
    assert _as(username).get("/audit/").status_code == 403
    assert AuditEntry.objects.filter(action="audit.view").count() == before


def test_anonymous_visitors_are_sent_to_login(demo):
    response = HttpClient().get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_viewing_the_page_is_audited(entries):
    # given
    mia = Client.objects.get(email="mia.fernandes@example.com")
    # when
    _as("admin").get("/audit/", {"client": mia.pk, "action": "record.view"})
    # then
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor_label, entry.role, entry.ip, entry.client_id) == (
        "audit.view",
        "admin",
        "admin",
        "192.0.2.90",
        mia.pk,
    )
    assert entry.data == {"client_id": str(mia.pk), "action": "record.view"}
    assert entry.at == NOW


def test_the_nav_shows_the_audit_link_to_admins_only(demo):
    assert b'href="/audit/"' in _as("admin").get("/").content
    assert b'href="/audit/"' not in _as("reception").get("/").content


def test_days_are_local_days(demo, monkeypatch):
    # given: 23:30 UTC on 31 March 2027 is already 1 April in London (BST)
    moment = dt.datetime(2027, 3, 31, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: moment)
    audit_record(actor=None, action="test.local_day", summary="marker-new")
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: NOW)
    browser = _as("admin")
    # then
    assert timezone.localtime(moment).date() == dt.date(2027, 4, 1)
    assert _markers(browser.get("/audit/", {"since": "2027-04-01", "until": "2027-04-01"})) == [
        "new"
    ]
    assert (
        _markers(browser.get("/audit/", {"until": "2027-03-31", "action": "test.local_day"})) == []
    )
    assert clock.now() == NOW
