"""The owner's report and the outcomes page on the whole demo clinic (both sites, its
history and its outcome cohort), in Chromium; the README's screenshots of them."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from mesoclinic.core import clock
from mesoclinic.demo.loader import demo_load
from mesoclinic.demo.outcomes import COHORT

from .conftest import screenshot


def test_an_owner_reads_the_demo_report_across_sites_and_the_outcomes(login, live_url):
    demo_load()  # the history too: past sessions at both sites, the outcome cohort
    page = login("admin")
    today = clock.today()

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_label("From", exact=True).fill((today - dt.timedelta(days=180)).isoformat())
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Show").click()

    by_site = page.get_by_role("region", name="Money by site")
    expect(by_site.get_by_role("row", name="Mesoclinic London")).to_be_visible()
    expect(by_site.get_by_role("row", name="Mesoclinic Manchester")).to_be_visible()
    use = page.get_by_role("region", name="Booked and available minutes")
    expect(use.get_by_role("row", name="Daniel Shaw (Mesoclinic Manchester)")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "demo-reports", full_page=False)  # the page is long: its top
    page.get_by_role("region", name="Money by practitioner").evaluate(
        "element => element.scrollIntoView()"
    )
    screenshot(page, "demo-reports-sites", full_page=False)

    page.goto(live_url("/reports/outcomes/?treatment=scalp-hair"))
    table = page.get_by_role("region", name="Outcomes by sessions given")
    cells = table.get_by_role("row", name="6").get_by_role("cell").all_inner_texts()
    assert cells[0] == str(len(COHORT))
    assert cells[-1] == f"{len(COHORT) - 3} of {len(COHORT)}"
    expect(page.locator("svg").first).to_be_visible()
    screenshot(page, "demo-outcomes")
