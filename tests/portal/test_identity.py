"""Portal identity: who may set a password, one-time links, no enumeration, rate limits."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core import mail
from django.test import Client as Browser

from mesoclinic.core import clock
from mesoclinic.messaging.links import LINK_MARKER
from mesoclinic.messaging.models import Message, MessageKind, MessageStatus
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client
from mesoclinic.portal import services
from mesoclinic.portal.links import token_hash
from mesoclinic.portal.models import ClientAccount, PendingBooking, PortalLink, SignupRequest
from mesoclinic.safety.models import HealthQuestionnaire
from mesoclinic.scheduling.models import Appointment

from .conftest import NEW_PASSWORD, complete_signup, emailed_link, next_weekday

ANSWERS = {
    "birth_date": "1990-05-17",
    "pregnant": "no",
    "breastfeeding": "no",
    "allergies": "",
    "medications": "attacker-pill",
}
ATTACKER_PASSWORD = "mallory-owns-this-1"


def _book_as_visitor(browser: Browser, email: str, answers: dict | None = None) -> None:
    """A visitor answers the health questions, picks a time and gives ``email``."""
    browser.post("/book/face-revitalise/", answers or ANSWERS)
    body = browser.get(
        "/book/face-revitalise/times/", {"day": next_weekday(1).isoformat()}
    ).content.decode()
    start = body.split('name="start" value="')[1].split('"')[0]
    browser.post("/book/face-revitalise/times/", {"start": start})
    response = browser.post(
        "/book/face-revitalise/details/",
        {
            "given_name": "Mallory",
            "family_name": "Attacker",
            "email": email,
            "password": ATTACKER_PASSWORD,  # no such field any more: ignored
            "policy": "on",
        },
    )
    assert response.status_code == 302


def _plain(page: str, email: str) -> str:
    """A page without what differs by request anyway (the typed email, the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.replace(email, "@"))


def _log_in(email: str, password: str) -> int:
    return Browser().post("/account/login/", {"email": email, "password": password}).status_code


def _verified(email: str = "amelia.hart@example.com", password: str = NEW_PASSWORD):
    client = Client.objects.get(email=email)
    user = get_user_model().objects.create_user(username=f"client-{client.pk}", password=password)
    return ClientAccount.objects.create(
        user=user,
        client=client,
        email=email,
        given_name=client.given_name,
        family_name=client.family_name,
        birth_date=client.birth_date,
        email_verified_at=clock.now(),
        created_at=clock.now(),
    )


# --- who sets the password -----------------------------------------------------------------


def test_sign_up_keeps_no_password_and_no_account_until_the_link_is_used(demo):
    _book_as_visitor(Browser(), "nadia.brook@example.com")
    assert not ClientAccount.objects.filter(email="nadia.brook@example.com").exists()
    assert not get_user_model().objects.filter(email="nadia.brook@example.com").exists()
    assert SignupRequest.objects.get(email="nadia.brook@example.com").given_name == "Mallory"


def test_a_takeover_attempt_gives_the_attacker_nothing(demo):
    # given: an attacker books with the victim's email, their password and their answers
    amelia = Client.objects.get(email="amelia.hart@example.com")
    questionnaires_before = HealthQuestionnaire.objects.filter(client=amelia).count()
    appointments_before = Appointment.objects.filter(client=amelia).count()
    _book_as_visitor(Browser(), amelia.email, {**ANSWERS, "birth_date": "1986-04-12"})
    link = emailed_link(to=amelia.email)
    # when: the victim opens the link, sees a booking that is not theirs and says so
    victim = Browser()
    page = victim.get(link).content.decode()
    assert "attacker-pill" in page
    assert "Is this booking yours" in page
    response = complete_signup(
        victim, link, booking_mine="no", given_name="Amelia", family_name="Hart",
        birth_date=amelia.birth_date.isoformat(),
    )  # fmt: skip
    assert response.status_code == 302
    # then: only the victim's password works, nothing was booked, the answers are gone
    assert _log_in(amelia.email, ATTACKER_PASSWORD) == 200
    assert _log_in(amelia.email, NEW_PASSWORD) == 302
    account = ClientAccount.objects.get(email=amelia.email)
    assert account.client == amelia
    assert account.verified
    assert HealthQuestionnaire.objects.filter(client=amelia).count() == questionnaires_before
    assert Appointment.objects.filter(client=amelia).count() == appointments_before
    pending = PendingBooking.objects.get(account=account)
    assert pending.answers == {}
    assert pending.appointment is None
    # and the link does not work again
    again = victim.get(link)
    assert again.status_code == 400
    assert "already been used or has expired" in html.unescape(again.content.decode())


def test_confirmed_answers_become_the_questionnaire_with_the_booking(demo):
    browser = Browser()
    _book_as_visitor(browser, "nadia.brook@example.com")
    done = complete_signup(browser, emailed_link(), booking_mine="yes")
    appointment = Appointment.objects.get(client__email="nadia.brook@example.com")
    assert done["Location"] == f"/book/done/{appointment.pk}/"
    latest = HealthQuestionnaire.objects.filter(client=appointment.client).get()
    assert latest.medications == ["attacker-pill"]


def test_the_booking_question_must_be_answered(demo):
    browser = Browser()
    _book_as_visitor(browser, "nadia.brook@example.com")
    link = emailed_link()
    response = complete_signup(browser, link, booking_mine=None)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ClientAccount.objects.filter(email="nadia.brook@example.com").exists()
    assert browser.get(link).status_code == 200  # not used up by a refused form


def test_a_second_sign_up_changes_nothing_the_first_link_holder_gets(demo):
    # the owner signs up; an attacker then signs up for the same address
    services.account_signup(
        email="nadia.brook@example.com",
        given_name="Nadia",
        family_name="Brook",
        birth_date=dt.date(1990, 5, 17),
        phone="07700900555",
    )
    owners_link = emailed_link()
    _book_as_visitor(Browser(), "nadia.brook@example.com")
    attackers_link = emailed_link()
    assert attackers_link != owners_link
    # the owner finishes with their own link: their details, no booking, their password
    owner = Browser()
    page = owner.get(owners_link).content.decode()
    assert 'value="Nadia"' in page
    assert "Mallory" not in page
    complete_signup(owner, owners_link, booking_mine=None)
    account = ClientAccount.objects.get(email="nadia.brook@example.com")
    assert (account.given_name, account.phone) == ("Nadia", "07700900555")
    assert account.client.given_name == "Nadia"
    assert not Appointment.objects.filter(client=account.client).exists()
    # and the other sign-up's link died with it
    assert owner.get(attackers_link).status_code == 400


def test_completing_a_sign_up_for_an_address_with_an_account_is_refused(demo):
    services.account_signup(
        email="amelia.hart@example.com",
        given_name="A",
        family_name="H",
        birth_date=dt.date(1986, 4, 12),
    )
    token = emailed_link().split("/")[-2]
    _verified()
    with pytest.raises(services.Conflict):
        services.signup_complete(
            token=token,
            password="another-pass-99",
            given_name="A",
            family_name="H",
            birth_date=dt.date(1986, 4, 12),
        )
    assert _log_in("amelia.hart@example.com", NEW_PASSWORD) == 302


def test_an_old_unverified_account_cannot_log_in_and_the_link_holder_takes_it_over(demo):
    user = get_user_model().objects.create_user(
        username="client-legacy", password=ATTACKER_PASSWORD
    )
    ClientAccount.objects.create(
        user=user,
        email="nadia.brook@example.com",
        given_name="Mallory",
        family_name="Attacker",
        birth_date=dt.date(1990, 5, 17),
        created_at=clock.now(),
    )
    assert _log_in("nadia.brook@example.com", ATTACKER_PASSWORD) == 200
    services.account_signup(
        email="nadia.brook@example.com",
        given_name="Nadia",
        family_name="Brook",
        birth_date=dt.date(1990, 5, 17),
    )
    complete_signup(Browser(), emailed_link(), booking_mine=None)
    assert _log_in("nadia.brook@example.com", ATTACKER_PASSWORD) == 200
    assert _log_in("nadia.brook@example.com", NEW_PASSWORD) == 302
    assert ClientAccount.objects.get(email="nadia.brook@example.com").given_name == "Nadia"


def test_the_migration_makes_unverified_passwords_unusable(demo):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("mesoclinic.portal.migrations.0002_portal_identity")
    user = get_user_model().objects.create_user(
        username="client-legacy", password=ATTACKER_PASSWORD
    )
    ClientAccount.objects.create(
        user=user,
        email="nadia.brook@example.com",
        given_name="M",
        family_name="A",
        birth_date=dt.date(1990, 5, 17),
        created_at=clock.now(),
    )
    kept = _verified()
    migration.forget_unproven_passwords(apps, None)
    user.refresh_from_db()
    kept.user.refresh_from_db()
    assert not user.has_usable_password()
    assert kept.user.check_password(NEW_PASSWORD)


# --- links -----------------------------------------------------------------------------------


def test_links_are_stored_hashed_and_the_message_log_never_holds_one(demo):
    services.account_signup(
        email="nadia.brook@example.com",
        given_name="Nadia",
        family_name="Brook",
        birth_date=dt.date(1990, 5, 17),
    )
    message = Message.objects.get(kind=MessageKind.EMAIL_VERIFICATION)
    assert LINK_MARKER in message.body
    assert "/account/verify/" not in message.body
    assert PortalLink.objects.get().token_hash == ""  # no token before the email goes
    token = emailed_link().split("/")[-2]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert token not in message.body
    assert LINK_MARKER in message.body
    link = PortalLink.objects.get()
    assert link.token_hash == token_hash(token) != token
    assert len(token) >= 40


def test_a_link_expires_after_the_configured_time(demo, settings, monkeypatch):
    settings.MESOCLINIC = {**settings.MESOCLINIC, "PORTAL_LINK_MINUTES": 30}
    services.account_signup(
        email="nadia.brook@example.com",
        given_name="Nadia",
        family_name="Brook",
        birth_date=dt.date(1990, 5, 17),
    )
    link = emailed_link()
    stored = PortalLink.objects.get()
    assert stored.expires_at - stored.created_at == dt.timedelta(minutes=30)
    assert Browser().get(link).status_code == 200
    later = stored.expires_at
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)
    assert Browser().get(link).status_code == 400
    assert complete_signup_refused(link)


def complete_signup_refused(link: str) -> bool:
    response = Browser().post(
        link,
        {
            "given_name": "N",
            "family_name": "B",
            "birth_date": "1990-05-17",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    return response.status_code == 400 and not ClientAccount.objects.exists()


def test_the_default_link_time_is_an_hour(demo):
    services.password_reset_request(email=_verified().email)
    stored = PortalLink.objects.get()
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=1)


def test_an_email_whose_link_is_dead_before_sending_is_not_sent(demo):
    services.account_signup(
        email="nadia.brook@example.com",
        given_name="Nadia",
        family_name="Brook",
        birth_date=dt.date(1990, 5, 17),
    )
    PortalLink.objects.update(used_at=clock.now())
    run_pending()
    assert mail.outbox == []
    message = Message.objects.get(kind=MessageKind.EMAIL_VERIFICATION)
    assert message.status == MessageStatus.CANCELLED


def test_a_made_up_token_is_refused_like_a_used_one(demo):
    response = Browser().get("/account/verify/" + "x" * 43 + "/")
    assert response.status_code == 400
    assert Browser().get("/account/password-reset/short/").status_code == 400


# --- password reset --------------------------------------------------------------------------


def test_a_client_resets_their_password_once(demo):
    account = _verified()
    browser = Browser()
    response = browser.post("/account/password-reset/", {"email": "Amelia.Hart@example.com"})
    assert response["Location"] == "/book/check-email/"
    link = emailed_link("password-reset")
    assert browser.get(link).status_code == 200
    response = browser.post(
        link, {"password": "brand-new-pass-77", "password_again": "brand-new-pass-77"}
    )
    assert response["Location"] == "/account/login/"
    assert _log_in(account.email, NEW_PASSWORD) == 200
    assert _log_in(account.email, "brand-new-pass-77") == 302
    assert browser.get(link).status_code == 400
    message = Message.objects.get(kind=MessageKind.PASSWORD_RESET)
    assert "/account/password-reset/" not in message.body


def test_a_reset_with_mismatched_or_weak_passwords_changes_nothing(demo):
    account = _verified()
    services.password_reset_request(email=account.email)
    link = emailed_link("password-reset")
    browser = Browser()
    mismatch = browser.post(link, {"password": "brand-new-pass-77", "password_again": "other"})
    assert "not the same" in mismatch.content.decode()
    weak = browser.post(link, {"password": "12345678", "password_again": "12345678"})
    assert weak.status_code == 200
    assert "too common" in weak.content.decode()
    assert _log_in(account.email, NEW_PASSWORD) == 302
    assert browser.get(link).status_code == 200


def test_a_new_reset_request_and_a_used_link_kill_the_other_reset_links(demo):
    account = _verified()
    services.password_reset_request(email=account.email)
    first = emailed_link("password-reset")
    services.password_reset_request(email=account.email)
    second = emailed_link("password-reset")
    Browser().post(second, {"password": "brand-new-pass-77", "password_again": "brand-new-pass-77"})
    assert Browser().get(first).status_code == 400


# --- no account enumeration ------------------------------------------------------------------


def test_sign_up_answers_the_same_for_a_known_and_an_unknown_address(demo):
    _verified()
    answers, emails = [], []
    for email in ("amelia.hart@example.com", "nobody.here@example.com"):
        browser = Browser()
        mail.outbox.clear()
        response = browser.post(
            "/account/signup/",
            {
                "given_name": "A",
                "family_name": "H",
                "email": email,
                "birth_date": "1986-04-12",
            },
        )
        page = browser.get(response["Location"]).content.decode()
        run_pending()
        answers.append((response.status_code, response["Location"], _plain(page, email)))
        assert [m.to for m in mail.outbox] == [[email]]
        emails.append(mail.outbox[0].body)
    assert answers[0] == answers[1]
    assert "You already have an account" in emails[0]
    assert "/account/password-reset/" in emails[0]
    assert "/account/verify/" in emails[1]
    assert not SignupRequest.objects.filter(email="amelia.hart@example.com").exists()


def test_booking_with_an_address_that_has_an_account_books_nothing_and_says_so_by_email(demo):
    account = _verified()
    _book_as_visitor(Browser(), account.email)
    link = emailed_link("password-reset")
    assert link.startswith("/account/password-reset/")
    assert "You already have an account" in mail.outbox[-1].body
    assert not PendingBooking.objects.exists()
    assert not SignupRequest.objects.exists()


def test_reset_answers_the_same_for_a_known_and_an_unknown_address(demo):
    _verified()
    answers = []
    for email in ("amelia.hart@example.com", "nobody.here@example.com"):
        browser = Browser()
        mail.outbox.clear()
        response = browser.post("/account/password-reset/", {"email": email})
        page = browser.get(response["Location"]).content.decode()
        answers.append((response.status_code, response["Location"], _plain(page, email)))
        run_pending()
        assert [m.to for m in mail.outbox] == [[email]]
    assert answers[0] == answers[1]
    assert "no account uses it" in mail.outbox[0].body


class CountingHasher(Argon2PasswordHasher):
    """Argon2 that counts how often a password is hashed or checked."""

    algorithm = "cargon2"  # the password column holds 128 characters
    uses = 0

    def encode(self, password, salt):
        type(self).uses += 1
        return super().encode(password, salt).replace("argon2", self.algorithm, 1)

    def verify(self, password, encoded):
        type(self).uses += 1
        return super().verify(password, encoded.replace(self.algorithm, "argon2", 1))

    def decode(self, encoded):
        return super().decode(encoded.replace(self.algorithm, "argon2", 1))


def test_login_answers_the_same_and_hashes_once_whether_or_not_the_address_has_an_account(
    demo, settings
):
    settings.PASSWORD_HASHERS = ["tests.portal.test_identity.CountingHasher"]
    _verified()
    legacy = get_user_model().objects.create_user(username="client-legacy", password=NEW_PASSWORD)
    ClientAccount.objects.create(
        user=legacy,
        email="unverified@example.com",
        given_name="U",
        family_name="V",
        birth_date=dt.date(1990, 1, 1),
        created_at=clock.now(),
    )
    bodies = []
    for email, password in (
        ("amelia.hart@example.com", "wrong-password-1"),
        ("nobody.here@example.com", "wrong-password-1"),
        ("unverified@example.com", NEW_PASSWORD),
    ):
        CountingHasher.uses = 0
        response = Browser().post("/account/login/", {"email": email, "password": password})
        assert CountingHasher.uses == 1, email
        bodies.append(_plain(response.content.decode(), email))
    assert bodies[0] == bodies[1] == bodies[2]
    assert "don&#x27;t match an account" in bodies[0]


def test_the_links_page_shows_the_booking_in_the_sites_time(demo):
    browser = Browser()
    _book_as_visitor(browser, "nadia.brook@example.com")
    pending = PendingBooking.objects.get()
    local = pending.start.astimezone(pending.site.tzinfo)
    page = browser.get(emailed_link()).content.decode()
    assert f"arrive at {local:%H:%M}" in page
