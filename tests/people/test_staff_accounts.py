"""Staff accounts, practitioners' credentials, working hours and absences, changed by an
administrator through the services: roles, the last administrator, validation, audit, and
availability following at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from tests.records.factories import book

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.core.models import AuditEntry
from mesoclinic.people import practitioner_services, staff_services
from mesoclinic.people.models import Absence, Practitioner, Role, Site, WorkingHours
from mesoclinic.people.roles import staff_member
from mesoclinic.safety.qualification import qualified_practitioners
from mesoclinic.scheduling import services as scheduling_services
from mesoclinic.scheduling.selectors import availability_for

User = get_user_model()


@pytest.fixture
def admin(demo):
    return User.objects.get(username="admin")


def _next(weekday: int) -> dt.date:
    day = clock.today() + dt.timedelta(days=14)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _times(practitioner: str, day: dt.date, treatment: str = "no-needle-infusion") -> list:
    return availability_for(
        treatment=Treatment.objects.get(code=treatment),
        date_from=day,
        date_to=day,
        practitioner=Practitioner.objects.get(code=practitioner),
        limit=None,
    )


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    london = Site.objects.get(code="london").tzinfo
    start = dt.datetime.combine(day, dt.time(), tzinfo=london)
    return start, start + dt.timedelta(days=1)


# --- Accounts and roles --------------------------------------------------------------------


def test_an_admin_opens_a_reception_account_with_a_temporary_password(admin):
    # when
    user, password = staff_services.staff_account_create(
        actor=admin,
        username="front-desk-2",
        given_name=" Sam ",
        family_name="Reed",
        email="Sam.Reed@Example.com",
        roles=["reception"],
    )

    # then
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Sam", "Reed", "sam.reed@example.com")
    assert user.password.startswith("argon2")
    assert user.check_password(password)
    assert staff_member(user).roles == frozenset({Role.RECEPTION})
    assert not user.is_staff
    entry = AuditEntry.objects.get(action="staff.create")
    assert entry.data["roles"] == ["reception"]
    assert password not in str(entry.data) + entry.summary


def test_a_practitioner_account_gets_a_new_practitioner_record(admin):
    user, _ = staff_services.staff_account_create(
        actor=admin,
        username="nurse-jones",
        given_name="Ffion",
        family_name="Jones",
        roles=["practitioner", "reception"],
        new_practitioner_profession="nurse",
    )

    practitioner = Practitioner.objects.get(user=user)
    assert (practitioner.code, practitioner.profession) == ("ffion-jones", "nurse")
    assert staff_member(user).roles == frozenset({Role.PRACTITIONER, Role.RECEPTION})


def test_the_practitioner_role_needs_a_record_not_another_accounts(admin):
    with pytest.raises(InvalidInput) as missing:
        staff_services.staff_account_create(
            actor=admin, username="x1", given_name="A", family_name="B", roles=["practitioner"]
        )
    assert missing.value.details["field"] == "practitioner"
    with pytest.raises(Conflict) as taken:
        staff_services.staff_account_create(
            actor=admin,
            username="x2",
            given_name="A",
            family_name="B",
            roles=["practitioner"],
            practitioner=Practitioner.objects.get(code="dr-patel"),
        )
    assert taken.value.code == "practitioner_taken"
    assert not User.objects.filter(username__in=["x1", "x2"]).exists()


@pytest.mark.parametrize(
    ("username", "roles", "code"),
    [
        ("reception", ["reception"], "username_taken"),
        ("RECEPTION", ["reception"], "username_taken"),
        ("has space", ["reception"], "invalid_input"),
        ("new-one", [], "invalid_role"),
        ("new-one", ["owner"], "invalid_role"),
    ],
)
def test_a_bad_username_or_role_opens_nothing(admin, username, roles, code):
    before = User.objects.count()
    with pytest.raises((InvalidInput, Conflict)) as refused:
        staff_services.staff_account_create(
            actor=admin, username=username, given_name="A", family_name="B", roles=roles
        )
    assert refused.value.code == code
    assert User.objects.count() == before


def test_changing_roles_takes_effect_and_is_audited_once(admin):
    reception = User.objects.get(username="reception")

    changed = staff_services.staff_account_update(
        actor=admin,
        user=reception,
        given_name="Front",
        family_name="Desk",
        email="",
        roles=["reception", "admin"],
    )

    assert changed == ["first_name", "last_name", "roles"]
    fresh = User.objects.get(username="reception")
    assert staff_member(fresh).roles == frozenset({Role.ADMIN, Role.RECEPTION})
    entries = AuditEntry.objects.filter(action="staff.update")
    assert [entry.data["roles"] for entry in entries] == [
        {"from": ["reception"], "to": ["admin", "reception"]}
    ]


def test_dropping_the_practitioner_role_keeps_the_record(admin):
    lewis = User.objects.get(username="nurse-lewis")
    staff_services.staff_account_update(
        actor=admin,
        user=lewis,
        given_name="Megan",
        family_name="Lewis",
        email="",
        roles=["reception"],
    )
    record = Practitioner.objects.get(code="nurse-lewis")
    assert record.user_id is None
    assert record.active
    assert staff_member(User.objects.get(pk=lewis.pk)).roles == frozenset({Role.RECEPTION})


def test_the_last_admin_cannot_be_demoted_or_deactivated(admin):
    # given: admin is the only administrator of the demo
    reception = User.objects.get(username="reception")

    # when / then
    with pytest.raises(RuleRefused) as demoted:
        staff_services.staff_account_update(
            actor=reception,
            user=admin,
            given_name="Clinic",
            family_name="Admin",
            email="",
            roles=["reception"],
        )
    assert (demoted.value.code, demoted.value.status) == ("last_admin", 422)
    with pytest.raises(RuleRefused) as deactivated:
        staff_services.staff_account_set_active(actor=reception, user=admin, active=False)
    assert deactivated.value.code == "last_admin"
    admin.refresh_from_db()
    assert admin.is_active
    assert staff_member(User.objects.get(pk=admin.pk)).is_admin


def test_with_a_second_admin_the_first_may_go(admin):
    reception = User.objects.get(username="reception")
    staff_services.staff_account_update(
        actor=admin,
        user=reception,
        given_name="R",
        family_name="D",
        email="",
        roles=["reception", "admin"],
    )

    staff_services.staff_account_set_active(actor=reception, user=admin, active=False)

    admin.refresh_from_db()
    assert not admin.is_active
    assert staff_member(admin).roles == frozenset()
    assert AuditEntry.objects.filter(action="staff.deactivate").count() == 1


def test_an_admin_cannot_deactivate_their_own_account(admin):
    with pytest.raises(RuleRefused) as refused:
        staff_services.staff_account_set_active(actor=admin, user=admin, active=False)
    assert refused.value.code == "own_account"


def test_a_new_temporary_password_replaces_the_old_one(admin):
    reception = User.objects.get(username="reception")
    password = staff_services.staff_password_reset(actor=admin, user=reception)
    reception.refresh_from_db()
    assert reception.check_password(password)
    assert not reception.check_password("mesoclinic-demo")


# --- Practitioner credentials ---------------------------------------------------------------


def test_credentials_decide_qualification_at_once(admin):
    # given: Nurse Lewis may give injectables with a current registration
    lewis = Practitioner.objects.get(code="nurse-lewis")
    day = _next(1)
    treatment = Treatment.objects.get(code="face-revitalise")
    assert _times("nurse-lewis", day, "face-revitalise")

    # when: her registration is recorded as expired
    changed = practitioner_services.practitioner_update(
        actor=admin,
        practitioner=lewis,
        registration_expires_on=clock.today() - dt.timedelta(days=1),
    )

    # then
    assert changed == ["registration_expires_on"]
    assert _times("nurse-lewis", day, "face-revitalise") == []
    qualified = qualified_practitioners(
        [Practitioner.objects.get(pk=lewis.pk)], treatment=treatment, date_from=day, date_to=day
    )
    assert qualified == []
    assert AuditEntry.objects.filter(action="practitioner.update").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registration_number": ""}, "registration_number"),
        (
            {"prescriber_qualification": "V300", "prescriber_expires_on": None},
            "prescriber_expires_on",
        ),
        ({"given_name": "  "}, "given_name"),
        ({"profession": "wizard"}, "profession"),
        ({"licence_number": "L-1"}, "licence_expires_on"),
    ],
)
def test_inconsistent_credentials_save_nothing(admin, changes, field):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    with pytest.raises(InvalidInput) as refused:
        practitioner_services.practitioner_update(actor=admin, practitioner=lewis, **changes)
    assert refused.value.details["field"] == field
    assert Practitioner.objects.get(pk=lewis.pk).registration_number == "15B7890E"


def test_a_practitioner_cannot_sign_off_themself(admin):
    patel = Practitioner.objects.get(code="dr-patel")
    with pytest.raises(InvalidInput) as refused:
        practitioner_services.practitioner_update(
            actor=admin, practitioner=patel, sign_off_by=patel
        )
    assert refused.value.details["field"] == "sign_off_by"


# --- Working hours --------------------------------------------------------------------------


def test_new_working_hours_change_availability_at_once(admin):
    # given: Nurse Lewis works Mondays to Fridays
    lewis = Practitioner.objects.get(code="nurse-lewis")
    london = Site.objects.get(code="london")
    tuesday, wednesday = _next(1), _next(2)
    assert _times("nurse-lewis", tuesday)
    entries = AuditEntry.objects.filter(action="practitioner.working_hours")
    before = entries.count()  # the demo's Manchester hours were set through the service too

    # when: Tuesdays off, Wednesdays only the afternoon
    changed = practitioner_services.working_week_set(
        actor=admin,
        practitioner=lewis,
        site=london,
        week={1: None, 2: (dt.time(14), dt.time(18))},
    )

    # then
    assert changed == [1, 2]
    assert _times("nurse-lewis", tuesday) == []
    starts = [
        slot.start.astimezone(london.tzinfo).time() for slot in _times("nurse-lewis", wednesday)
    ]
    assert starts
    assert min(starts) >= dt.time(14)
    assert entries.count() == before + 1


def test_working_hours_end_after_they_start(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    with pytest.raises(InvalidInput) as refused:
        practitioner_services.working_week_set(
            actor=admin,
            practitioner=lewis,
            site=Site.objects.get(code="london"),
            week={0: (dt.time(17), dt.time(9))},
        )
    assert refused.value.details["field"] == "ends_0"


def test_nobody_works_at_two_sites_at_once(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    london = Site.objects.get(code="london")
    other = Site.objects.create(
        organisation=london.organisation, code="leeds", name="Leeds", time_zone="Europe/London"
    )
    with pytest.raises(InvalidInput) as refused:
        practitioner_services.working_week_set(
            actor=admin, practitioner=lewis, site=other, week={0: (dt.time(12), dt.time(20))}
        )
    assert refused.value.code == "hours_overlap"
    assert not WorkingHours.objects.filter(site=other).exists()


# --- Absences -------------------------------------------------------------------------------


def test_an_absence_empties_the_day_at_once(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    day = _next(1)
    assert _times("nurse-lewis", day)
    starts, ends = _day_bounds(day)

    scheduling_services.absence_add(
        actor=admin, practitioner=lewis, starts_at=starts, ends_at=ends, reason="Training"
    )

    assert _times("nurse-lewis", day) == []
    assert _times("nurse-lewis", day + dt.timedelta(days=1))


def test_absences_do_not_overlap(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    starts, ends = _day_bounds(_next(1))
    scheduling_services.absence_add(actor=admin, practitioner=lewis, starts_at=starts, ends_at=ends)

    with pytest.raises(Conflict) as refused:
        scheduling_services.absence_add(
            actor=admin,
            practitioner=lewis,
            starts_at=ends - dt.timedelta(hours=2),
            ends_at=ends + dt.timedelta(days=1),
        )

    assert refused.value.code == "absence_overlap"
    assert Absence.objects.filter(practitioner=lewis).count() == 1


def test_an_absence_ends_after_it_starts(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    starts, _ = _day_bounds(_next(1))
    with pytest.raises(InvalidInput):
        scheduling_services.absence_add(
            actor=admin, practitioner=lewis, starts_at=starts, ends_at=starts
        )


def test_removing_an_absence_offers_the_time_again(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    day = _next(1)
    starts, ends = _day_bounds(day)
    absence = scheduling_services.absence_add(
        actor=admin, practitioner=lewis, starts_at=starts, ends_at=ends
    )

    scheduling_services.absence_remove(actor=admin, absence=absence)

    assert _times("nurse-lewis", day)
    assert AuditEntry.objects.filter(action="absence.remove").count() == 1


def test_an_absence_over_bookings_leaves_them_booked(admin):
    lewis = Practitioner.objects.get(code="nurse-lewis")
    day = _next(1)
    starts, ends = _day_bounds(day)
    appointment = book(practitioner="nurse-lewis", at=starts + dt.timedelta(hours=11))

    scheduling_services.absence_add(actor=admin, practitioner=lewis, starts_at=starts, ends_at=ends)

    appointment.refresh_from_db()
    assert appointment.status == "booked"
