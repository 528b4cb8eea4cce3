"""The public booking journey through the Django test client."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo

from django.core import mail
from django.test import Client as Browser
from tests.messaging.queued import booking_messages_written

from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount, SignupRequest
from mesoclinic.safety.models import HealthQuestionnaire
from mesoclinic.scheduling.models import Appointment

from .conftest import complete_signup, next_weekday, verification_link

LONDON = zoneinfo.ZoneInfo("Europe/London")

ANSWERS = {
    "birth_date": "1990-05-17",
    "pregnant": "no",
    "breastfeeding": "no",
    "allergies": "",
    "medications": "",
}


def test_book_lists_bookable_treatments_with_prices_and_course_estimates(demo):
    response = Browser().get("/book/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Face revitalise" in body or "Face" in body
    assert "£300 a session" in body
    assert "course from £2550" in body  # 10 sessions × £300 less 15%
    assert "No-needle infusion" in body


def test_treatment_page_explains_the_course_duration_and_side_effects(demo):
    body = Browser().get("/book/face-revitalise/").content.decode()
    assert "This is a course, not a one-off" in body
    assert "60 minutes (30 with numbing cream, then 30 of treatment)" in body
    assert (
        "4 sessions weekly, then 2 sessions every two weeks, then 4 sessions every four weeks, then a top-up every three months"
        in body
    )
    assert "purple dots" in body


def test_an_unknown_treatment_is_a_404_not_a_500(demo):
    assert Browser().get("/book/no-such-thing/").status_code == 404


def test_a_pregnant_visitor_is_told_kindly_without_jargon(demo):
    response = Browser().post("/book/face-revitalise/", {**ANSWERS, "pregnant": "yes"})
    body = html.unescape(response.content.decode())
    assert "We're sorry — this treatment isn't possible for you right now." in body
    assert "keep you and your baby safe" in body
    assert "refuse" not in body
    assert "pregnant</" not in body
    assert "contraindication" not in body.lower()
    assert "Choose a time" not in body


def test_an_under_18_visitor_cannot_book(demo):
    body = (
        Browser()
        .post("/book/face-revitalise/", {**ANSWERS, "birth_date": "2012-01-01"})
        .content.decode()
    )
    assert "only for adults" in body


def test_blood_thinners_lead_to_a_free_consultation(demo):
    body = (
        Browser()
        .post("/book/face-revitalise/", {**ANSWERS, "conditions": ["anticoagulants"]})
        .content.decode()
    )
    assert "Please book a free consultation first." in body
    assert "blood-thinning" in body


def test_an_allergy_to_an_ingredient_is_refused_in_plain_words(demo):
    body = (
        Browser()
        .post("/book/face-revitalise/", {**ANSWERS, "allergies": "hyaluronic acid"})
        .content.decode()
    )
    assert "something you told us you are allergic to" in html.unescape(body)


def test_times_need_a_passed_prescreen(demo):
    response = Browser().get("/book/face-revitalise/times/")
    assert response.status_code == 302
    assert response["Location"] == "/book/face-revitalise/"


def _through_to_details(browser: Browser, day: dt.date) -> str:
    browser.post("/book/face-revitalise/", ANSWERS)
    body = browser.get("/book/face-revitalise/times/", {"day": day.isoformat()}).content.decode()
    start = body.split('name="start" value="')[1].split('"')[0]
    response = browser.post("/book/face-revitalise/times/", {"start": start})
    assert response["Location"] == "/book/face-revitalise/details/"
    return start


def test_a_new_client_books_confirms_by_email_and_gets_messages(
    demo, django_capture_on_commit_callbacks
):
    # given a visitor who passed the health questions and chose a time next Tuesday
    browser = Browser()
    start = _through_to_details(browser, next_weekday(1))
    details = browser.get("/book/face-revitalise/details/").content.decode()
    assert "You can move or cancel your appointment online up to 48 hours" in details
    # when they give their details and click the link in the email
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/book/face-revitalise/details/",
            {
                "given_name": "Nadia",
                "family_name": "Brook",
                "email": "Nadia.Brook@example.com",
                "phone": "+447700900555",
                "policy": "on",
            },
        )
    assert response.status_code == 302
    assert Appointment.objects.filter(client__email="nadia.brook@example.com").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = complete_signup(browser, verification_link())
    # then the appointment is booked for a new client, with their answers on file
    appointment = Appointment.objects.get(client__email="nadia.brook@example.com")
    assert done["Location"] == f"/book/done/{appointment.pk}/"
    assert appointment.start == dt.datetime.fromisoformat(start)
    assert (
        HealthQuestionnaire.objects.filter(client=appointment.client, source="client").count() == 1
    )
    account = ClientAccount.objects.get(email="nadia.brook@example.com")
    assert account.client == appointment.client
    assert not account.matched_existing
    page = browser.get(done["Location"]).content.decode()
    assert "You're booked in" in page
    assert booking_messages_written() == 1  # the worker's first step
    kinds = set(Message.objects.filter(appointment=appointment).values_list("kind", flat=True))
    assert {"confirmation", "reminder", "preparation"} <= kinds
    mail.outbox.clear()
    from mesoclinic.messaging.worker import run_pending

    run_pending()
    assert any(m.subject.endswith("is booked") for m in mail.outbox)


def test_an_existing_client_is_matched_on_verified_email_and_birth_date(
    demo, django_capture_on_commit_callbacks
):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    browser = Browser()
    browser.post("/book/face-revitalise/", {**ANSWERS, "birth_date": amelia.birth_date.isoformat()})
    body = browser.get(
        "/book/face-revitalise/times/", {"day": next_weekday(2).isoformat()}
    ).content.decode()
    start = body.split('name="start" value="')[1].split('"')[0]
    browser.post("/book/face-revitalise/times/", {"start": start})
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/book/face-revitalise/details/",
            {
                "given_name": "Amelia",
                "family_name": "Hart",
                "email": "AMELIA.HART@example.com",
                "policy": "on",
            },
        )
    with django_capture_on_commit_callbacks(execute=True):
        complete_signup(browser, verification_link())
    account = ClientAccount.objects.get(email="amelia.hart@example.com")
    assert account.client == amelia
    assert account.matched_existing
    assert Appointment.objects.filter(
        client=amelia, start=dt.datetime.fromisoformat(start)
    ).exists()


def test_the_details_step_needs_the_policy_ticked(demo):
    browser = Browser()
    _through_to_details(browser, next_weekday(1))
    body = browser.post(
        "/book/face-revitalise/details/",
        {
            "given_name": "A",
            "family_name": "B",
            "email": "a@example.com",
        },
    ).content.decode()
    assert "This field is required" in body
    assert ClientAccount.objects.count() == 0
    assert SignupRequest.objects.count() == 0


def test_pregnancy_and_breastfeeding_come_unanswered_and_must_be_answered(demo):
    # given: a visitor who skims the questions and leaves both unanswered
    page = Browser().get("/book/face-revitalise/").content.decode()
    assert 'value="no" checked' not in page.replace("\n", " ")
    answers = {k: v for k, v in ANSWERS.items() if k not in {"pregnant", "breastfeeding"}}

    # when
    body = html.unescape(Browser().post("/book/face-revitalise/", answers).content.decode())

    # then: each question is asked again, and no verdict is given
    assert "Please answer: are you pregnant, or could you be?" in body
    assert "Please answer: are you breastfeeding?" in body
    assert "Choose a time" not in body


def test_the_verdict_comes_first_and_takes_the_focus(demo):
    body = Browser().post("/book/face-revitalise/", ANSWERS).content.decode()
    verdict = body.index('id="verdict-title"')
    assert verdict < body.index("What to expect")
    assert "autofocus" in body[body.rindex("<section", 0, verdict) : verdict]


def test_a_single_session_treatment_is_not_called_a_course(demo):
    index = Browser().get("/book/").content.decode()
    page = Browser().get("/book/no-needle-infusion/").content.decode()
    assert "This is a course" not in page
    assert "This is a single session" in page
    assert "Course estimate" not in page
    assert "a single session" in index


def _passed_prescreen() -> Browser:
    browser = Browser()
    browser.post("/book/face-revitalise/", ANSWERS)
    return browser


def _at(monkeypatch, day: dt.date, time: str) -> None:
    moment = dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=LONDON)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: moment)


def test_times_open_on_the_first_day_with_free_times(demo, monkeypatch):
    # given: Saturday evening, after closing; Sunday the clinic is shut
    saturday = next_weekday(5)
    _at(monkeypatch, saturday, "19:00")

    # when
    body = html.unescape(_passed_prescreen().get("/book/face-revitalise/times/").content.decode())

    # then: the page opens on Monday with its times, not on Saturday's "no free times"
    monday = saturday + dt.timedelta(days=2)
    assert f'<h2 id="times-title">{monday:%A} {monday.day} {monday:%B}</h2>' in body
    assert '<ul class="slots">' in body


def test_a_closed_day_says_closed(demo, monkeypatch):
    sunday = next_weekday(6)
    _at(monkeypatch, sunday - dt.timedelta(days=1), "08:00")
    browser = _passed_prescreen()

    body = html.unescape(
        browser.get("/book/face-revitalise/times/", {"day": sunday.isoformat()}).content.decode()
    )

    assert f"We're closed on {sunday:%A} {sunday.day} {sunday:%B}." in body
    assert "No free times" not in body
    nav = body.index('<nav class="days"')
    strip = body[nav : body.index("</nav>", nav)]
    assert strip.count('class="closed"') >= 1


def test_the_day_strip_pages_to_later_and_earlier_dates(demo):
    browser = _passed_prescreen()
    first = browser.get("/book/face-revitalise/times/").content.decode()
    later = re.search(r'href="\?day=([\d-]+)">Later dates', first)
    assert later is not None
    assert "Earlier dates" not in first

    page = browser.get("/book/face-revitalise/times/", {"day": later.group(1)}).content.decode()

    assert f"?day={later.group(1)}" in page
    assert "← Earlier dates" in page


def test_the_public_page_compares_no_needle_and_injected_plainly(demo):
    body = html.unescape(Browser().get("/book/").content.decode())
    compare = body[body.index("No-needle or injected?") :]
    assert "No-needle infusion" in compare
    assert "Face revitalise" in compare
    assert "Less deep" in compare
    assert "£185 a session" in compare
    assert "£300 a session" in compare
