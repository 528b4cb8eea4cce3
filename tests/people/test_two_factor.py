"""The second factor (django-otp): enrolment, login with a code or a recovery code, and
who must use it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.portal.accounts import verified_client_account

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.identity import two_factor_required

PASSWORD = "mesoclinic-demo"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _password_login(username: str, next_path: str = "/") -> tuple[HttpClient, str]:
    browser = HttpClient()
    response = browser.post(
        f"/login/?next={next_path}", {"username": username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return browser, response["Location"]


def _enrolled(username: str) -> tuple[TOTPDevice, list[str]]:
    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = ["recover1", "recover2"]
    for code in codes:
        StaticToken.objects.create(device=static, token=code)
    return device, codes


@pytest.mark.parametrize(
    ("username", "required"),
    [("admin", True), ("dr-patel", True), ("nurse-okafor", True), ("reception", False)],
)
def test_admins_and_practitioners_must_use_a_second_factor(demo, two_factor_on, username, required):
    user = get_user_model().objects.get(username=username)
    assert two_factor_required(user) is required


def test_the_requirement_can_be_relaxed(demo):
    # the test settings relax it, as MESOCLINIC_REQUIRE_2FA=0 and the demo do
    assert two_factor_required(get_user_model().objects.get(username="admin")) is False


def test_a_practitioner_without_an_authenticator_enrols_before_anything_else(demo, two_factor_on):
    # given: the password is right
    browser, location = _password_login("dr-patel", "/clients/")

    # then: straight to enrolment, and every other page sends them back there
    assert location == "/login/authenticator/?next=%2Fclients%2F"
    assert browser.get("/clients/")["Location"] == "/login/authenticator/?next=%2Fclients%2F"
    assert browser.get("/admin/").status_code == 302
    page = browser.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    device = TOTPDevice.objects.get(user__username="dr-patel", confirmed=False)
    assert re.search(r'<code id="otp-secret">[A-Z2-7]{32}</code>', html)

    # when: a wrong code, then the code the app shows
    wrong = browser.post(location, {"code": "000000" if _code(device) != "000000" else "111111"})
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try wait a second after a wrong one
    confirmed = browser.post(location, {"code": _code(device)})

    # then: recovery codes are shown once, and the clinic opens
    assert wrong.status_code == 400
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/login/recovery-codes/?next=%2Fclients%2F"
    shown = browser.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", shown)
    assert len(codes) == 10
    assert set(codes) == set(
        StaticToken.objects.filter(device__user__username="dr-patel").values_list(
            "token", flat=True
        )
    )
    again = browser.get(confirmed["Location"]).content.decode()
    assert re.findall(r"<li><code>", again) == []
    assert "You have 10 unused" in again
    assert browser.get("/clients/").status_code == 200
    assert TOTPDevice.objects.get(user__username="dr-patel").confirmed is True
    actions = list(
        AuditEntry.objects.filter(
            actor_label="dr-patel", action__startswith="two_factor"
        ).values_list("action", flat=True)
    )
    assert actions == ["two_factor.enrol"]


def test_login_with_an_authenticator_asks_for_the_code(demo, two_factor_on):
    # given
    device, _ = _enrolled("dr-patel")
    browser, location = _password_login("dr-patel")

    # then: the code step, and the rest stays shut (the API treats the session as anonymous)
    assert location == "/login/code/?next=%2F"
    assert browser.get("/")["Location"] == "/login/code/"
    assert browser.get("/api/v1/treatments").status_code == 401

    # when
    wrong = browser.post("/login/code/", {"code": "12345", "next": "/"})
    device.refresh_from_db()
    device.throttle_reset()
    right = browser.post("/login/code/", {"code": _code(device), "next": "/"})

    # then
    assert wrong.status_code == 400
    assert (right.status_code, right["Location"]) == (302, "/")
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/treatments").status_code == 200
    assert AuditEntry.objects.filter(action="login.second_factor_failed").count() == 1
    entry = AuditEntry.objects.get(action="login.second_factor")
    assert (entry.actor_label, entry.data["method"], entry.data["ip"]) == (
        "dr-patel",
        "totp",
        "127.0.0.1",
    )


def test_a_code_is_asked_of_anyone_with_an_authenticator_even_when_not_required(demo):
    # given: 2FA relaxed, but reception enrolled anyway
    device, _ = _enrolled("reception")

    # when
    browser, location = _password_login("reception")

    # then
    assert location == "/login/code/?next=%2F"
    assert browser.post("/login/code/", {"code": _code(device)}).status_code == 302
    assert browser.get("/").status_code == 200


def test_a_recovery_code_works_once(demo, two_factor_on):
    # given
    _, codes = _enrolled("nurse-okafor")
    first, _ = _password_login("nurse-okafor")

    # when: the recovery code is used, then tried again in a new login
    used = first.post("/login/code/", {"code": codes[0]})
    second, _ = _password_login("nurse-okafor")
    reused = second.post("/login/code/", {"code": codes[0]})

    # then
    assert used.status_code == 302
    assert first.get("/").status_code == 200
    assert reused.status_code == 400
    assert second.get("/").status_code == 302
    assert list(
        StaticToken.objects.filter(device__user__username="nurse-okafor").values_list(
            "token", flat=True
        )
    ) == [codes[1]]
    assert AuditEntry.objects.get(action="login.second_factor").data["method"] == "recovery_code"


def test_a_password_alone_cannot_replace_an_existing_authenticator(demo, two_factor_on):
    # given
    _enrolled("dr-patel")
    browser, _ = _password_login("dr-patel")

    # when
    response = browser.get("/login/authenticator/")

    # then
    assert response["Location"].startswith("/login/code/")
    assert not TOTPDevice.objects.filter(user__username="dr-patel", confirmed=False).exists()


def test_django_admin_needs_the_second_factor(demo, two_factor_on):
    # given: the password through the admin's own login page
    device, _ = _enrolled("admin")
    browser = HttpClient()
    browser.post("/admin/login/?next=/admin/", {"username": "admin", "password": PASSWORD})

    # when
    before = browser.get("/admin/")
    browser.post("/login/code/", {"code": _code(device)})
    after = browser.get("/admin/")

    # then
    assert before["Location"] == "/login/code/?next=%2Fadmin%2F"
    assert after.status_code == 200


def test_reception_logs_in_with_the_password_alone(demo, two_factor_on):
    browser, location = _password_login("reception")
    assert location == "/"
    assert browser.get("/").status_code == 200


def test_api_tokens_are_not_affected_by_the_second_factor(demo, two_factor_on, api_as):
    assert api_as("dr-patel").get("/treatments").status_code == 200


def test_two_factor_reset_removes_the_devices_and_is_audited(demo, two_factor_on, capsys):
    from mesoclinic import cli

    _enrolled("dr-patel")
    assert cli.main(["2fa", "reset", "dr-patel"]) == 0
    assert "Removed 2 second-factor device(s) of dr-patel" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user__username="dr-patel").exists()
    assert AuditEntry.objects.get(action="two_factor.reset").data == {
        "username": "dr-patel",
        "devices": 2,
    }
    _, location = _password_login("dr-patel")
    assert location.startswith("/login/authenticator/")


def test_portal_clients_have_no_second_factor_pages(demo, two_factor_on):
    account = verified_client_account(
        email="otp.client@example.com", password="a-long-client-passphrase"
    )
    browser = HttpClient()
    browser.force_login(account.user)
    assert browser.get("/login/authenticator/")["Location"] == "/login/"
    assert not TOTPDevice.objects.filter(user=account.user).exists()
