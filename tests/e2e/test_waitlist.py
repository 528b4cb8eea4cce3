"""Reception puts a client who phoned on the waiting list, sees the offer the list made
and books it when the client says yes, in Chromium."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from mesoclinic.core import clock
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment, WaitlistEntry

from .conftest import screenshot


def _next_tuesday_a_week_out() -> dt.date:
    day = clock.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def test_reception_adds_a_client_to_the_waiting_list_and_books_the_offer(login, live_url):
    day = _next_tuesday_a_week_out()
    page = login("reception")
    page.get_by_role("link", name="Waiting list").first.click()
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    page.get_by_role("link", name="Add a client").first.click()

    page.get_by_label("Search by name, email or phone").fill("Adeyemi")
    page.get_by_label(re.compile("Freya Adeyemi")).check()
    page.get_by_label("Treatment").select_option(label="Face revitalise")
    page.get_by_label("From").fill(f"{day.isoformat()}T09:00")
    page.get_by_label("To", exact=True).fill(f"{day.isoformat()}T17:00")
    screenshot(page, "staff-waitlist-add")
    page.get_by_role("button", name="Add to the waiting list").click()

    page.wait_for_url(live_url("/waitlist/"))
    expect(page.get_by_text("Freya Adeyemi is on the waiting list.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Freya Adeyemi"))
    assert re.search(r"Offered \w{3} \d+ \w{3} \d\d:\d\d with .+, held until", row.inner_text())
    screenshot(page, "staff-waitlist")

    row.get_by_role("button", name="Book the offer for Freya Adeyemi").click()
    expect(
        page.get_by_text(re.compile("Booked: Face revitalise for Freya Adeyemi"))
    ).to_be_visible()
    freya = Client.objects.get(email="freya.adeyemi@example.com")
    assert WaitlistEntry.objects.get(client=freya).status == "accepted"
    booked = Appointment.objects.get(client=freya, status="booked")
    assert booked.start.date() == day


def test_a_window_that_is_over_is_refused_next_to_its_field(login, live_url):
    page = login("reception")
    page.goto(live_url("/waitlist/add/"))
    page.get_by_label("Search by name, email or phone").fill("Adeyemi")
    page.get_by_label(re.compile("Freya Adeyemi")).check()
    page.get_by_label("Treatment").select_option(label="Face revitalise")
    yesterday = clock.today() - dt.timedelta(days=1)
    page.get_by_label("From").fill(f"{yesterday.isoformat()}T09:00")
    page.get_by_label("To", exact=True).fill(f"{yesterday.isoformat()}T17:00")
    page.get_by_role("button", name="Add to the waiting list").click()
    expect(page.get_by_role("alert").get_by_text("Not added to the waiting list.")).to_be_visible()
    expect(page.get_by_text("That window is already over")).to_be_visible()
    assert not WaitlistEntry.objects.exists()
