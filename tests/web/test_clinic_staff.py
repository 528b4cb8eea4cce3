"""An owner manages staff accounts, practitioners' credentials, working hours and absences
in the settings: administrators only, clear refusals, nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from tests.records.factories import book
from tests.web.staff import staff_login

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Absence, Practitioner, Site, WorkingHours
from mesoclinic.people.roles import staff_member

User = get_user_model()

PAGES = [
    "/settings/staff/",
    "/settings/staff/new/",
    "/settings/practitioners/nurse-lewis/",
    "/settings/practitioners/nurse-lewis/hours/",
    "/settings/practitioners/nurse-lewis/absences/",
]


@pytest.fixture
def owner(demo):
    return staff_login("admin")


def _account_page(username: str) -> str:
    return f"/settings/staff/{User.objects.get(username=username).pk}/"


def _next(weekday: int) -> dt.date:
    day = clock.today() + dt.timedelta(days=14)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
@pytest.mark.parametrize("url", PAGES)
def test_staff_settings_are_for_administrators_only(demo, username, url):
    assert staff_login(username).get(url).status_code == 403
    assert staff_login(username).post(url, {}).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_sent_to_login(demo, url):
    response = HttpClient().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_settings_index_links_to_staff(owner):
    assert 'href="/settings/staff/"' in owner.get("/settings/").content.decode()


def test_the_list_shows_accounts_roles_and_practitioner_links(owner):
    page = owner.get("/settings/staff/").content.decode()
    assert "reception" in page
    assert 'href="/settings/practitioners/dr-patel/"' in page
    assert "Administrator" in page


def test_the_list_searches(owner):
    page = owner.get("/settings/staff/", {"q": "okafor"}).content.decode()
    assert "nurse-okafor" in page
    assert "nurse-lewis" not in page.split("Practitioners</h2>")[0]


def test_the_owner_opens_a_reception_account_and_sees_the_password_once(owner):
    # when
    response = owner.post(
        "/settings/staff/new/",
        {
            "username": "desk-2",
            "given_name": "Sam",
            "family_name": "Reed",
            "email": "sam@example.com",
            "roles": ["reception"],
        },
    )

    # then
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    password = response.context["password"]
    assert password in response.content.decode()
    newcomer = HttpClient()
    assert newcomer.login(username="desk-2", password=password)
    assert newcomer.get("/clients/").status_code == 200
    assert newcomer.get("/settings/").status_code == 403
    assert password not in owner.get(_account_page("desk-2")).content.decode()


def test_a_practitioner_account_without_a_record_is_refused_with_a_message(owner):
    response = owner.post(
        "/settings/staff/new/",
        {"username": "nurse-x", "given_name": "A", "family_name": "B", "roles": ["practitioner"]},
    )
    assert response.status_code == 400
    assert "Choose the practitioner record" in response.content.decode()
    assert not User.objects.filter(username="nurse-x").exists()


def test_a_taken_username_is_refused_next_to_the_field(owner):
    response = owner.post(
        "/settings/staff/new/",
        {"username": "Reception", "given_name": "A", "family_name": "B", "roles": ["reception"]},
    )
    assert response.status_code == 409
    assert "is taken" in response.content.decode()


def test_the_owner_makes_reception_an_admin(owner):
    response = owner.post(
        _account_page("reception"),
        {
            "given_name": "Front",
            "family_name": "Desk",
            "email": "",
            "roles": ["reception", "admin"],
        },
    )
    assert response.status_code == 302
    assert staff_member(User.objects.get(username="reception")).is_admin


def test_the_last_admin_cannot_demote_themself(owner):
    response = owner.post(
        _account_page("admin"),
        {"given_name": "Clinic", "family_name": "Owner", "email": "", "roles": ["reception"]},
    )
    assert response.status_code == 422
    assert "only active administrator" in response.content.decode()
    assert staff_member(User.objects.get(username="admin")).is_admin


def test_deactivating_asks_first_then_stops_the_account(owner):
    url = _account_page("reception") + "active/"
    confirm = owner.get(url)
    assert confirm.status_code == 200
    assert "Deactivate reception?" in confirm.content.decode()
    assert User.objects.get(username="reception").is_active

    assert owner.post(url).status_code == 302

    assert not User.objects.get(username="reception").is_active
    assert not HttpClient().login(username="reception", password="mesoclinic-demo")
    assert User.objects.filter(username="reception").exists()  # never deleted


def test_the_owner_cannot_deactivate_their_own_account(owner):
    response = owner.post(_account_page("admin") + "active/")
    assert response.status_code == 422
    assert User.objects.get(username="admin").is_active


def test_a_new_temporary_password(owner):
    response = owner.post(_account_page("reception"), {"new_password": "1"})
    password = response.context["password"]
    assert HttpClient().login(username="reception", password=password)
    assert AuditEntry.objects.filter(action="staff.password_reset").count() == 1


def test_the_owner_records_a_prescribing_qualification(owner):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    page = owner.get("/settings/practitioners/nurse-lewis/").content.decode()
    assert 'value="15B7890E"' in page
    data = {
        "given_name": "Megan",
        "family_name": "Lewis",
        "profession": "nurse",
        "registration_body": "NMC",
        "registration_number": "15B7890E",
        "registration_expires_on": lewis.registration_expires_on.isoformat(),
        "prescriber_qualification": "Nurse independent prescriber (V300)",
        "prescriber_expires_on": "",
        "active": "on",
        "sites": [str(Site.objects.get(code="london").pk)],
    }
    refused = owner.post("/settings/practitioners/nurse-lewis/", data)
    assert refused.status_code == 400
    assert "prescribing qualification expires" in refused.content.decode()
    assert not Practitioner.objects.get(pk=lewis.pk).is_prescriber

    data["prescriber_expires_on"] = (clock.today() + dt.timedelta(days=400)).isoformat()
    assert owner.post("/settings/practitioners/nurse-lewis/", data).status_code == 302
    assert Practitioner.objects.get(pk=lewis.pk).prescriber_current_on(clock.today())


def test_the_owner_sets_working_hours(owner):
    form = {"site": "london"}
    for weekday in range(5):
        form |= {f"works_{weekday}": "on", f"starts_{weekday}": "10:00", f"ends_{weekday}": "16:00"}
    response = owner.post("/settings/practitioners/nurse-lewis/hours/", form)
    assert response.status_code == 302
    hours = WorkingHours.objects.filter(practitioner__code="nurse-lewis")
    assert sorted(hours.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    assert {(row.starts, row.ends) for row in hours} == {(dt.time(10), dt.time(16))}


def test_working_hours_that_end_before_they_start_save_nothing(owner):
    before = list(WorkingHours.objects.filter(practitioner__code="nurse-lewis").values())
    response = owner.post(
        "/settings/practitioners/nurse-lewis/hours/",
        {"site": "london", "works_0": "on", "starts_0": "17:00", "ends_0": "09:00"},
    )
    assert response.status_code == 400
    assert "must end after it starts" in response.content.decode()
    assert list(WorkingHours.objects.filter(practitioner__code="nurse-lewis").values()) == before


def test_an_absence_whose_last_day_is_before_its_first_is_refused(owner):
    day = _next(1)
    response = owner.post(
        "/settings/practitioners/nurse-lewis/absences/",
        {"first_day": day.isoformat(), "last_day": (day - dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400
    assert "on or after the first day" in response.content.decode()
    assert not Absence.objects.filter(practitioner__code="nurse-lewis").exists()


def test_an_absence_over_bookings_lists_them_first(owner):
    # given: Amelia is booked with Nurse Lewis that Tuesday
    day = _next(1)
    london = Site.objects.get(code="london").tzinfo
    book(
        practitioner="nurse-lewis",
        at=dt.datetime.combine(day, dt.time(11), tzinfo=london),
    )
    form = {"first_day": day.isoformat(), "last_day": day.isoformat(), "reason": "Training"}

    # when: the owner enters the absence
    warned = owner.post("/settings/practitioners/nurse-lewis/absences/", form)

    # then: nothing recorded yet; the booking is listed
    assert warned.status_code == 200
    page = warned.content.decode()
    assert "1 booked appointment falls in this absence" in page
    assert "Amelia Hart" in page
    assert not Absence.objects.filter(practitioner__code="nurse-lewis").exists()

    # when: confirmed for the same dates
    done = owner.post(
        "/settings/practitioners/nurse-lewis/absences/",
        form | {"confirm": warned.context["confirm"]},
    )

    # then: recorded, the booking kept, the re-plan page next
    absence = Absence.objects.get(practitioner__code="nurse-lewis")
    assert done["Location"] == f"/absences/{absence.pk}/replan/"
    assert absence.reason == "Training"


def test_an_overlapping_absence_is_refused(owner):
    day = _next(1)
    url = "/settings/practitioners/nurse-lewis/absences/"
    owner.post(url, {"first_day": day.isoformat(), "last_day": day.isoformat()})
    response = owner.post(
        url,
        {
            "first_day": (day - dt.timedelta(days=1)).isoformat(),
            "last_day": (day + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 409
    assert "already away" in response.content.decode()
    assert Absence.objects.filter(practitioner__code="nurse-lewis").count() == 1


def test_removing_an_absence_asks_first(owner):
    day = _next(1)
    url = "/settings/practitioners/nurse-lewis/absences/"
    owner.post(url, {"first_day": day.isoformat(), "last_day": day.isoformat()})
    absence = Absence.objects.get(practitioner__code="nurse-lewis")

    confirm = owner.get(url, {"remove": absence.pk}).content.decode()
    assert "Remove the absence" in confirm
    assert Absence.objects.filter(pk=absence.pk).exists()

    owner.post(url, {"remove": absence.pk})
    assert not Absence.objects.filter(pk=absence.pk).exists()


def test_a_staff_member_changes_their_own_password(demo):
    browser = staff_login("reception")
    new = "a-Longer-pass-phrase-41"

    wrong = browser.post(
        "/password/",
        {"old_password": "not-it", "new_password1": new, "new_password2": new},
    )
    assert wrong.status_code == 400
    assert "incorrectly" in wrong.content.decode()

    done = browser.post(
        "/password/",
        {"old_password": "mesoclinic-demo", "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302
    assert browser.get("/clients/").status_code == 200  # still signed in
    assert HttpClient().login(username="reception", password=new)
    assert not HttpClient().login(username="reception", password="mesoclinic-demo")
    assert AuditEntry.objects.filter(action="staff.password_change").count() == 1


def test_anonymous_users_cannot_change_a_password(demo):
    assert HttpClient().get("/password/").status_code == 302
