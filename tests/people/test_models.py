import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from mesoclinic.people.models import (
    Absence,
    Client,
    OpeningHours,
    Practitioner,
    Site,
    WorkingHours,
)


def _integrity_error(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_opening_hours_must_open_before_closing(demo):
    # given
    site = Site.objects.get(code="london")
    # when / then
    _integrity_error(
        lambda: OpeningHours.objects.create(
            site=site, weekday=6, opens=dt.time(18), closes=dt.time(9)
        )
    )


def test_opening_hours_weekday_is_0_to_6(demo):
    site = Site.objects.get(code="london")
    _integrity_error(
        lambda: OpeningHours.objects.create(
            site=site, weekday=7, opens=dt.time(9), closes=dt.time(10)
        )
    )


def test_working_hours_must_start_before_ending(demo):
    practitioner = Practitioner.objects.get(code="dr-patel")
    site = Site.objects.get(code="london")
    _integrity_error(
        lambda: WorkingHours.objects.create(
            practitioner=practitioner, site=site, weekday=6, starts=dt.time(12), ends=dt.time(12)
        )
    )


def test_absence_must_end_after_it_starts(demo):
    practitioner = Practitioner.objects.get(code="dr-patel")
    moment = dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC)
    _integrity_error(
        lambda: Absence.objects.create(practitioner=practitioner, starts_at=moment, ends_at=moment)
    )


def test_practitioner_code_is_unique(demo):
    _integrity_error(
        lambda: Practitioner.objects.create(
            code="dr-patel", given_name="X", family_name="Y", profession="doctor"
        )
    )


def test_registration_body_needs_a_number(db):
    _integrity_error(
        lambda: Practitioner.objects.create(
            code="dr-x",
            given_name="X",
            family_name="Y",
            profession="doctor",
            registration_body="GMC",
            registration_number="",
        )
    )


def test_prescriber_qualification_needs_an_expiry(db):
    _integrity_error(
        lambda: Practitioner.objects.create(
            code="dr-x",
            given_name="X",
            family_name="Y",
            profession="doctor",
            prescriber_qualification="Independent prescriber",
            prescriber_expires_on=None,
        )
    )


@pytest.mark.parametrize(
    ("birth_date", "on", "age"),
    [
        (dt.date(2008, 11, 25), dt.date(2026, 11, 25), 18),
        (dt.date(2008, 11, 26), dt.date(2026, 11, 25), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 2, 28), 17),
        (dt.date(2008, 2, 29), dt.date(2026, 3, 1), 18),
    ],
)
def test_client_age_counts_whole_years(birth_date, on, age):
    assert Client(birth_date=birth_date).age_on(on) == age


def test_prescriber_is_current_on_its_expiry_day():
    practitioner = Practitioner(
        prescriber_qualification="V300", prescriber_expires_on=dt.date(2027, 1, 31)
    )
    assert practitioner.prescriber_current_on(dt.date(2027, 1, 31)) is True
    assert practitioner.prescriber_current_on(dt.date(2027, 2, 1)) is False
