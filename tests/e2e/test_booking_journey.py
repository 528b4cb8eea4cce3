"""End-to-end: the client's journey in a real browser (Debian's chromium) on a phone screen.

A new client books a face treatment start to finish; a pregnant client is told kindly the
treatment is not possible; a client moves an appointment within the notice period and is
refused inside it. Screenshots of the key pages go to docs/screenshots/ with
``MESOCLINIC_SCREENSHOTS=1`` (elsewhere otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect
from tests.e2e.conftest import screenshot

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client, Site
from mesoclinic.portal import booking
from mesoclinic.portal.models import ClientAccount
from mesoclinic.scheduling.models import Appointment

PHONE = {"width": 360, "height": 740}
PASSWORD = "violet-harbour-42"

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone_page(browser, live_server, settings, demo) -> Iterator[object]:
    """A page on a 360×740 phone viewport (the shared e2e ``browser``), against the live
    server with the demo clinic; emails go to ``mail.outbox``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PUBLIC_BASE_URL": live_server.url}
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    try:
        yield page
    finally:
        context.close()


def _shot(page, name: str) -> None:
    """A full-page screenshot (see ``tests/e2e/conftest.py``'s ``screenshot``)."""
    screenshot(page, name)


def _next_open_day() -> dt.date:
    day = clock.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday a week or more away


def test_a_new_client_books_a_face_treatment_start_to_finish_on_a_phone(phone_page):
    page = phone_page
    url = page.base_url
    loaded: list[int] = []
    page.on("response", lambda response: loaded.append(len(response.body() or b"")))
    # the public list of treatments
    page.goto(f"{url}/book/")
    expect(page.get_by_role("heading", name="Book a treatment")).to_be_visible()
    assert sum(loaded) < 200_000, f"first load was {sum(loaded)} bytes"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "book-01-treatments")
    page.get_by_role("link", name="Face revitalise", exact=True).click()
    # what to expect, then the health questions
    expect(page.get_by_text("This is a course, not a one-off")).to_be_visible()
    page.get_by_label("Your date of birth").fill("1990-05-17")
    page.get_by_role("button", name="Check if I can book").click()
    # nothing is answered for the client: the two questions are asked again
    expect(page.get_by_text("Please answer: are you pregnant, or could you be?")).to_be_visible()
    page.locator("fieldset", has_text="Are you pregnant").get_by_label("No").check()
    page.locator("fieldset", has_text="Are you breastfeeding").get_by_label("No").check()
    _shot(page, "book-02-treatment-and-questions")
    page.get_by_role("button", name="Check if I can book").click()
    verdict = page.get_by_role("heading", name=re.compile("you can book this treatment online"))
    expect(verdict).to_be_visible()
    # the answer is in view on the phone's screen, with the focus on it
    assert verdict.bounding_box()["y"] < PHONE["height"]
    assert page.evaluate("document.activeElement.classList.contains('verdict')")
    page.get_by_role("link", name="Choose a time").click()
    # a time next Tuesday
    page.goto(f"{url}/book/face-revitalise/times/?day={_next_open_day().isoformat()}")
    _shot(page, "book-03-times")
    page.locator("ul.slots button").first.click()
    # details and the cancellation policy
    expect(page.get_by_role("heading", name="Cancellation policy")).to_be_visible()
    page.get_by_label("First name").fill("Nadia")
    page.get_by_label("Last name").fill("Brook")
    page.get_by_label("Email").fill("nadia.brook@example.com")
    page.get_by_label("Mobile number").fill("07700 900555")
    page.get_by_label("I have read the cancellation policy above").check()
    _shot(page, "book-04-details")
    page.get_by_role("button", name="Book and confirm by email").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # the link in the email: check the details, choose a password, confirm the booking
    run_pending()
    link = next(
        found.group(0)
        for message in reversed(mail.outbox)
        if (found := re.search(r"https?://\S+/account/verify/\S+/", message.body))
    )
    page.goto(link)
    assert page.get_by_label("First name").input_value() == "Nadia"
    page.get_by_label("Yes — book it").check()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    _shot(page, "book-05a-finish-account")
    page.get_by_role("button", name="Open my account").click()
    page.wait_for_url(re.compile(r"/book/done/\d+/$"))
    expect(page.get_by_role("heading", name="You're booked in")).to_be_visible()
    _shot(page, "book-05-booked")
    appointment = Appointment.objects.get(client__email="nadia.brook@example.com")
    assert appointment.treatment.code == "face-revitalise"
    run_pending()
    assert any(message.subject.endswith("is booked") for message in mail.outbox)
    page.get_by_role("link", name="See your appointments and course plan").click()
    expect(page.get_by_role("heading", name="Your appointments")).to_be_visible()
    _shot(page, "book-06-account")


def test_a_pregnant_client_is_told_kindly_that_the_treatment_is_not_possible(phone_page):
    page = phone_page
    page.goto(f"{page.base_url}/book/face-revitalise/")
    page.get_by_label("Your date of birth").fill("1992-02-02")
    page.locator("fieldset", has_text="Are you pregnant").get_by_label("Yes").check()
    page.locator("fieldset", has_text="Are you breastfeeding").get_by_label("No").check()
    page.get_by_role("button", name="Check if I can book").click()
    verdict = page.locator("section.verdict")
    assert "this treatment isn't possible for you right now" in verdict.inner_text()
    assert "keep you and your baby safe" in verdict.inner_text()
    assert page.get_by_role("link", name="Choose a time").count() == 0
    verdict.scroll_into_view_if_needed()
    _shot(page, "book-07-not-possible-pregnant")


def _client_with_booking(weeks: int) -> tuple[Client, Appointment]:
    amelia = Client.objects.get(email="amelia.hart@example.com")
    user = get_user_model().objects.create_user(username="client-amelia", password=PASSWORD)
    ClientAccount.objects.create(
        user=user,
        client=amelia,
        email=amelia.email,
        given_name="Amelia",
        family_name="Hart",
        birth_date=amelia.birth_date,
        email_verified_at=clock.now(),
        created_at=clock.now(),
    )
    treatment = Treatment.objects.get(code="face-revitalise")
    site = Site.objects.get(code="london")
    day = clock.today() + dt.timedelta(days=7 * weeks)
    day += dt.timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday
    slot = booking.find_slots(treatment=treatment, site=site, day=day)[0]
    return amelia, booking.book(
        actor=None, client=amelia, treatment=treatment, start=slot.start, site=site
    )


def _log_in(page, email: str) -> None:
    page.goto(f"{page.base_url}/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_client_reschedules_within_policy_and_is_refused_outside_it(phone_page, monkeypatch):
    page = phone_page
    amelia, appointment = _client_with_booking(weeks=2)
    _log_in(page, amelia.email)
    # within the notice period: move to the Thursday after
    page.get_by_role("link", name="Move").first.click()
    new_day = appointment.start.astimezone(appointment.site.tzinfo).date() + dt.timedelta(days=1)
    page.goto(
        f"{page.base_url}/account/appointments/{appointment.pk}/move/?day={new_day.isoformat()}"
    )
    _shot(page, "account-01-move")
    page.locator("ul.slots button").first.click()
    expect(page.get_by_text("Your appointment has moved")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.start.astimezone(appointment.site.tzinfo).date() == new_day
    _shot(page, "account-02-moved")
    # 47 hours before the appointment: online changes are closed
    late = appointment.start - dt.timedelta(hours=47)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: late)
    page.goto(f"{page.base_url}/account/")
    expect(page.get_by_text("less than 48 hours away")).to_be_visible()
    assert page.get_by_role("link", name="Move").count() == 0
    page.goto(f"{page.base_url}/account/appointments/{appointment.pk}/move/")
    expect(
        page.get_by_role("alert").get_by_text("Online changes close 48 hours before")
    ).to_be_visible()
    _shot(page, "account-03-move-refused")
    appointment.refresh_from_db()
    assert appointment.start.astimezone(appointment.site.tzinfo).date() == new_day


def test_a_client_compares_no_needle_and_injected_on_the_public_page(phone_page):
    page = phone_page
    page.goto(f"{page.base_url}/book/")

    heading = page.get_by_role("heading", name="No-needle or injected?")
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    section = page.locator("section", has=heading)
    expect(section.get_by_text("£185 a session")).to_be_visible()
    expect(section.get_by_text("£300 a session")).to_be_visible()
    _shot(page, "book-00-no-needle-or-injected")
