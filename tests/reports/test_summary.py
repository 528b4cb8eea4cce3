"""GET /api/v1/reports/summary on a small clinic whose figures are computed by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import (
    Absence,
    Client,
    Organisation,
    Practitioner,
    Room,
    Site,
    WorkingHours,
)
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

LONDON = zoneinfo.ZoneInfo("Europe/London")
MONDAY = dt.date(2031, 3, 3)  # two quiet weeks far from the demo's bookings


def _at(day: dt.date, time: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=LONDON)


@pytest.fixture
def small_clinic(demo):
    """One site, one practitioner working Mondays 09:00-17:00, away 10:00-12:00 on the
    first Monday; four appointments of 30 treatment minutes (after 30 of numbing)."""
    site = Site.objects.create(
        organisation=Organisation.objects.first(),
        code="small",
        name="Small",
        time_zone="Europe/London",
        holiday_country="",
        holiday_subdivision="",
    )
    room = Room.objects.create(site=site, code="small-room", name="Room")
    lewis = Practitioner.objects.get(code="nurse-lewis")
    WorkingHours.objects.create(
        practitioner=lewis, site=site, weekday=0, starts=dt.time(9), ends=dt.time(17)
    )
    Absence.objects.create(
        practitioner=lewis, starts_at=_at(MONDAY, "10:00"), ends_at=_at(MONDAY, "12:00")
    )
    client = Client.objects.first()
    treatment = Treatment.objects.get(code="face-revitalise")  # 30 + 30 minutes, £300
    made = {}
    for name, day, time, status in [
        ("attended", MONDAY, "09:00", AppointmentStatus.FULFILLED),
        ("cancelled", MONDAY, "13:00", AppointmentStatus.CANCELLED),
        ("no_show", MONDAY + dt.timedelta(days=7), "09:00", AppointmentStatus.NOSHOW),
        ("booked", MONDAY + dt.timedelta(days=7), "14:00", AppointmentStatus.BOOKED),
    ]:
        start = _at(day, time)
        made[name] = Appointment.objects.create(
            client=client,
            treatment=treatment,
            site=site,
            practitioner=lewis,
            room=room,
            start=start,
            treatment_start=start + dt.timedelta(minutes=30),
            end=start + dt.timedelta(minutes=60),
            busy_until=start + dt.timedelta(minutes=60),
            status=status,
            price=Decimal("300"),
            booked_at=clock.now(),
        )
    payment_record(
        actor=None, appointment=made["attended"], kind="payment", method="card", amount="300"
    )
    payment_record(
        actor=None, appointment=made["cancelled"], kind="deposit", method="card", amount="60"
    )
    payment_record(
        actor=None, appointment=made["cancelled"], kind="refund", method="card", amount="60"
    )
    payment_record(
        actor=None, appointment=made["booked"], kind="deposit", method="card", amount="60"
    )
    return site


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


def test_across_sites_counts_every_site(small_clinic, api_as):
    body = (
        api_as("admin").get("/reports/summary", **{"from": "2031-03-03", "to": "2031-03-16"}).json()
    )
    assert body["appointments"]["attended"] >= 1
    assert {row["practitioner"] for row in body["practitioners"]} >= {"nurse-lewis"}


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
    assert "revenue,GBP,360.00" in csv.content.decode()
    assert "Megan Lewis,60,840,0.071" in csv.content.decode()


def test_the_report_page_refuses_a_reversed_range(demo):
    response = _admin_browser().get(
        "/reports/", {"date_from": "2031-03-16", "date_to": "2031-03-03"}
    )
    assert response.status_code == 400
    assert "must not be before" in response.content.decode()
