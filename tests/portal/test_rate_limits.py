"""Rate limits on the public portal forms: per address and per IP, 429 with a plain page."""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from mesoclinic.portal.models import PendingBooking, SignupRequest
from mesoclinic.portal.ratelimit import Limit, parse_limit

from .conftest import NEW_PASSWORD, next_weekday
from .test_identity import ANSWERS, _verified


def test_limits_are_written_count_per_period():
    assert parse_limit("5/h") == Limit(5, 3600)
    assert parse_limit("10/15m") == Limit(10, 900)
    assert parse_limit("3/30") == Limit(3, 30)
    assert parse_limit("1/d") == Limit(1, 86400)
    with pytest.raises(ValueError, match="Not a rate limit"):
        parse_limit("five a minute")


@pytest.fixture
def tight_limits(settings):
    settings.MESOCLINIC = {
        **settings.MESOCLINIC,
        "PORTAL_RATE_LIMITS": {
            "signup": {"ip": "3/h", "address": "2/h"},
            "login": {"ip": "3/h", "address": "2/15m"},
            "password_reset": {"ip": "3/h", "address": "2/h"},
            "booking": {"ip": "3/h", "address": "2/h"},
        },
    }


def _signup(email: str, ip: str = "203.0.113.5"):
    return Browser(REMOTE_ADDR=ip).post(
        "/account/signup/",
        {"given_name": "A", "family_name": "B", "email": email, "birth_date": "1990-01-01"},
    )


def test_sign_up_is_limited_per_address_and_per_ip(demo, tight_limits):
    assert [_signup("a@example.com").status_code for _ in range(2)] == [302, 302]
    refused = _signup("A@example.com ", ip="198.51.100.9")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert int(refused["Retry-After"]) == 3600
    assert SignupRequest.objects.count() == 2
    # per IP: a third address from the same IP still counts the IP's attempts
    assert _signup("b@example.com").status_code == 302
    assert _signup("c@example.com").status_code == 429


def test_login_is_limited_per_address_and_per_ip(demo, tight_limits):
    account = _verified()
    for _ in range(2):
        Browser().post("/account/login/", {"email": account.email, "password": "wrong-pass-1"})
    response = Browser(REMOTE_ADDR="198.51.100.9").post(
        "/account/login/", {"email": account.email, "password": NEW_PASSWORD}
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    other = Browser(REMOTE_ADDR="192.0.2.7")
    for index in range(3):
        assert (
            other.post(
                "/account/login/", {"email": f"x{index}@example.com", "password": "p"}
            ).status_code
            == 200
        )
    assert (
        other.post("/account/login/", {"email": "y@example.com", "password": "p"}).status_code
        == 429
    )


def test_password_reset_is_limited(demo, tight_limits):
    codes = [
        Browser().post("/account/password-reset/", {"email": "a@example.com"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_public_booking_is_limited_per_address_and_per_ip(demo, tight_limits):
    browser = Browser(REMOTE_ADDR="192.0.2.50")
    browser.post("/book/face-revitalise/", ANSWERS)
    body = browser.get(
        "/book/face-revitalise/times/", {"day": next_weekday(1).isoformat()}
    ).content.decode()
    # a different time each attempt: each request that gets through holds its time
    starts = [part.split('"')[0] for part in body.split('name="start" value="')[1:]]
    statuses = []
    for index in range(4):
        browser.post("/book/face-revitalise/times/", {"start": starts[index]})
        response = browser.post(
            "/book/face-revitalise/details/",
            {
                "given_name": "N",
                "family_name": "B",
                "email": f"n{index}@example.com",
                "policy": "on",
            },
        )
        statuses.append(response.status_code)
        browser.post("/book/face-revitalise/", ANSWERS)
    assert statuses == [302, 302, 302, 429]
    assert PendingBooking.objects.count() == 3
    # per address, from elsewhere
    other = Browser(REMOTE_ADDR="192.0.2.51")
    other.post("/book/face-revitalise/", ANSWERS)
    other.post("/book/face-revitalise/times/", {"start": starts[5]})
    response = other.post(
        "/book/face-revitalise/details/",
        {"given_name": "N", "family_name": "B", "email": "n0@example.com", "policy": "on"},
    )
    assert response.status_code == 302
    other.post("/book/face-revitalise/", ANSWERS)
    other.post("/book/face-revitalise/times/", {"start": starts[6]})
    assert (
        other.post(
            "/book/face-revitalise/details/",
            {"given_name": "N", "family_name": "B", "email": "n0@example.com", "policy": "on"},
        ).status_code
        == 429
    )


def test_the_client_ip_is_taken_from_trusted_proxies_only(settings):
    from django.test import RequestFactory

    from mesoclinic.portal.ratelimit import client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
    )
    assert client_ip(request) == "10.0.0.1"
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request) == "203.0.113.9"
    settings.TRUSTED_PROXIES = ["192.0.2.0/24"]
    assert client_ip(request) == "10.0.0.1"
