"""axe-core scans of every kind of public, portal and staff page: no violation at all.

axe-core comes bundled in the ``axe-playwright-python`` package (no download); each page is
scanned as the role that uses it, with the WCAG 2.x A/AA rules and axe's best practices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from tests.portal.test_accounts import PASSWORD as CLIENT_PASSWORD
from tests.portal.test_accounts import _verified_account

from mesoclinic.billing.models import CoursePackage, GiftVoucher
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Site
from mesoclinic.portal import booking
from mesoclinic.scheduling.models import Appointment, Course

PASSWORD = "mesoclinic-demo"
User = get_user_model()


def _violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    found = [
        f"{page.url} {v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')}"
        for v in results["violations"]
        for node in v["nodes"]
    ]
    # help texts and errors are announced: every aria-describedby names an element there
    missing = page.evaluate(MISSING_DESCRIPTIONS)
    return found + [f"{page.url} aria-describedby names no element: {ref}" for ref in missing]


MISSING_DESCRIPTIONS = """() => [...document.querySelectorAll('[aria-describedby]')]
  .flatMap(el => el.getAttribute('aria-describedby').split(/\\s+/)
    .filter(id => id && !document.getElementById(id))
    .map(id => `${el.tagName.toLowerCase()}#${el.id} -> ${id}`))"""


def _scan(page: Any, live_url: Any, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(live_url(path))
        assert response is not None
        assert response.status < 400, f"{path}: {response.status}"
        found += _violations(page)
    return found


def _amelia_pages() -> list[str]:
    amelia = Client.objects.get(email="amelia.hart@example.com")
    appointment = Appointment.objects.filter(client=amelia).order_by("start").first()
    course = Course.objects.filter(client=amelia).first()
    pages = [
        f"/clients/{amelia.pk}/",
        f"/clients/{amelia.pk}/edit/",
        f"/clients/{amelia.pk}/archive/",
        f"/clients/{amelia.pk}/messages/",
    ]
    if appointment is not None:
        pages.append(f"/appointments/{appointment.pk}/")
    if course is not None:
        pages.append(f"/courses/{course.pk}/")
    return pages


def _money_reversal_pages() -> list[str]:
    """The confirmation pages for refunding the demo's package and voiding its voucher."""
    package = CoursePackage.objects.select_related("client").first()
    voucher = GiftVoucher.objects.filter(code="GV-DEMO-GIFT").first()
    pages = []
    if package is not None:
        pages.append(f"/clients/{package.client_id}/packages/{package.pk}/refund/")
    if voucher is not None:
        pages.append(f"/vouchers/{voucher.pk}/void/")
    return pages


def _booked(client: Client) -> Appointment:
    """An appointment three weeks ahead (the demo's history may hold none)."""
    treatment = Treatment.objects.get(code="no-needle-infusion")
    site = Site.objects.get(code="london")
    day = clock.today() + dt.timedelta(days=21)
    slot = booking.find_slots(treatment=treatment, site=site, day=day, days=7)[0]
    return booking.book(actor=None, client=client, treatment=treatment, start=slot.start, site=site)


def test_public_booking_pages(page, live_url, demo):
    found = _scan(
        page,
        live_url,
        [
            "/book/",
            "/book/face-revitalise/",
            "/book/consultation/",
            "/account/login/",
            "/account/signup/",
            "/account/password-reset/",
            "/login/",
        ],
    )
    # the answer to the health questions, then the times
    page.goto(live_url("/book/face-revitalise/"))
    page.get_by_label("Your date of birth").fill("1990-05-17")
    page.locator("fieldset", has_text="Are you pregnant").get_by_label("No").check()
    page.locator("fieldset", has_text="Are you breastfeeding").get_by_label("No").check()
    page.get_by_role("button", name="Check if I can book").click()
    found += _violations(page)
    found += _scan(page, live_url, ["/book/face-revitalise/times/"])
    assert found == [], "\n".join(found)


def test_a_clients_own_pages(page, live_url, demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    _verified_account(amelia)  # her portal account, email proven
    page.goto(live_url("/account/login/"))
    page.get_by_label("Email").fill(amelia.email)
    page.get_by_label("Password").fill(CLIENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    upcoming = _booked(amelia)
    paths = [
        "/account/",
        "/account/questionnaire/",
        f"/account/consent/{upcoming.treatment.code}/",
        f"/account/appointments/{upcoming.pk}/move/",
        f"/account/appointments/{upcoming.pk}/cancel/",
        "/account/erase/",
    ]
    found = _scan(page, live_url, paths)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        (
            "admin",
            [
                "/",
                "/clients/",
                "/clients/new/",
                "/calendar/",
                "/settings/",
                "/settings/rooms/",
                "/settings/hours/",
                "/settings/treatments/face-revitalise/",
                "/settings/consent-forms/face-revitalise/",
                "/settings/policies/",
                "/settings/protocols/",
                "/settings/protocols/meso-standard/",
                "/settings/staff/",
                "/settings/staff/new/",
                "/settings/practitioners/nurse-lewis/",
                "/settings/practitioners/nurse-lewis/hours/",
                "/settings/practitioners/nurse-lewis/absences/",
                "/reports/",
                "/treatments/",
                "/treatments/face-revitalise/",
                "/formulations/polyrevitalising-complex/",
                "/formulations/polyrevitalising-complex/?q=cobalt",
                "/practitioners/",
                "/practitioners/dr-patel/",
                "/audit/",
                "/recall/",
                "/stock/",
                "/consent-forms/",
            ],
        ),
        (
            "dr-patel",
            ["/", "/calendar/", "/sign-offs/", "/follow-ups/"],
        ),
        (
            "reception",
            ["/", "/clients/", "/calendar/", "/password/", "/waitlist/", "/waitlist/add/"],
        ),
    ],
)
def test_staff_pages(login, live_url, username, paths):
    page = login(username)
    found = _scan(page, live_url, [*paths, *_amelia_pages()])
    if username == "reception":
        found += _scan(page, live_url, _money_reversal_pages())
    if username == "admin":
        account = User.objects.get(username="reception").pk
        found += _scan(
            page, live_url, [f"/settings/staff/{account}/", f"/settings/staff/{account}/active/"]
        )
    if username == "dr-patel":
        amelia = Client.objects.get(email="amelia.hart@example.com")
        found += _scan(
            page,
            live_url,
            [
                f"/clients/{amelia.pk}/screening/",
                f"/clients/{amelia.pk}/questionnaire/",
                f"/clients/{amelia.pk}/consents/face-revitalise/",
                f"/clients/{amelia.pk}/outcomes/",
                f"/clients/{amelia.pk}/assessments/new/",
            ],
        )
    assert found == [], "\n".join(found)


def test_retention_pages(login, live_url):
    """The retention screen with a waiting request and a file due, and its two
    confirmation pages (an anonymising plan with kept records, a disposal)."""
    from tests.retention.factories import new_client, treated

    from mesoclinic.retention.models import RequestChannel
    from mesoclinic.retention.services import erasure_request_create

    treated_client = new_client()
    treated(treated_client, days=400)
    waiting = erasure_request_create(
        actor=None, client=treated_client, channel=RequestChannel.PORTAL, note="Moving abroad"
    )
    due = new_client(created_days_ago=3 * 366)
    page = login("admin")
    found = _scan(
        page,
        live_url,
        ["/retention/", f"/retention/requests/{waiting.pk}/", f"/retention/disposal/{due.pk}/"],
    )
    page.goto(live_url(f"/retention/requests/{waiting.pk}/"))
    page.get_by_role("button", name="Record the decision").click()  # no choice: the errors
    found += _violations(page)
    assert found == [], "\n".join(found)


TAB_STOPS = """() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
  .filter(e => e.tabIndex >= 0 && !e.disabled && e.offsetParent !== null).length"""


def test_the_calendar_day_is_a_few_tab_stops_and_arrows_move_between_free_times(login, live_url):
    page = login("reception")
    tuesday = clock.today() + dt.timedelta(days=(1 - clock.today().weekday()) % 7 + 7)
    page.goto(live_url(f"/calendar/?date={tuesday.isoformat()}"))
    free = page.locator("a.phase-free[data-col]")
    columns = len(set(free.evaluate_all("slots => slots.map(s => s.dataset.col)")))
    assert free.count() > 3 * columns  # many free times ...

    assert page.evaluate(TAB_STOPS) < 40 + columns  # ... but one tab stop per column

    first = free.first
    first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == free.nth(1).get_attribute("aria-label")
    assert page.evaluate("document.activeElement.tabIndex") == 0
