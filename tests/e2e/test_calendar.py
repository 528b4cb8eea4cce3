"""The staff calendar in a browser: reception books a client from a free slot."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from tests.e2e.conftest import screenshot

from mesoclinic.core import clock
from mesoclinic.scheduling.models import Appointment

pytestmark = pytest.mark.e2e


def next_working_weekday() -> dt.date:
    """The next Monday–Friday after today that is not an English bank holiday."""
    closed = holidays.country_holidays("GB", subdiv="ENG")
    day = clock.today() + dt.timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    return day


def test_reception_books_a_client_from_a_free_slot(login, live_url):
    # given: the day calendar of a working day
    day = next_working_weekday()
    page = login("reception")
    page.click("nav[aria-label=Main] >> text=Calendar")
    page.wait_for_url(live_url("/calendar/"))
    page.fill("#calendar-date", day.isoformat())
    page.click(".sched-goto button[type=submit]")
    page.wait_for_selector(f"text={day:%A} {day.day} {day:%B %Y}")

    # when: the free 11:00 cell of Dr Patel is chosen with the keyboard, and the form filled
    slot = page.locator('a[aria-label="Book Dr Asha Patel at 11:00"]')
    slot.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(live_url("/calendar/book/*"))
    assert page.input_value("#id_start") == f"{day.isoformat()}T11:00"
    page.fill("#client-q", "hart")
    page.wait_for_selector("#client-options input[type=radio]")
    page.check("#client-options input[type=radio]")
    page.select_option("#id_treatment", "face-revitalise")
    page.click("button[value=book]")
    page.wait_for_url(live_url("/appointments/*/"))

    # then: booked, shown with both phases, and drawn on the calendar
    appointment = Appointment.objects.get(client__email="amelia.hart@example.com")
    assert appointment.practitioner.code == "dr-patel"
    assert page.locator(".messages").inner_text().startswith("Booked Face revitalise for Amelia")
    assert "numbing cream in the lounge" in page.locator(".sched-phases").inner_text()
    page.goto(live_url(f"/calendar/?date={day.isoformat()}"))
    blocks = page.locator(f'a.sched-block[href="/appointments/{appointment.pk}/"]')
    assert blocks.count() == 2
    assert page.locator('a[aria-label="Book Dr Asha Patel at 11:30"]').count() == 0

    # and: the numbing strip shows its whole label; an expired practitioner is not bookable
    strip = page.locator(f'a.sched-block.phase-numbing[href="/appointments/{appointment.pk}/"]')
    tag = strip.locator(".sched-tag").bounding_box()
    box = strip.bounding_box()
    assert tag is not None
    assert box is not None
    assert box["width"] >= 24
    assert tag["x"] >= box["x"]
    assert tag["x"] + tag["width"] <= box["x"] + box["width"]
    assert page.locator('a[aria-label^="Book Rhys Hughes"]').count() == 0
    assert "not bookable" in page.locator("#col-nurse-hughes").inner_text()
    screenshot(page, "staff-calendar")
