"""An owner reads the month ahead's report and downloads it, in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from tests.reports.conftest import small_clinic  # noqa: F401 -- the hand-computed clinic

from .conftest import screenshot


def test_an_owner_reads_the_report_and_downloads_the_csv(login, live_url, small_clinic):  # noqa: F811
    page = login("admin")

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_label("From", exact=True).fill("2031-03-03")
    page.get_by_label("To", exact=True).fill("2031-03-16")
    page.get_by_label("Site", exact=True).select_option(label="Small")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"date_from=2031-03-03&date_to=2031-03-16&site=small"))

    appointments = page.get_by_role("region", name="Appointments")
    expect(appointments.get_by_text("Booked", exact=True)).to_be_visible()
    money = page.get_by_role("region", name="Money by treatment")
    revitalise = money.get_by_role("row", name="Face revitalise")
    assert revitalise.get_by_role("cell").all_inner_texts() == [
        "£900.00",
        "£420.00",
        "£60.00",
        "£0.00",
        "£360.00",
    ]
    use = page.get_by_role("region", name="Booked and available minutes")
    assert use.get_by_role("row", name="Megan Lewis").get_by_role("cell").all_inner_texts() == [
        "practitioner",
        "60",
        "840",
        "7.1%",
    ]
    room = use.get_by_role("row", name="Room").get_by_role("cell").all_inner_texts()
    assert room[-1] == "no hours"  # the small clinic has no opening hours set
    screenshot(page, "staff-reports")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "from,2031-03-03,to,2031-03-16"
    assert "site,small" in lines


def test_a_phone_shows_the_report_without_sideways_scrolling_of_the_page(login, live_url):
    page = login("admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url("/reports/"))

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(page, "staff-reports-phone")
