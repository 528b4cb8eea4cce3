"""The owner's report with the demo's two sites (issue #16 item 5): per site and across
sites, the additive figures across sites are the sum of the sites'; a practitioner working
at both has a use row at each, counting only that site's minutes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from tests.reports.conftest import at

from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.reports.owner import owner_report
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

MONDAY = dt.date(2031, 3, 3)  # far from the demo's bookings
SATURDAY = MONDAY + dt.timedelta(days=5)
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def week(demo):
    """Dr Patel treats in London on Monday and in Manchester on Saturday; Daniel Shaw in
    Manchester on Tuesday; Megan Lewis's London Tuesday is cancelled. Face revitalise:
    30 minutes of numbing, 30 of treatment, £300; the London session is paid."""
    treatment = Treatment.objects.get(code="face-revitalise")
    clients = list(Client.objects.order_by("pk")[:4])
    made = {}
    for (name, site, practitioner, room, day, status), client in zip(
        [
            ("patel-london", "london", "dr-patel", "room-1", MONDAY, "fulfilled"),
            ("patel-manchester", "manchester", "dr-patel", "mcr-room-1", SATURDAY, "fulfilled"),
            ("shaw", "manchester", "nurse-shaw", "mcr-room-2", TUESDAY, "fulfilled"),
            ("lewis", "london", "nurse-lewis", "room-2", TUESDAY, "cancelled"),
        ],
        clients,
        strict=True,
    ):
        start = at(day, "11:00")
        made[name] = Appointment.objects.create(
            client=client,
            treatment=treatment,
            site=Site.objects.get(code=site),
            practitioner=Practitioner.objects.get(code=practitioner),
            room=Room.objects.get(code=room),
            start=start,
            treatment_start=start + dt.timedelta(minutes=30),
            end=start + dt.timedelta(minutes=60),
            busy_until=start + dt.timedelta(minutes=60),
            status=AppointmentStatus(status),
            price=Decimal("300"),
            booked_at=clock.now(),
        )
    payment_record(
        actor=None, appointment=made["patel-london"], kind="payment", method="card", amount="300"
    )
    return made


def _reports():
    admin = get_user_model().objects.get(username="admin")
    return {
        code: owner_report(
            actor=admin,
            date_from=MONDAY,
            date_to=SATURDAY,
            site=Site.objects.get(code=code) if code else None,
        )
        for code in ("london", "manchester", None)
    }


def test_across_sites_is_the_sum_of_the_sites(week):
    # when
    reports = _reports()
    london, manchester, every = reports["london"], reports["manchester"], reports[None]
    # then: appointments and money
    assert london.appointments == Counter({"attended": 1, "cancelled": 1})
    assert manchester.appointments == Counter({"attended": 2})
    assert every.appointments == london.appointments + manchester.appointments
    by_site = {row.label: row for row in every.money["site"]}
    assert {label: row.booked for label, row in by_site.items()} == {
        "Mesoclinic London": Decimal("300"),
        "Mesoclinic Manchester": Decimal("600"),
    }
    assert by_site["Mesoclinic London"].taken == Decimal("300")
    for dimension in ("treatment", "site"):
        assert sum(r.booked for r in every.money[dimension]) == sum(
            r.booked for r in london.money[dimension] + manchester.money[dimension]
        )
        assert sum(r.taken for r in every.money[dimension]) == sum(
            r.taken for r in london.money[dimension] + manchester.money[dimension]
        )
    # and use: every row of a site appears across sites with the same minutes
    assert sum(r.booked_minutes for r in every.use) == sum(
        r.booked_minutes for r in london.use + manchester.use
    )
    assert sum(r.available_minutes for r in every.use) == sum(
        r.available_minutes for r in london.use + manchester.use
    )
    assert every.attended_clients == london.attended_clients + manchester.attended_clients


def test_a_practitioner_at_both_sites_has_each_sites_minutes(week):
    # when
    reports = _reports()
    # then: 30 treatment minutes at each site, against that site's hours (London 5 days
    # of 9 hours, Manchester one Saturday of 6)
    [london] = [r for r in reports["london"].use if r.label == "Dr Asha Patel"]
    [manchester] = [r for r in reports["manchester"].use if r.label == "Dr Asha Patel"]
    assert (london.booked_minutes, london.available_minutes) == (30, 5 * 9 * 60)
    assert (manchester.booked_minutes, manchester.available_minutes) == (30, 6 * 60)
    across = {r.label: r for r in reports[None].use if r.kind == "practitioner"}
    assert across["Dr Asha Patel (Mesoclinic London)"].booked_minutes == 30
    assert across["Dr Asha Patel (Mesoclinic Manchester)"].booked_minutes == 30


def test_the_summary_api_filters_by_site(week, api_as):
    api = api_as("admin")
    week_range = {"from": MONDAY.isoformat(), "to": SATURDAY.isoformat()}
    # when
    every = api.get("/reports/summary", **week_range).json()
    london = api.get("/reports/summary", site="london", **week_range).json()
    manchester = api.get("/reports/summary", site="manchester", **week_range).json()
    unknown = api.get("/reports/summary", site="leeds", **week_range)
    # then
    for key in ("booked", "attended", "cancelled", "no_show"):
        assert every["appointments"][key] == (
            london["appointments"][key] + manchester["appointments"][key]
        )
    assert (london["appointments"]["attended"], manchester["appointments"]["attended"]) == (1, 2)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_site"


def test_the_reports_page_shows_one_site_or_every_site(week):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="admin"))
    dates = {"date_from": MONDAY.isoformat(), "date_to": SATURDAY.isoformat()}
    # when
    manchester = browser.get("/reports/", {**dates, "site": "manchester"}).content.decode()
    every = browser.get("/reports/", dates).content.decode()
    # then
    assert "Daniel Shaw" in manchester
    assert "Megan Lewis" not in manchester
    assert "Dr Asha Patel (Mesoclinic Manchester)" in every
    assert "Dr Asha Patel (Mesoclinic London)" in every
