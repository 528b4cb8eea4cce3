"""End-to-end: an attacker tries to take over a client's portal account (issue 12, item 3).

The attacker books online with the victim's email, giving their own password (where the
page asks for one) and their own health answers. The victim opens the emailed link (and
where the page asks, chooses their own password and says the booking isn't theirs).
Then the attacker's password must not log in, the attacker's answers must not be the
client's health questionnaire, and the link must not work a second time.

The test is written to reach those checks whatever the sign-up pages look like, so that
it fails on the old flow (where sign-up set the password and the link alone verified the
account) for the security reason, not for a missing field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from mesoclinic.core import clock
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client
from mesoclinic.safety.selectors import questionnaire_latest

pytestmark = pytest.mark.e2e

ATTACKER_PASSWORD = "mallory-owns-this-1"
VICTIM_PASSWORD = "amelia-own-choice-7"


@pytest.fixture
def site_url(live_server, settings, demo) -> str:
    """The live server's address, with emails kept in ``mail.outbox`` and links to it."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PUBLIC_BASE_URL": live_server.url}
    return live_server.url


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:
    """``new_page()`` is a page in a browser context of its own (one person's browser)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


def _next_tuesday() -> dt.date:
    day = clock.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def _link_to(email: str) -> str:
    run_pending()
    for message in reversed(mail.outbox):
        found = re.search(r"https?://\S+/account/verify/\S+/", message.body)
        if email in message.to and found:
            return found.group(0)
    raise AssertionError(f"no verification link emailed to {email}")


def test_an_attacker_signing_up_with_the_victims_email_gains_nothing(new_page, site_url):
    victim = Client.objects.get(email="amelia.hart@example.com")
    # the attacker books with the victim's email and date of birth and their own answers
    attacker = new_page()
    attacker.goto(f"{site_url}/book/face-revitalise/")
    attacker.get_by_label("Your date of birth").fill(victim.birth_date.isoformat())
    attacker.locator("fieldset", has_text="Are you pregnant").get_by_label("No").check()
    attacker.locator("fieldset", has_text="Are you breastfeeding").get_by_label("No").check()
    attacker.get_by_label("Medicines you take").fill("attacker-pill")
    attacker.get_by_role("button", name="Check if I can book").click()
    attacker.get_by_role("link", name="Choose a time").click()
    attacker.goto(f"{site_url}/book/face-revitalise/times/?day={_next_tuesday().isoformat()}")
    attacker.locator("ul.slots button").first.click()
    attacker.get_by_label("First name").fill("Mallory")
    attacker.get_by_label("Last name").fill("Attacker")
    attacker.get_by_label("Email").fill(victim.email)
    if attacker.get_by_label("Choose a password").count():  # the old sign-up asked here
        attacker.get_by_label("Choose a password").fill(ATTACKER_PASSWORD)
    attacker.get_by_label("I have read the cancellation policy above").check()
    attacker.get_by_role("button", name="Book and confirm by email").click()
    expect(attacker.get_by_role("heading", name="Check your email")).to_be_visible()

    # the victim opens the link from their inbox
    link = _link_to(victim.email)
    owner = new_page()
    owner.goto(link)
    if owner.get_by_label("Choose a password").count():  # the page asks who they are
        expect(owner.get_by_text("attacker-pill")).to_be_visible()
        owner.get_by_label("First name").fill("Amelia")
        owner.get_by_label("Last name").fill("Hart")
        owner.get_by_label("No — don't book it").check()
        owner.get_by_label("Choose a password").fill(VICTIM_PASSWORD)
        owner.get_by_label("Type the password again").fill(VICTIM_PASSWORD)
        owner.get_by_role("button", name="Open my account").click()
        expect(owner.get_by_role("heading", name=f"Hello {victim.given_name}")).to_be_visible()

    # the attacker's password does not open the victim's account
    attacker.goto(f"{site_url}/account/login/")
    attacker.get_by_label("Email").fill(victim.email)
    attacker.get_by_label("Password").fill(ATTACKER_PASSWORD)
    attacker.get_by_role("button", name="Log in").click()
    expect(attacker.get_by_text("That email and password don't match an account")).to_be_visible()
    attacker.goto(f"{site_url}/account/")
    assert attacker.url.startswith(f"{site_url}/account/login/")

    # the attacker's answers are not the client's health questionnaire
    latest = questionnaire_latest(client=victim)
    assert latest is None or "attacker-pill" not in latest.medications

    # and the link cannot be used again, by anyone
    again = new_page()
    again.goto(link)
    expect(again.get_by_role("heading", name="That link didn't work")).to_be_visible()
    again.goto(f"{site_url}/account/")
    assert again.url.startswith(f"{site_url}/account/login/")
