"""Client accounts: matching rules, policy windows for changes, own-data-only, exports."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as Browser

from mesoclinic.billing.models import Payment
from mesoclinic.billing.policy import CancellationPolicy
from mesoclinic.billing.services import payment_record
from mesoclinic.core import clock
from mesoclinic.core.errors import RuleRefused
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client, Site
from mesoclinic.portal import booking, services
from mesoclinic.portal.models import ClientAccount
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

from .conftest import emailed_link, next_weekday

PASSWORD = "violet-harbour-42"


def _verified_account(client: Client) -> ClientAccount:
    user = get_user_model().objects.create_user(username=f"client-{client.pk}", password=PASSWORD)
    return ClientAccount.objects.create(
        user=user,
        client=client,
        email=client.email,
        given_name=client.given_name,
        family_name=client.family_name,
        birth_date=client.birth_date,
        email_verified_at=clock.now(),
        created_at=clock.now(),
    )


def _book(client: Client, day: dt.date, code: str = "face-revitalise") -> Appointment:
    from mesoclinic.catalogue.models import Treatment

    treatment = Treatment.objects.get(code=code)
    site = Site.objects.get(code="london")
    slot = booking.find_slots(treatment=treatment, site=site, day=day)[0]
    return booking.book(actor=None, client=client, treatment=treatment, start=slot.start, site=site)


# --- matching ------------------------------------------------------------------------------


def test_matching_needs_the_same_email_and_birth_date(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    assert (
        services.client_match(email="Amelia.Hart@Example.com ", birth_date=amelia.birth_date)
        == amelia
    )
    assert (
        services.client_match(email="amelia.hart@example.com", birth_date=dt.date(1986, 4, 13))
        is None
    )
    assert services.client_match(email="someone@example.com", birth_date=amelia.birth_date) is None


def test_matching_refuses_ambiguity_and_clients_already_linked(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    twin = Client.objects.create(
        given_name="Amelia",
        family_name="Hart",
        birth_date=amelia.birth_date,
        email=amelia.email,
        created_at=clock.now(),
    )
    assert services.client_match(email=amelia.email, birth_date=amelia.birth_date) is None
    twin.delete()
    _verified_account(amelia)
    assert services.client_match(email=amelia.email, birth_date=amelia.birth_date) is None


def test_an_unverified_signup_touches_no_client_and_a_wrong_birth_date_makes_a_new_client(
    demo, django_capture_on_commit_callbacks
):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.account_signup(
            email=amelia.email,
            given_name="Amelia",
            family_name="Hart",
            birth_date=dt.date(1986, 4, 13),
        )
    assert not ClientAccount.objects.filter(email=amelia.email).exists()
    token = emailed_link().split("/")[-2]
    account, _ = services.signup_complete(
        token=token,
        password=PASSWORD,
        given_name="Amelia",
        family_name="Hart",
        birth_date=dt.date(1986, 4, 13),
    )
    assert account.client != amelia
    assert not account.matched_existing


def test_linking_needs_a_verified_email(demo):
    user = get_user_model().objects.create_user(username="client-unverified")
    account = ClientAccount.objects.create(
        user=user,
        email="someone@example.com",
        given_name="S",
        family_name="O",
        birth_date=dt.date(1990, 1, 1),
        created_at=clock.now(),
    )
    with pytest.raises(RuleRefused):
        services.account_link_client(account=account)
    assert Client.objects.filter(email="someone@example.com").count() == 0


# --- policy windows --------------------------------------------------------------------------


def test_policy_window_is_inclusive_of_the_deadline():
    policy = CancellationPolicy(notice_hours=48)
    start = dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)
    assert policy.can_change_online(start=start, now=start - dt.timedelta(hours=48))
    assert not policy.can_change_online(start=start, now=start - dt.timedelta(hours=47, minutes=59))
    assert policy.deposit_for(Decimal("300")) == Decimal("0.00")
    assert CancellationPolicy(deposit_percent=Decimal("20")).deposit_for(Decimal("300")) == Decimal(
        "60.00"
    )


def test_a_client_reschedules_within_policy_and_is_refused_inside_the_notice_period(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    account = _verified_account(amelia)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book(amelia, next_weekday(1, weeks=2))
    new_day = next_weekday(3, weeks=2)
    new_start = booking.find_slots(
        treatment=appointment.treatment, site=appointment.site, day=new_day
    )[0].start
    # within policy: moved, and the client is told
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.client_appointment_reschedule(
            account=account, appointment=appointment, start=new_start
        )
    assert moved.start == new_start
    assert Message.objects.filter(appointment=moved, kind="rescheduled").exists()
    # 47 hours before: refused, nothing changes
    late = moved.start - dt.timedelta(hours=47)
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: late)
    with pytest.raises(RuleRefused) as refused:
        services.client_appointment_cancel(account=account, appointment=moved)
    assert refused.value.code == "inside_notice_period"
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.BOOKED


def test_cancelling_in_notice_refunds_the_deposit(demo, django_capture_on_commit_callbacks):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    account = _verified_account(amelia)
    appointment = _book(amelia, next_weekday(1, weeks=2))
    payment_record(actor=None, appointment=appointment, kind="deposit", method="card", amount="60")
    with django_capture_on_commit_callbacks(execute=True):
        services.client_appointment_cancel(account=account, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert list(Payment.objects.filter(appointment=appointment).values_list("kind", "amount")) == [
        ("deposit", Decimal("60.00")),
        ("refund", Decimal("60.00")),
    ]
    assert Message.objects.filter(appointment=appointment, kind="cancellation").exists()


def test_a_refund_cannot_exceed_what_was_paid(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    appointment = _book(amelia, next_weekday(1, weeks=2))
    payment_record(actor=None, appointment=appointment, kind="payment", method="cash", amount="100")
    with pytest.raises(RuleRefused):
        payment_record(
            actor=None, appointment=appointment, kind="refund", method="cash", amount="100.01"
        )


# --- pages -----------------------------------------------------------------------------------


def test_account_pages_show_only_the_clients_own_appointments(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    olivia = Client.objects.get(email="olivia.brennan@example.com")
    _verified_account(amelia)
    theirs = _book(olivia, next_weekday(1, weeks=2))
    browser = Browser()
    assert (
        browser.post("/account/login/", {"email": amelia.email, "password": PASSWORD}).status_code
        == 302
    )
    assert browser.get("/account/").status_code == 200
    assert browser.get(f"/account/appointments/{theirs.pk}/move/").status_code == 404
    assert browser.post(f"/account/appointments/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED


def test_staff_cannot_use_the_client_account_and_clients_cannot_use_staff_pages(demo):
    staff = Browser()
    assert staff.login(username="reception", password="mesoclinic-demo")
    assert staff.get("/account/").status_code == 403
    amelia = Client.objects.get(email="amelia.hart@example.com")
    _verified_account(amelia)
    client = Browser()
    client.post("/account/login/", {"email": amelia.email, "password": PASSWORD})
    assert client.get("/clients/").status_code == 403


def test_visitors_are_sent_to_the_client_login(demo):
    response = Browser().get("/account/")
    assert response["Location"] == "/account/login/?next=/account/"


def test_a_client_downloads_their_data_as_json_and_pdf(demo):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    _verified_account(amelia)
    _book(amelia, next_weekday(1, weeks=2))
    browser = Browser()
    browser.post("/account/login/", {"email": amelia.email, "password": PASSWORD})
    data = json.loads(browser.get("/account/my-data.json").content)
    assert data["client"]["email"] == amelia.email
    assert len(data["appointments"]) >= 1
    pdf = browser.get("/account/my-data.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_a_client_signs_the_consent_form_for_a_booked_treatment(demo):
    from mesoclinic.safety.models import SignedConsent

    amelia = Client.objects.get(email="amelia.hart@example.com")
    _verified_account(amelia)
    _book(amelia, next_weekday(1, weeks=2))
    browser = Browser()
    browser.post("/account/login/", {"email": amelia.email, "password": PASSWORD})
    assert browser.get("/account/consent/face-revitalise/").status_code == 200
    response = browser.post(
        "/account/consent/face-revitalise/", {"signed_name": "Amelia Hart", "accepted": "on"}
    )
    assert response.status_code == 302
    assert (
        SignedConsent.objects.filter(client=amelia, treatment__code="face-revitalise").count() >= 1
    )
    assert browser.get("/account/consent/mesotox/").status_code == 404


def test_todays_slots_start_after_the_lead_time_and_still_fill_the_page(demo, monkeypatch):
    # given: 10:00 on a working day; online bookings start two hours from now
    day = next_weekday(1)
    site = Site.objects.get(code="london")
    now = dt.datetime.combine(day, dt.time(10, 0), tzinfo=site.tzinfo)
    monkeypatch.setattr(clock, "now", lambda: now)
    from mesoclinic.catalogue.models import Treatment

    # when: a short page of the day's slots
    slots = booking.find_slots(
        treatment=Treatment.objects.get(code="face-revitalise"), site=site, day=day, limit=3
    )
    # then: the page is full, and nothing on it starts before 12:00
    assert len(slots) == 3
    assert min(slot.start for slot in slots) >= now + booking.LEAD_TIME
