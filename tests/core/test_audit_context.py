"""Every audit entry written during a request carries the actor's role and the client's
address; outside a request both stay empty."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.test import RequestFactory

from mesoclinic.core import clock
from mesoclinic.core.audit import audit_record
from mesoclinic.core.audit_context import audit_role, client_ip
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount

PASSWORD = "mesoclinic-demo"


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **headers))


def test_the_address_is_remote_addr():
    assert _ip("192.0.2.7") == "192.0.2.7"


def test_forwarded_for_is_ignored_without_a_trusted_proxy():
    assert _ip("192.0.2.7", "203.0.113.9") == "192.0.2.7"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(settings):
    # given: the reverse proxy lives at 10.0.0.2
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # then: a forged left-most hop written by the client is not believed
    assert _ip("10.0.0.2", "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert _ip("10.0.0.2", "203.0.113.9, 10.0.0.5") == "203.0.113.9"


def test_a_malformed_forwarded_hop_stops_the_walk(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert _ip("10.0.0.2", "203.0.113.9, not-an-address") == "10.0.0.2"


def test_an_ipv6_client_behind_an_ipv4_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2", "::1"]
    assert _ip("10.0.0.2", "2001:db8::5") == "2001:db8::5"


def test_a_request_from_a_proxy_not_trusted_keeps_its_own_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert _ip("10.0.0.3", "203.0.113.9") == "10.0.0.3"


@pytest.mark.django_db
def test_roles_come_from_the_staff_profile_superuser_or_client_account(demo):
    users = get_user_model().objects
    amelia = Client.objects.get(email="amelia.hart@example.com")
    portal_user = users.create_user(username="portal-amelia", password="violet-harbour-42")
    ClientAccount.objects.create(
        user=portal_user,
        client=amelia,
        email=amelia.email,
        given_name=amelia.given_name,
        family_name=amelia.family_name,
        birth_date=amelia.birth_date,
        created_at=clock.now(),
    )
    assert audit_role(users.get(username="admin")) == "admin"
    assert audit_role(users.get(username="dr-patel")) == "practitioner"
    assert audit_role(users.get(username="reception")) == "reception"
    assert audit_role(users.create_superuser(username="root", password="x" * 12)) == "admin"
    assert audit_role(users.get(username="portal-amelia")) == "client"
    assert audit_role(users.create_user(username="nobody")) == ""
    assert audit_role(None) == ""


@pytest.mark.django_db
def test_a_staff_page_read_records_role_and_address(demo):
    # given
    browser = HttpClient(REMOTE_ADDR="192.0.2.44")
    assert browser.login(username="reception", password=PASSWORD)
    amelia = Client.objects.get(email="amelia.hart@example.com")
    # when
    assert browser.get(f"/clients/{amelia.pk}/").status_code == 200
    # then
    entry = AuditEntry.objects.filter(action="client.view").latest("id")
    assert (entry.actor_label, entry.role, entry.ip, entry.client_id) == (
        "reception",
        "reception",
        "192.0.2.44",
        amelia.pk,
    )


@pytest.mark.django_db
def test_an_api_read_records_role_and_forwarded_address(api_as, settings):
    # given: the API is reached through the clinic's reverse proxy
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    api = api_as("dr-patel")
    amelia = Client.objects.get(email="amelia.hart@example.com")
    # when
    response = api.http.get(
        f"/api/v1/clients/{amelia.pk}",
        headers={**api.headers, "X-Forwarded-For": "203.0.113.20"},
    )
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="client.view").latest("id")
    assert (entry.actor_label, entry.role, entry.ip) == ("dr-patel", "practitioner", "203.0.113.20")


@pytest.mark.django_db
def test_outside_a_request_role_and_address_stay_empty(demo):
    # when: a command or the worker writes an entry for a user
    entry = audit_record(
        actor=get_user_model().objects.get(username="dr-patel"), action="test.outside"
    )
    # then
    entry.refresh_from_db()
    assert (entry.role, entry.ip) == ("", None)
