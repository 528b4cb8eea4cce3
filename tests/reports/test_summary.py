"""GET /api/v1/reports/summary on a small clinic whose figures are computed by hand."""

from __future__ import annotations

import pytest
from tests.reports.conftest import MONDAY


def test_the_summary_matches_the_figures_computed_by_hand(small_clinic, api_as):
    response = api_as("admin").get(
        "/reports/summary", **{"from": MONDAY.isoformat(), "to": "2031-03-16", "site": "small"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["from"] == "2031-03-03"
    assert body["to"] == "2031-03-16"
    assert body["appointments"] == {"booked": 1, "attended": 1, "cancelled": 1, "no_show": 1}
    assert body["revenue"] == {"amount": "360.00", "currency": "GBP"}  # 300 + 60 - 60 + 60
    # two Mondays of 480 minutes less the two-hour absence; booked: attended + booked, 30 each
    assert body["practitioners"] == [
        {
            "practitioner": "nurse-lewis",
            "booked_minutes": 60,
            "available_minutes": 840,
            "utilisation": round(60 / 840, 3),
        }
    ]


def test_the_range_is_inclusive_of_local_days(small_clinic, api_as):
    body = (
        api_as("admin")
        .get("/reports/summary", **{"from": "2031-03-03", "to": "2031-03-03", "site": "small"})
        .json()
    )
    assert body["appointments"] == {"booked": 0, "attended": 1, "cancelled": 1, "no_show": 0}
    assert body["practitioners"][0]["available_minutes"] == 360


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2031-03-16", "to": "2031-03-03"}, "invalid_range"),
        ({"from": "2031-01-01", "to": "2032-06-01"}, "invalid_range"),
        ({"from": "2031-03-03", "to": "2031-03-16", "site": "nowhere"}, "unknown_site"),
    ],
)
def test_bad_ranges_and_sites_are_refused(demo, api_as, params, code):
    response = api_as("admin").get("/reports/summary", **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_a_missing_date_is_a_400(demo, api_as):
    response = api_as("admin").get("/reports/summary", **{"from": "2031-03-03"})
    assert response.status_code == 400


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_reports_are_for_administrators(demo, api_as, username):
    response = api_as(username).get(
        "/reports/summary", **{"from": "2031-03-03", "to": "2031-03-04"}
    )
    assert response.status_code == 403


def test_across_sites_adds_up_every_site(small_clinic, api_as):
    admin = api_as("admin")
    dates = {"from": "2031-03-03", "to": "2031-03-16"}
    every = admin.get("/reports/summary", **dates).json()
    per_site = [
        admin.get("/reports/summary", **dates, site=code).json() for code in ("london", "small")
    ]

    for status in ("booked", "attended", "cancelled", "no_show"):
        assert every["appointments"][status] == sum(s["appointments"][status] for s in per_site)
    assert every["appointments"]["attended"] == 1  # the small clinic's; none at the demo site
    minutes = {row["practitioner"]: row["available_minutes"] for row in every["practitioners"]}
    for site in per_site:
        for row in site["practitioners"]:
            assert minutes[row["practitioner"]] >= row["available_minutes"]
    lewis = sum(
        row["available_minutes"]
        for site in per_site
        for row in site["practitioners"]
        if row["practitioner"] == "nurse-lewis"
    )
    assert minutes["nurse-lewis"] == lewis


def _admin_browser():
    from django.test import Client as HttpClient

    browser = HttpClient()
    assert browser.login(username="admin", password="mesoclinic-demo")
    return browser


def test_the_report_page_shows_the_same_figures_and_downloads_them(small_clinic):
    browser = _admin_browser()
    query = {"date_from": "2031-03-03", "date_to": "2031-03-16", "site": "small"}

    page = browser.get("/reports/", query).content.decode()
    csv = browser.get("/reports/", {**query, "format": "csv"})

    assert "£360.00" in page
    assert "Megan Lewis" in page
    assert csv["Content-Type"].startswith("text/csv")
    assert "money by site,Small,900.00,420.00,60.00,0.00,360.00" in csv.content.decode()
    assert "use of practitioner,Megan Lewis,60,840,0.071" in csv.content.decode()


def test_the_report_page_refuses_a_reversed_range(demo):
    response = _admin_browser().get(
        "/reports/", {"date_from": "2031-03-16", "date_to": "2031-03-03"}
    )
    assert response.status_code == 400
    assert "must not be before" in response.content.decode()
