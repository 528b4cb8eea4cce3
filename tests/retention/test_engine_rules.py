"""The pure retention rules: periods per record type, children's records, due dates,
and what an erasure request does."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.retention.rules import (
    Action,
    ClientHistory,
    RecordType,
    RetentionPolicy,
    add_years,
    clinical_disposal_date,
    disposal_date,
    disposal_dates,
    erasure_plan,
    is_due,
)

CODE = RetentionPolicy()
ADULT_BIRTH = dt.date(1980, 6, 15)


def history(**changes) -> ClientHistory:
    values = {"birth_date": ADULT_BIRTH, "last_contact": dt.date(2018, 3, 10)}
    return ClientHistory(**(values | changes))


def test_adult_clinical_record_is_kept_8_years_after_the_last_treatment():
    # given an adult last treated on 10 March 2018
    last = dt.date(2018, 3, 10)
    # when / then: due on the 8th anniversary, not a day before
    assert clinical_disposal_date(CODE, birth_date=ADULT_BIRTH, last_clinical=last) == dt.date(
        2026, 3, 10
    )
    file = history(last_clinical=last, last_contact=last)
    assert not is_due(CODE, file, on=dt.date(2026, 3, 9))
    assert is_due(CODE, file, on=dt.date(2026, 3, 10))


def test_a_29_february_treatment_ends_on_1_march_in_a_common_year():
    assert add_years(dt.date(2016, 2, 29), 8) == dt.date(2024, 2, 29)
    assert add_years(dt.date(2016, 2, 29), 9) == dt.date(2025, 3, 1)


def test_treatment_on_the_18th_birthday_follows_the_adult_rule():
    birth = dt.date(2000, 5, 1)
    last = dt.date(2018, 5, 1)
    assert clinical_disposal_date(CODE, birth_date=birth, last_clinical=last) == dt.date(2026, 5, 1)


def test_a_child_treated_at_15_is_kept_until_their_25th_birthday():
    birth = dt.date(2005, 9, 20)
    last = dt.date(2020, 10, 1)  # aged 15: 8 years on is 2028, the 25th birthday is later
    assert clinical_disposal_date(CODE, birth_date=birth, last_clinical=last) == dt.date(
        2030, 9, 20
    )


def test_a_young_person_17_at_the_last_treatment_is_kept_until_their_26th_birthday():
    birth = dt.date(2000, 5, 1)
    last = dt.date(2018, 4, 30)  # the day before the 18th birthday: still 17
    assert clinical_disposal_date(CODE, birth_date=birth, last_clinical=last) == dt.date(2026, 5, 1)
    at_16 = dt.date(2017, 4, 30)
    assert clinical_disposal_date(CODE, birth_date=birth, last_clinical=at_16) == dt.date(
        2025, 5, 1
    )


def test_the_adult_period_wins_when_it_ends_after_the_childrens_birthday():
    # given a longer adult period set by the clinic
    policy = RetentionPolicy(adult_clinical_years=12)
    birth = dt.date(2005, 1, 1)
    last = dt.date(2021, 6, 1)  # aged 16: 25th birthday 2030, 12 years on 2033
    assert clinical_disposal_date(policy, birth_date=birth, last_clinical=last) == dt.date(
        2033, 6, 1
    )


def test_a_client_never_treated_has_no_clinical_date_and_goes_after_the_contact_period():
    file = history(last_contact=dt.date(2024, 1, 31))
    assert disposal_dates(CODE, file) == {
        RecordType.CLINICAL: None,
        RecordType.FINANCIAL: None,
        RecordType.CONTACT: dt.date(2026, 1, 31),
    }
    assert disposal_date(CODE, file) == dt.date(2026, 1, 31)


def test_the_whole_file_waits_for_its_longest_period():
    file = history(
        last_clinical=dt.date(2015, 1, 1),
        last_financial=dt.date(2019, 7, 1),
        last_contact=dt.date(2019, 7, 1),
    )
    assert disposal_date(CODE, file) == dt.date(2025, 7, 1)  # payments: 6 years


def test_policy_from_settings_accepts_upper_case_keys_and_refuses_nonsense():
    assert RetentionPolicy.from_mapping({"ADULT_CLINICAL_YEARS": 10}).adult_clinical_years == 10
    with pytest.raises(ValueError, match="unknown retention setting"):
        RetentionPolicy.from_mapping({"ADULT_YEARS": 10})
    with pytest.raises(ValueError, match="positive whole number"):
        RetentionPolicy.from_mapping({"FINANCIAL_YEARS": 0})


def test_erasure_of_a_client_with_nothing_under_retention_deletes_them():
    plan = erasure_plan(CODE, history(), on=dt.date(2018, 4, 1))
    assert [(d.item, d.action) for d in plan.decisions] == [("client", Action.DELETE)]
    assert plan.deletes_client


def test_erasure_within_clinical_retention_anonymises_and_keeps_the_record_with_its_date():
    file = history(last_clinical=dt.date(2020, 2, 3), last_financial=dt.date(2020, 2, 3))
    plan = erasure_plan(CODE, file, on=dt.date(2024, 1, 1))
    assert [(d.item, d.action, d.until) for d in plan.decisions] == [
        ("contact details", Action.ANONYMISE, None),
        ("portal account", Action.DELETE, None),
        ("messages", Action.DELETE, None),
        ("clinical record", Action.KEEP, dt.date(2028, 2, 3)),
        ("payments", Action.KEEP, dt.date(2026, 2, 3)),
    ]
    assert not plan.deletes_client


def test_erasure_after_clinical_retention_ended_deletes_the_client():
    file = history(last_clinical=dt.date(2010, 2, 3))
    assert erasure_plan(CODE, file, on=dt.date(2018, 2, 3)).deletes_client
    assert not erasure_plan(CODE, file, on=dt.date(2018, 2, 2)).deletes_client


def test_erasure_waits_for_upcoming_appointments():
    plan = erasure_plan(CODE, history(), on=dt.date(2018, 4, 1), upcoming_appointments=2)
    assert plan.blocked == "2 upcoming appointments: cancel them first."
    assert plan.decisions == ()
