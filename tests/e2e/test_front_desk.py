"""Reception registers a client who phones in and books them a whole course, in Chromium."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect

from mesoclinic.billing.models import Quote
from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client
from mesoclinic.safety.models import ConsentForm
from mesoclinic.scheduling.models import Appointment

from .conftest import screenshot


def test_reception_registers_a_phoned_in_client_and_books_a_course(login, live_url):
    page = login("reception")
    page.get_by_role("link", name="Clients", exact=True).first.click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("First name").fill("Maya")
    page.get_by_label("Last name").fill("Okoro")
    page.get_by_label("Date of birth").fill("1987-07-21")
    page.get_by_label("Email").fill("maya.okoro@example.com")
    page.get_by_label("Phone").fill("07700 900456")
    screenshot(page, "staff-new-client")
    page.get_by_role("button", name="Register client").click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    expect(page.get_by_text("Registered Maya Okoro.")).to_be_visible()

    page.get_by_role("link", name="Plan a course").click()
    page.get_by_label("Treatment").select_option(label="No-needle infusion")
    start = clock.today() + dt.timedelta(days=14)
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_role("button", name="Show the planned dates").click()
    page.get_by_role("button", name=re.compile("Confirm and book")).click()
    page.wait_for_url(re.compile(r"/courses/\d+/$"))

    maya = Client.objects.get(email="maya.okoro@example.com")
    assert Appointment.objects.filter(client=maya, status="booked").count() >= 1
    assert Quote.objects.filter(client=maya).exists()


def test_an_owner_opens_a_room_from_the_settings(login, live_url):
    page = login("admin")
    page.get_by_role("link", name="Settings").click()
    screenshot(page, "staff-settings")
    page.get_by_role("link", name="Rooms and devices").first.click()
    page.get_by_label("Room name").fill("Room 4")
    page.get_by_role("button", name="Open a new room").click()
    expect(page.get_by_text("Room 4 is open for bookings.")).to_be_visible()


def test_an_owner_changes_a_price_and_publishes_a_consent_version(login, live_url):
    page = login("admin")
    page.goto(live_url("/settings/treatments/under-eye/"))
    page.get_by_label("Price", exact=True).fill("275.00")
    page.get_by_role("button", name="Save Under-eye").click()
    page.wait_for_url(live_url("/settings/"))
    expect(page.get_by_text("saved.").first).to_be_visible()
    assert Treatment.objects.get(code="under-eye").price == Decimal("275.00")
    page.goto(live_url("/book/under-eye/"))
    expect(page.get_by_text("£275").first).to_be_visible()

    page.goto(live_url("/login/"))  # back to the staff side (the public page has no nav)
    page.goto(live_url("/settings/consent-forms/under-eye/"))
    text = page.get_by_label("Text the client reads and signs")
    text.fill(text.input_value() + "\n\nVersion published from the settings (browser test).")
    page.get_by_role("button", name=re.compile(r"Publish version \d+")).click()
    page.wait_for_url(live_url("/settings/"))
    expect(
        page.get_by_text(re.compile(r"Version \d+ of the .* consent form is now"))
    ).to_be_visible()
    latest = ConsentForm.objects.filter(treatment__code="under-eye").order_by("-version").first()
    assert "published from the settings" in latest.body
