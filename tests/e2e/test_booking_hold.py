"""End-to-end (Debian's chromium, a 390×844 phone): a new client's chosen time is held
while they confirm their email. A second visitor on another phone does not see that time
until the hold ends; the first confirms through the emailed link and is booked in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from playwright.sync_api import expect
from tests.e2e.conftest import screenshot

from mesoclinic.core import clock
from mesoclinic.messaging.worker import run_pending
from mesoclinic.scheduling.models import Appointment, HoldStatus, SlotHold

PHONE = {"width": 390, "height": 844}
PASSWORD = "violet-harbour-42"

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser, live_server, settings, demo) -> Iterator[Callable[[], object]]:
    """``phone()`` opens a new page on its own 390×844 phone (no shared cookies) against
    the live server; emails go to ``mail.outbox`` with links on the live server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PUBLIC_BASE_URL": live_server.url}
    contexts = []

    def open_phone() -> object:
        context = browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = live_server.url
        return page

    try:
        yield open_phone
    finally:
        for context in contexts:
            context.close()


def _a_saturday() -> dt.date:
    """A Saturday a week or more away: one practitioner gives face treatments then."""
    day = clock.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(5 - day.weekday()) % 7)


def _answer_and_open_times(page, day: dt.date) -> None:
    page.goto(f"{page.base_url}/book/face-revitalise/")
    page.get_by_label("Your date of birth").fill("1990-05-17")
    page.locator("fieldset", has_text="Are you pregnant").get_by_label("No").check()
    page.locator("fieldset", has_text="Are you breastfeeding").get_by_label("No").check()
    page.get_by_role("button", name="Check if I can book").click()
    page.get_by_role("link", name="Choose a time").click()
    page.goto(f"{page.base_url}/book/face-revitalise/times/?day={day.isoformat()}")


def _times_shown(page) -> list[str]:
    return [text.strip() for text in page.locator("ul.slots button").all_inner_texts()]


def test_a_new_client_on_a_phone_holds_their_time_until_they_confirm(phone):
    day = _a_saturday()
    first, second = phone(), phone()
    # given: the first visitor chooses the first free time that Saturday
    _answer_and_open_times(first, day)
    chosen = _times_shown(first)[0]
    first.locator("ul.slots button").first.click()
    expect(first.get_by_text("we hold this time for you for 15 minutes")).to_be_visible()
    first.get_by_label("First name").fill("Nadia")
    first.get_by_label("Last name").fill("Brook")
    first.get_by_label("Email").fill("nadia.brook@example.com")
    first.get_by_label("I have read the cancellation policy above").check()
    first.get_by_role("button", name="Book and confirm by email").click()
    # then: the page says the time is held, and for how long
    expect(first.get_by_role("heading", name="Check your email")).to_be_visible()
    notice = first.locator("#held-notice")
    assert re.search(rf"holding .* at {chosen} for you for 15 minutes", notice.inner_text())
    assert first.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(first, "book-hold-01-check-email")
    assert SlotHold.objects.filter(status=HoldStatus.HELD).count() == 1
    # when: a second visitor looks at the same Saturday on another phone
    _answer_and_open_times(second, day)
    # then: that time is not offered to them (others are)
    shown = _times_shown(second)
    assert chosen not in shown
    assert shown
    screenshot(second, "book-hold-02-second-visitor")
    # when: the first visitor opens the emailed link in time and confirms
    run_pending()
    link = next(
        found.group(0)
        for message in reversed(mail.outbox)
        if (found := re.search(r"https?://\S+/account/verify/\S+/", message.body))
    )
    assert "for 15 minutes" in mail.outbox[-1].body
    first.goto(link)
    expect(first.locator("#held-until")).to_be_visible()
    first.get_by_label("Yes — book it").check()
    first.get_by_label("Choose a password").fill(PASSWORD)
    first.get_by_label("Type the password again").fill(PASSWORD)
    first.get_by_role("button", name="Open my account").click()
    first.wait_for_url(re.compile(r"/book/done/\d+/$"))
    expect(first.get_by_role("heading", name="You're booked in")).to_be_visible()
    # then: the held time became their appointment, and is still not offered to others
    appointment = Appointment.objects.get(client__email="nadia.brook@example.com")
    assert f"{appointment.start.astimezone(appointment.site.tzinfo):%H:%M}" == chosen
    assert SlotHold.objects.get().status == HoldStatus.CONFIRMED
    second.reload()
    assert chosen not in _times_shown(second)
