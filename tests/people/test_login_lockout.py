"""Login lockout (django-axes) on the staff, portal and admin logins, and the login audit."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from tests.portal.accounts import verified_client_account

from mesoclinic.core.models import AuditEntry

PASSWORD = "mesoclinic-demo"
LIMIT = 10


def _fail(browser: HttpClient, path: str, fields: dict[str, str], times: int) -> list[int]:
    return [browser.post(path, fields).status_code for _ in range(times)]


def test_the_eleventh_staff_login_is_refused_even_with_the_right_password(demo):
    # given: ten wrong passwords for reception from one address
    browser = HttpClient()
    statuses = _fail(browser, "/login/", {"username": "reception", "password": "nope"}, LIMIT)

    # when
    response = browser.post("/login/", {"username": "reception", "password": PASSWORD})

    # then: nine plain refusals, then the lockout page, and no session
    assert statuses == [200] * (LIMIT - 1) + [429]
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many login attempts" in html
    assert "Even the right password is refused" in html
    assert "_auth_user_id" not in browser.session
    assert browser.get("/").status_code == 302


def test_a_lockout_holds_one_username_and_address_only(demo):
    # given
    _fail(HttpClient(), "/login/", {"username": "reception", "password": "nope"}, LIMIT)

    # when: the same user from another address, and another user from the same one
    elsewhere = HttpClient(REMOTE_ADDR="192.0.2.7").post(
        "/login/", {"username": "reception", "password": PASSWORD}
    )
    other_user = HttpClient().post("/login/", {"username": "dr-patel", "password": PASSWORD})

    # then
    assert (elsewhere.status_code, elsewhere["Location"]) == (302, "/")
    assert (other_user.status_code, other_user["Location"]) == (302, "/")


def test_failed_logins_and_the_lockout_are_audited_with_username_and_address(demo):
    # given
    browser = HttpClient()
    _fail(browser, "/login/", {"username": "reception", "password": "nope"}, LIMIT)

    # when
    browser.post("/login/", {"username": "reception", "password": PASSWORD})

    # then: every attempt failed (the locked one too), and the lockout twice: when it
    # began and when the locked pair tried again
    failed = AuditEntry.objects.filter(action="login.failed", data__username="reception")
    locked = AuditEntry.objects.filter(action="login.locked_out", data__username="reception")
    assert failed.count() == LIMIT + 1
    assert locked.count() == 2
    entry = failed.first()
    assert entry is not None
    assert (entry.actor_id, entry.data["ip"], entry.data["path"]) == (None, "127.0.0.1", "/login/")
    assert not AuditEntry.objects.filter(action="login.success").exists()


def test_a_failed_login_for_an_unknown_username_is_audited(demo):
    HttpClient().post("/login/", {"username": "mallory", "password": "guess"})
    entry = AuditEntry.objects.get(action="login.failed")
    assert (entry.data["username"], entry.summary) == ("mallory", "Failed login for 'mallory'")


def test_a_successful_login_is_audited_and_clears_the_failures(demo):
    # given: nine failures
    browser = HttpClient()
    _fail(browser, "/login/", {"username": "reception", "password": "nope"}, LIMIT - 1)

    # when
    response = browser.post("/login/", {"username": "reception", "password": PASSWORD})
    later = _fail(HttpClient(), "/login/", {"username": "reception", "password": "nope"}, LIMIT - 1)

    # then: logged in, audited, and the count started again
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="login.success")
    assert (entry.actor_label, entry.data["username"], entry.data["ip"]) == (
        "reception",
        "reception",
        "127.0.0.1",
    )
    assert later == [200] * (LIMIT - 1)


def test_the_admin_login_locks_out_too(demo):
    # given
    browser = HttpClient()
    fields = {"username": "admin", "password": "nope", "next": "/admin/"}
    statuses = _fail(browser, "/admin/login/", fields, LIMIT)

    # when
    response = browser.post("/admin/login/", {**fields, "password": PASSWORD})

    # then
    assert statuses[-1] == 429
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert browser.get("/admin/").status_code == 302
    assert AuditEntry.objects.filter(action="login.failed", data__path="/admin/login/").count() == (
        LIMIT + 1
    )


@pytest.fixture
def client_account():
    return verified_client_account(
        email="lock.test@example.com", password="a-long-client-passphrase"
    )


def test_the_portal_login_locks_out_too(demo, client_account, settings):
    # given the portal's own per-address rate limit out of the way
    settings.MESOCLINIC = {
        **settings.MESOCLINIC,
        "PORTAL_RATE_LIMITS": {"login": {"ip": "1000/h", "address": "1000/h"}},
    }
    browser = HttpClient()
    fields = {"email": "lock.test@example.com", "password": "nope"}
    statuses = _fail(browser, "/account/login/", fields, LIMIT)

    # when
    response = browser.post("/account/login/", {**fields, "password": "a-long-client-passphrase"})

    # then: the portal's own lockout page
    assert statuses == [200] * (LIMIT - 1) + [429]
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many login attempts" in html
    assert "phone the clinic" in html
    assert "_auth_user_id" not in browser.session
    username = client_account.user.get_username()
    assert AuditEntry.objects.filter(action="login.failed", data__username=username).count() == (
        LIMIT + 1
    )


def test_portal_attempts_on_an_unknown_email_are_counted(demo):
    browser = HttpClient()
    statuses = _fail(
        browser, "/account/login/", {"email": "nobody@example.com", "password": "x"}, LIMIT
    )
    assert statuses[-1] == 429
    assert (
        AuditEntry.objects.filter(
            action="login.failed", data__username="nobody@example.com"
        ).count()
        == LIMIT
    )
