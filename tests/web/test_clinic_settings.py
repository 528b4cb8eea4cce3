"""An owner sets the clinic up without Django admin: a new room, a price, a consent
version, opening hours, closed days, the lounge and devices; availability follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from tests.web.staff import staff_login

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import ClosedDay, Device, OpeningHours, Room, Site
from mesoclinic.safety.models import ConsentForm
from mesoclinic.scheduling.selectors import availability_for


@pytest.fixture
def owner(demo):
    return staff_login("admin")


def _next(weekday: int) -> dt.date:
    day = clock.today() + dt.timedelta(days=7)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _rooms_used(day: dt.date) -> set[str]:
    treatment = Treatment.objects.get(code="no-needle-infusion")
    return {
        slot.room
        for slot in availability_for(treatment=treatment, date_from=day, date_to=day, limit=None)
    }


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_settings_are_for_administrators_only(demo, username):
    assert staff_login(username).get("/settings/").status_code == 403


def test_the_owner_opens_a_new_room_and_availability_offers_it(owner):
    day = _next(1)
    owner.post("/settings/rooms/", {"add_room": "1", "name": "Room 4"})

    room = Room.objects.get(name="Room 4")
    assert room.site.code == "london"
    assert room.active
    Room.objects.exclude(pk=room.pk).update(active=False)  # the others busy with builders
    assert _rooms_used(day) == {room.code}
    assert AuditEntry.objects.filter(action="room.add").exists()
    # out of use: no longer offered
    owner.post("/settings/rooms/", {"toggle_room": room.pk})
    room.refresh_from_db()
    assert not room.active
    assert room.code not in _rooms_used(day)


def test_a_room_name_is_required_and_nothing_is_saved_without_it(owner):
    before = Room.objects.count()
    response = owner.post("/settings/rooms/", {"add_room": "1", "name": "  "})
    assert response.status_code == 400
    assert Room.objects.count() == before


def test_the_owner_adds_a_device(owner):
    owner.post(
        "/settings/rooms/",
        {"add_device": "1", "name": "Second Vital", "device_type": "vital-injector"},
    )
    assert Device.objects.get(name="Second Vital").device_type == "vital-injector"


def test_the_owner_changes_a_price_and_the_public_page_shows_it(owner):
    treatment = Treatment.objects.get(code="face-revitalise")
    page = owner.get("/settings/treatments/face-revitalise/").content.decode()
    assert 'value="300.00"' in page
    data = {
        "name": treatment.name,
        "description": treatment.description,
        "what_to_expect": treatment.what_to_expect,
        "aftercare": treatment.aftercare,
        "treatment_minutes": treatment.treatment_minutes,
        "numbing_minutes": treatment.numbing_minutes,
        "price": "320.00",
        "bookable_online": "on",
        "active": "on",
    }

    response = owner.post("/settings/treatments/face-revitalise/", data)

    treatment.refresh_from_db()
    assert response.status_code == 302
    assert treatment.price == Decimal("320.00")
    entry = AuditEntry.objects.get(action="treatment.update")
    assert entry.data["changes"]["price"] == {"from": "300.00", "to": "320.00"}
    assert b"\xc2\xa3320 a session" in HttpClient().get("/book/").content


def test_a_visit_longer_than_twelve_hours_is_refused(owner):
    treatment = Treatment.objects.get(code="face-revitalise")
    response = owner.post(
        "/settings/treatments/face-revitalise/",
        {
            "name": treatment.name,
            "treatment_minutes": 700,
            "numbing_minutes": 60,
            "price": "300",
        },
    )
    treatment.refresh_from_db()
    assert response.status_code == 400
    assert treatment.treatment_minutes != 700


def test_the_owner_publishes_a_consent_version_and_signed_ones_keep_their_text(owner):
    treatment = Treatment.objects.get(code="face-revitalise")
    before = ConsentForm.objects.filter(treatment=treatment).count()

    response = owner.post(
        "/settings/consent-forms/face-revitalise/",
        {"title": "Consent to face revitalise", "body": "New wording the client reads."},
    )

    assert response.status_code == 302
    forms = ConsentForm.objects.filter(treatment=treatment).order_by("version")
    assert forms.count() == before + 1
    assert forms.last().body == "New wording the client reads."
    assert AuditEntry.objects.filter(action="consent_form.publish").exists()


def test_opening_hours_closed_days_and_the_lounge(owner):
    site = Site.objects.get(code="london")
    form = {"save_hours": "1", "numbing_lounge_capacity": "4"}
    for weekday in range(5):  # Monday to Friday, 10:00-16:00; the weekend closed
        form |= {f"open_{weekday}": "on", f"opens_{weekday}": "10:00", f"closes_{weekday}": "16:00"}

    assert owner.post("/settings/hours/", form).status_code == 302

    site.refresh_from_db()
    assert site.numbing_lounge_capacity == 4
    assert set(OpeningHours.objects.filter(site=site).values_list("weekday", flat=True)) == set(
        range(5)
    )
    assert _rooms_used(_next(5)) == set()  # Saturday now closed
    # a closed day
    tuesday = _next(1)
    owner.post(
        "/settings/hours/", {"add_closed": "1", "date": tuesday.isoformat(), "reason": "Training"}
    )
    assert _rooms_used(tuesday) == set()
    closed = ClosedDay.objects.get(site=site, date=tuesday)
    owner.post("/settings/hours/", {"reopen": closed.pk})
    assert _rooms_used(tuesday)


def test_opening_hours_need_both_times_for_an_open_day(owner):
    response = owner.post(
        "/settings/hours/",
        {"save_hours": "1", "numbing_lounge_capacity": "3", "open_0": "on", "opens_0": "09:00"},
    )
    assert response.status_code == 400
    assert b"Give Monday&#x27;s opening and closing times." in response.content
