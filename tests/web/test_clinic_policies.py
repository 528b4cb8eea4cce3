"""An owner changes the clinic's policies in the app: the notice period, the deposit, the
reminders, the questionnaire's validity and cooling-off. Bad values save nothing."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from tests.web.staff import staff_login

from mesoclinic.billing.policy import cancellation_policy
from mesoclinic.catalogue.models import Treatment
from mesoclinic.catalogue.pricing import course_packages, course_quote
from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging.services import reminder_hours
from mesoclinic.people import policy
from mesoclinic.people.models import PolicySetting
from mesoclinic.safety.policy import questionnaire_valid_days, screening_config


def _form(**changes: str) -> dict[str, str]:
    """The policy form as the page fills it in, with ``changes``."""
    values = {
        "cancellation_notice_hours": "48",
        "deposit_percent": "20",
        "forfeit_deposit": "on",
        "reminder_hours": "48, 24",
        "preparation_hours": "72",
        "questionnaire_valid_days": "180",
        "cooling_off_hours": "0",
        "first_toxin_cooling_off_hours": "24",
        "course_packages": "6 sessions or more: 10% off\n10 sessions or more: 15% off",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value != "off"}


@pytest.fixture
def owner(demo):
    return staff_login("admin")


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_policies_are_for_administrators_only(demo, username):
    assert staff_login(username).get("/settings/policies/").status_code == 403


def test_the_page_shows_the_clinic_defaults(owner):
    page = owner.get("/settings/policies/").content.decode()
    assert 'value="48, 24"' in page
    assert 'value="180"' in page


def test_the_owner_changes_notice_deposit_and_reminders_and_they_apply_at_once(owner):
    # when
    response = owner.post(
        "/settings/policies/",
        _form(
            cancellation_notice_hours="24",
            deposit_percent="25",
            forfeit_deposit="off",
            reminder_hours="24,72",
            questionnaire_valid_days="90",
            first_toxin_cooling_off_hours="48",
        ),
    )

    # then
    assert response.status_code == 302
    terms = cancellation_policy()
    assert (terms.notice_hours, terms.deposit_percent, terms.forfeit_deposit) == (
        24,
        Decimal("25"),
        False,
    )
    assert reminder_hours() == (72, 24)
    assert questionnaire_valid_days() == 90
    assert screening_config().first_toxin_cooling_off_hours == 48
    assert "a deposit of 25% of the price" in staff_login("admin").get("/book/").content.decode()
    entry = AuditEntry.objects.get(action="policy.change")
    assert entry.data["DEPOSIT_PERCENT"] == {"from": "20", "to": "25"}
    assert set(entry.data) == {
        "CANCELLATION_NOTICE_HOURS",
        "DEPOSIT_PERCENT",
        "FORFEIT_DEPOSIT",
        "REMINDER_HOURS",
        "QUESTIONNAIRE_VALID_DAYS",
        "FIRST_TOXIN_COOLING_OFF_HOURS",
    }


def test_other_processes_read_the_saved_value_once_their_copy_expires(owner):
    owner.post("/settings/policies/", _form(deposit_percent="30"))
    assert cancellation_policy().deposit_percent == Decimal("30")
    PolicySetting.objects.filter(key="DEPOSIT_PERCENT").update(value="35")  # another server
    assert cancellation_policy().deposit_percent == Decimal("30")  # this process's copy
    policy.clear_cache()  # what CACHE_SECONDS does
    assert cancellation_policy().deposit_percent == Decimal("35")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deposit_percent", "150", "between 0 and 100"),
        ("deposit_percent", "NaN", "between 0 and 100"),
        ("reminder_hours", "24, soon", "whole number"),
        ("reminder_hours", "", "This field is required"),
        ("cancellation_notice_hours", "-1", "between 0 and 336"),
        ("questionnaire_valid_days", "0", "between 1 and 730"),
        ("course_packages", "six sessions: ten percent", "write each as"),
        ("course_packages", "4 sessions or more: 100% off", "between 0 and 100%"),
    ],
)
def test_a_bad_value_is_explained_and_nothing_is_saved(owner, field, value, message):
    # when: a good change beside a bad one
    response = owner.post("/settings/policies/", _form(**{"preparation_hours": "12", field: value}))

    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PolicySetting.objects.exists()
    assert cancellation_policy().notice_hours == 48
    assert policy.policy_value("PREPARATION_HOURS") == 72


class _FormValues(HTMLParser):
    """The values a browser would submit for the page's form, as the page shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name") or ""
        if tag == "input" and name and attributes.get("type") != "checkbox":
            self.values[name] = attributes.get("value") or ""
        elif tag == "input" and name and "checked" in attributes:
            self.values[name] = "on"
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += (
                data.removeprefix("\n") if not self.values[self._textarea] else data
            )


def test_saving_the_page_as_shown_changes_nothing(owner):
    shown = _FormValues()
    shown.feed(owner.get("/settings/policies/").content.decode())
    assert "6 sessions or more: 10% off" in shown.values["course_packages"]

    response = owner.post("/settings/policies/", shown.values, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert not PolicySetting.objects.exists()
    assert not AuditEntry.objects.filter(action="policy.change").exists()


def test_course_packages_price_every_course_the_same_way(owner):
    # given the demo's ten-session course at £300 a session (15% off today: £2,550)
    treatment = Treatment.objects.get(code="face-revitalise")
    assert course_price(treatment, 10) == Decimal("2550.00")

    # when
    owner.post(
        "/settings/policies/",
        _form(course_packages="4 sessions or more: 5% off\n8 sessions or more: 20% off"),
    )

    # then: the planner, the quote and the public page use the new packages
    assert course_price(treatment, 10) == Decimal("2400.00")
    assert course_price(treatment, 5) == Decimal("1425.00")
    assert course_price(treatment, 3) == Decimal("900.00")
    assert "8 sessions or more: 20% off" in owner.get("/settings/policies/").content.decode()


def test_no_packages_means_no_course_discount(owner):
    owner.post("/settings/policies/", _form(course_packages=""))
    treatment = Treatment.objects.get(code="face-revitalise")
    assert course_price(treatment, 10) == Decimal("3000.00")


def course_price(treatment: Treatment, sessions: int) -> Decimal:
    return course_quote(
        sessions=sessions, session_price=treatment.price, packages=course_packages()
    ).total
