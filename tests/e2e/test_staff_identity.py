"""Staff identity in a browser: enrolling an authenticator, and pages that keep to the
Content Security Policy (no violation reported by Chromium)."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from mesoclinic.people.models import Client

pytestmark = pytest.mark.e2e


def _csp_reports(page):
    reports: list[str] = []
    page.on(
        "console",
        lambda message: (
            reports.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return reports


def test_a_practitioner_sets_up_an_authenticator_and_reaches_the_clinic(
    page, live_url, demo, two_factor_on
):
    # given
    reports = _csp_reports(page)
    page.goto(live_url("/login/"))
    page.fill("#id_username", "nurse-lewis")
    page.fill("#id_password", "mesoclinic-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_url("/login/authenticator/*"))
    assert page.locator("img[alt^='QR code']").evaluate("image => image.naturalWidth") > 0

    # when: the code an app would show for the key on the page
    key = base64.b32decode(page.inner_text("#otp-secret"))
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("button.primary")

    # then: the recovery codes once, then the dashboard
    page.wait_for_url(live_url("/login/recovery-codes/*"))
    assert len(re.findall(r"\b[a-z0-9]{8}\b", page.inner_text(".recovery-codes"))) == 10
    page.click("text=Continue")
    page.wait_for_url(live_url("/"))
    assert reports == []


def test_staff_pages_keep_to_the_content_security_policy(login, live_url):
    # given
    page = login("dr-patel")
    reports = _csp_reports(page)
    zara = Client.objects.get(email="zara.qureshi@example.com")

    # when: pages with scripts, htmx and inline styles
    for path in ("/", f"/clients/{zara.pk}/", f"/clients/{zara.pk}/consents/face-revitalise/"):
        page.goto(live_url(path))
        page.wait_for_load_state("networkidle")
    page.goto(live_url("/calendar/"))
    page.click("a[rel=next]")
    expect(page.locator("#calendar-title")).to_be_focused()  # web/page.js, after the swap

    # then
    assert reports == []
