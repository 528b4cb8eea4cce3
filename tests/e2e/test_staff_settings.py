"""Staff settings in a browser: an owner records a practitioner's absence, and the
calendar stops offering that day at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import _violations
from tests.e2e.test_calendar import next_working_weekday

from mesoclinic.people.models import Absence

pytestmark = pytest.mark.e2e

LEWIS_FREE = 'a[aria-label^="Book Megan Lewis at"]'


def test_an_owner_adds_an_absence_and_the_day_has_no_free_times(login, live_url):
    # given: Nurse Lewis has free times on the next working day
    day = next_working_weekday()
    page = login("admin")
    page.goto(live_url(f"/calendar/?date={day.isoformat()}"))
    assert page.locator(LEWIS_FREE).count() > 0

    # when: the owner records her absence for that day from the settings
    page.click("nav[aria-label=Main] >> text=Settings")
    page.click("text=Staff and practitioners >> nth=-1")
    screenshot(page, "staff-settings-accounts")
    page.click('a:has-text("Absences"):has(span:text-is(" of Megan Lewis"))')
    page.wait_for_url(live_url("/settings/practitioners/nurse-lewis/absences/"))
    page.get_by_label("First day away").fill(day.isoformat())
    page.get_by_label("Last day away").fill(day.isoformat())
    page.get_by_label("Reason").fill("Training course")
    page.get_by_role("button", name="Record the absence").click()

    # then: recorded and listed, and the calendar offers no time with her that day
    page.wait_for_selector(".messages >> text=Absence recorded")
    screenshot(page, "staff-settings-absences")
    assert "Training course" in page.locator("#upcoming-h + ul").inner_text()
    assert Absence.objects.filter(practitioner__code="nurse-lewis").count() == 1
    page.goto(live_url(f"/calendar/?date={day.isoformat()}"))
    assert page.locator(LEWIS_FREE).count() == 0


def test_an_owner_opens_an_account_and_the_pages_on_the_way_pass_axe(login, live_url):
    # given: the new-account form, sent once without a last name
    page = login("admin")
    page.goto(live_url("/settings/staff/new/"))
    page.get_by_label("Username").fill("desk-2")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Reception").check()
    page.get_by_role("button", name="Open the account").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    found = _violations(page)

    # when: completed
    page.get_by_label("Last name").fill("Reed")
    page.get_by_role("button", name="Open the account").click()

    # then: the temporary password is shown once, on an accessible page
    password = page.locator("#temporary-password").inner_text()
    screenshot(page, "staff-settings-password")
    assert len(password) >= 16
    found += _violations(page)

    # and: working hours that end before they start are refused next to the field
    page.goto(live_url("/settings/practitioners/nurse-lewis/hours/"))
    page.get_by_label("Monday to").fill("08:00")
    page.get_by_role("button", name="Save working hours").click()
    assert (
        "Monday: the day must end after it starts." in page.locator("#id_ends_0_error").inner_text()
    )
    found += _violations(page)
    assert found == [], "\n".join(found)
