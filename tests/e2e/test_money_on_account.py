"""No-shows and money on account in Chromium: the desk marks a no-show and sees the fee,
sells a package and gives credit; the client sees them in the portal on a phone."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from tests.portal.accounts import verified_client_account
from tests.records.factories import book

from mesoclinic.billing.package_services import package_sell
from mesoclinic.billing.services import payment_record
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client

from .conftest import screenshot

PHONE = {"width": 390, "height": 844}
PASSWORD = "violet-harbour-42"


def test_the_desk_marks_a_no_show_and_the_client_sees_their_account_on_a_phone(
    login, live_url, browser
):
    Treatment.objects.filter(code="face-revitalise").update(
        no_show_policy="strict", no_show_fee_percent=50
    )
    amelia = Client.objects.get(email="amelia.hart@example.com")
    started = clock.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    missed = book(at=started)
    payment_record(actor=None, appointment=missed, kind="deposit", method="card", amount="60")

    # the desk marks the no-show and sees the fee the strict rule charged
    page = login("reception")
    page.goto(live_url(f"/appointments/{missed.pk}/"))
    page.get_by_role("link", name="Mark a no-show").click()
    expect(page.get_by_text("a fee of 50% of the price")).to_be_visible()
    page.get_by_label("Yes, the client did not come").check()
    page.get_by_role("button", name="Mark a no-show").click()
    page.wait_for_url(live_url(f"/appointments/{missed.pk}/"))
    expect(page.get_by_text("no-show fee £150.00 added to the client's account")).to_be_visible()
    expect(page.locator("#no-show-fee")).to_contain_text("£150.00")
    screenshot(page, "staff-no-show-fee")

    # on the client's page: the account panel, where a package is sold and credit given
    page.goto(live_url(f"/clients/{amelia.pk}/"))
    panel = page.locator("#client-account")
    expect(panel.get_by_text("Unpaid no-show fees")).to_be_visible()
    expect(panel).to_contain_text("£150.00")
    panel.get_by_text("Sell a package, issue a voucher").click()
    sell = panel.locator("form[aria-label='Sell a package']")
    sell.get_by_label("Treatment").select_option("face-revitalise")
    sell.get_by_label("Sessions").fill("6")
    sell.get_by_label("Price (£)").fill("1440")
    sell.get_by_role("button", name="Sell a package").click()
    expect(page.get_by_text("Sold 6 sessions of")).to_be_visible()
    page.get_by_text("Sell a package, issue a voucher").click()
    credit = page.locator("form[aria-label='Give goodwill credit']")
    credit.get_by_label("Amount (£)").fill("25")
    credit.get_by_label("Why").fill("Sorry for the wait")
    credit.get_by_role("button", name="Give goodwill credit").click()
    expect(page.get_by_text("£25.00 goodwill credit added.")).to_be_visible()

    # the client, on a phone, sees the package, the credit and the fee
    portal = verified_client_account(email="amelia.phone@example.com", password=PASSWORD)
    portal.client = amelia
    portal.save(update_fields=["client"])
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    try:
        phone = context.new_page()
        phone.goto(live_url("/account/login/"))
        phone.get_by_label("Email").fill("amelia.phone@example.com")
        phone.get_by_label("Password").fill(PASSWORD)
        phone.get_by_role("button", name="Log in").click()
        phone.wait_for_url(re.compile(r"/account/$"))
        phone.get_by_role("link", name=re.compile("See your packages")).click()
        expect(phone.get_by_role("heading", name="Packages, vouchers and credit")).to_be_visible()
        expect(phone.get_by_text("6 of 6 sessions left")).to_be_visible()
        expect(phone.locator("#credit-balance")).to_have_text("£25.00")
        expect(phone.locator("#fees-due")).to_have_text("£150.00")
        # readable at 390 px: nothing runs off the side of the screen
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width}px wide on a 390px phone"
        screenshot(phone, "portal-money-phone")
    finally:
        context.close()


def test_on_a_phone_the_account_tables_name_each_value(login, live_url):
    # given: a package sold, and reception on a 390 px phone
    amelia = Client.objects.get(email="amelia.hart@example.com")
    treatment = Treatment.objects.get(code="scalp-hair")
    package_sell(
        actor=None, client=amelia, treatment=treatment, sessions=6, price="900", method="card"
    )
    page = login("reception")
    page.set_viewport_size(PHONE)
    # when
    page.goto(live_url(f"/clients/{amelia.pk}/account/"))
    # then: the header row is hidden, each stacked cell says which column it is
    row = page.locator("table", has_text="Prepaid packages").locator("tbody tr").first
    expect(row.locator("td").nth(3)).to_have_attribute("data-label", "Left")
    label = row.locator("td").nth(3).evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Left: "'
    screenshot(page, "staff-account-phone")
