"""Who may do what (api-contract.md): the exploits testers found, each refused, and the
roles module's own answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from tests.records.factories import book, clear_screening, receive, record_body

from mesoclinic.core import clock
from mesoclinic.people.models import Absence, Client, Practitioner, Role
from mesoclinic.people.roles import Access, has_access, staff_member
from mesoclinic.people.services import api_token_create, api_token_user, staff_user_ensure
from mesoclinic.records.models import Addendum, TreatmentRecord
from mesoclinic.safety.models import SignedConsent

pytestmark = pytest.mark.django_db


def _code(response) -> str:
    return response.json()["error"]["code"]


def _cid(email: str) -> int:
    return Client.objects.get(email=email).pk


@pytest.fixture
def lewis_session(demo):
    """A face-revitalise session with Nurse Lewis that took place an hour ago."""
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "T-ROLES")
    start = (clock.now() - dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return book(practitioner="nurse-lewis", at=start)


# --- the roles module -----------------------------------------------------------------------


def test_roles_come_from_the_profile_flags_and_the_linked_practitioner(demo):
    users = get_user_model().objects
    assert staff_member(users.get(username="reception")).roles == {Role.RECEPTION}
    assert staff_member(users.get(username="admin")).roles == {Role.ADMIN}
    assert staff_member(users.get(username="dr-patel")).roles == {Role.PRACTITIONER}


def test_an_owner_who_is_also_a_doctor_holds_both_roles(demo):
    # given
    doctor = Practitioner.objects.create(
        code="dr-owner", given_name="Olu", family_name="Owner", profession="doctor"
    )
    # when
    user = staff_user_ensure(
        username="owner",
        password="x" * 16,
        roles=[Role.ADMIN, Role.PRACTITIONER],
        practitioner=doctor,
    )
    # then
    member = staff_member(user)
    assert member.roles == {Role.ADMIN, Role.PRACTITIONER}
    assert (has_access(user, Access.ADMIN), has_access(user, Access.CLINICAL)) == (True, True)


def test_a_deactivated_practitioner_record_takes_the_clinical_role_away(demo):
    Practitioner.objects.filter(code="nurse-lewis").update(active=False)
    user = get_user_model().objects.get(username="nurse-lewis")
    assert has_access(user, Access.CLINICAL) is False


@pytest.mark.parametrize(
    ("username", "roles"),
    [
        ("reception", {Role.RECEPTION}),
        ("admin", {Role.ADMIN}),
        ("dr-patel", {Role.PRACTITIONER}),
    ],
)
def test_a_token_request_reads_its_user_and_roles_in_one_query(
    demo, django_assert_num_queries, username, roles
):
    # given: a token whose last use was just noted (so it is not written again)
    token = api_token_create(username=username)
    api_token_user(token)
    # when / then: the token, its user, staff profile and practitioner in one read
    with django_assert_num_queries(1):
        user = api_token_user(token)
        member = staff_member(user)
    assert member.roles == roles
    practitioner_code = member.practitioner.code if member.practitioner else None
    assert practitioner_code == ("dr-patel" if username == "dr-patel" else None)


def test_a_token_of_a_deactivated_practitioner_record_carries_no_clinical_role(demo):
    token = api_token_create(username="nurse-lewis")
    assert staff_member(api_token_user(token)).roles == {Role.PRACTITIONER}
    Practitioner.objects.filter(code="nurse-lewis").update(active=False)
    assert staff_member(api_token_user(token)).roles == set()


# --- clinical content -------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["reception", "admin"])
def test_reception_and_the_manager_get_no_clinical_content(demo, api_as, username):
    api = api_as(username)
    cid = _cid("olivia.brennan@example.com")
    paths = [
        f"/clients/{cid}/questionnaires",
        f"/clients/{cid}/overrides",
        f"/clients/{cid}/prescriptions",
        f"/clients/{cid}/toxin-history",
        f"/clients/{cid}/consents",
        f"/clients/{cid}/records",
        f"/clients/{cid}/assessments",
    ]
    answers = {path: api.get(path) for path in paths}
    assert {path: (r.status_code, _code(r)) for path, r in answers.items()} == dict.fromkeys(
        paths, (403, "clinical_access_required")
    )
    token = api_token_create(username=username)
    fhir = HttpClient().get(
        f"/fhir/r4/Patient/{cid}/$everything", headers={"Authorization": f"Bearer {token}"}
    )
    assert fhir.status_code == 403


def test_reception_screening_carries_the_outcome_and_a_next_step_only(demo, api_as):
    # given a client on anticoagulants (an override reason)
    body = {"client": _cid("ruby.kowalski@example.com"), "treatment": "face-revitalise"}
    # when
    front_desk = api_as("reception").post("/screenings", body).json()
    clinician = api_as("dr-patel").post("/screenings", body).json()
    # then
    assert front_desk == {
        "outcome": clinician["outcome"],
        "next_step": "A practitioner must review this client before the treatment can go "
        "ahead: book it only after they have.",
        "reasons": [],
        "overridden": [],
    }
    assert clinician["reasons"]


def test_reception_may_not_sign_a_consent_for_a_client(demo, api_as):
    body = {"treatment": "face-revitalise", "signed_name": "Amelia Hart", "accepted": True}
    before = SignedConsent.objects.count()
    response = api_as("reception").post(
        f"/clients/{_cid('amelia.hart@example.com')}/consents", body
    )
    assert (response.status_code, _code(response)) == (403, "practitioner_required")
    assert SignedConsent.objects.count() == before


# --- treatment records ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["therapist-ng", "nurse-okafor", "dr-patel"])
def test_nobody_writes_another_practitioners_record(lewis_session, api_as, username):
    response = api_as(username).post(
        f"/appointments/{lewis_session.pk}/record", record_body(lot="T-ROLES")
    )
    assert (response.status_code, _code(response)) == (403, "not_treating_practitioner")
    assert not TreatmentRecord.objects.filter(appointment=lewis_session).exists()


def test_the_manager_may_not_write_or_sign_a_record_either(lewis_session, api_as):
    response = api_as("admin").post(
        f"/appointments/{lewis_session.pk}/record", record_body(lot="T-ROLES")
    )
    assert (response.status_code, _code(response)) == (403, "clinical_access_required")


def test_the_treating_practitioner_signs_after_the_treatment_started(lewis_session, api_as):
    # given
    lewis = api_as("nurse-lewis")
    record = lewis.post(f"/appointments/{lewis_session.pk}/record", record_body(lot="T-ROLES"))
    # when
    signed = lewis.post(f"/records/{record.json()['id']}/sign")
    # then
    assert (record.status_code, signed.status_code) == (201, 200)
    lewis_session.refresh_from_db()
    assert lewis_session.status == "fulfilled"


def test_a_record_cannot_be_signed_before_the_session(demo, api_as):
    # given a draft prepared for next week's session
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "T-EARLY")
    future = book(practitioner="dr-patel", at=clock.now() + dt.timedelta(days=7))
    patel = api_as("dr-patel")
    draft = patel.post(f"/appointments/{future.pk}/record", record_body(lot="T-EARLY"))
    # when
    signed = patel.post(f"/records/{draft.json()['id']}/sign")
    # then
    assert draft.status_code == 201
    assert (signed.status_code, _code(signed)) == (422, "appointment_not_started")
    assert TreatmentRecord.objects.get(pk=draft.json()["id"]).signed_at is None


def test_an_empty_record_cannot_be_signed(lewis_session, api_as):
    # given a draft with no product and no area
    lewis = api_as("nurse-lewis")
    body = record_body(lot="T-ROLES")
    body["products"], body["areas"] = [], []
    draft = lewis.post(f"/appointments/{lewis_session.pk}/record", body)
    # when
    signed = lewis.post(f"/records/{draft.json()['id']}/sign")
    # then
    assert (signed.status_code, _code(signed)) == (422, "record_incomplete")
    assert signed.json()["error"]["details"]["missing"] == ["products", "areas"]


def test_any_practitioner_adds_an_addendum_in_their_own_name(lewis_session, api_as):
    # given a signed record of Nurse Lewis
    lewis = api_as("nurse-lewis")
    record_id = lewis.post(
        f"/appointments/{lewis_session.pk}/record", record_body(lot="T-ROLES")
    ).json()["id"]
    lewis.post(f"/records/{record_id}/sign")
    # when
    by_doctor = api_as("dr-patel").post(f"/records/{record_id}/addenda", {"text": "Reviewed."})
    by_reception = api_as("reception").post(f"/records/{record_id}/addenda", {"text": "Hi"})
    # then
    assert by_doctor.status_code == 201
    assert Addendum.objects.get(record_id=record_id).author_label == "dr-patel"
    assert (by_reception.status_code, _code(by_reception)) == (403, "clinical_access_required")


# --- absences ---------------------------------------------------------------------------------


def _absence(api, code: str, starts: dt.datetime, hours: int = 8):
    return api.post(
        f"/practitioners/{code}/absences",
        {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=hours)).isoformat(),
        },
    )


def test_absences_are_the_managers_or_the_practitioners_own(demo, api_as):
    starts = clock.now() + dt.timedelta(days=30)
    assert _absence(api_as("admin"), "dr-patel", starts).status_code == 201
    assert _absence(api_as("nurse-lewis"), "nurse-lewis", starts).status_code == 201
    other = _absence(api_as("nurse-lewis"), "dr-patel", starts + dt.timedelta(days=1))
    front = _absence(api_as("reception"), "dr-patel", starts + dt.timedelta(days=2))
    assert (other.status_code, _code(other)) == (403, "not_own_calendar")
    assert (front.status_code, _code(front)) == (403, "not_own_calendar")
    assert Absence.objects.count() == 2


@pytest.mark.parametrize("starts", ["0001-01-01T09:00:00+00:00", "2999-01-01T09:00:00+00:00"])
def test_an_absence_out_of_range_is_a_400(demo, api_as, starts):
    response = _absence(api_as("admin"), "dr-patel", dt.datetime.fromisoformat(starts))
    assert (response.status_code, _code(response)) == (400, "invalid_range")
    assert not Absence.objects.exists()
    assert HttpClient().get("/healthz").status_code == 200


# --- pages ------------------------------------------------------------------------------------


def test_a_refused_page_says_why_in_words(demo):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="reception"))
    response = browser.get(f"/clients/{_cid('amelia.hart@example.com')}/prescriptions/")
    assert response.status_code == 403
    assert "Clinical information is for practitioners only." in response.content.decode()


def test_a_practitioner_sees_the_notes_they_still_owe(lewis_session):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="nurse-lewis"))
    page = browser.get("/").content.decode()
    owed = page.split("Notes to write")[1].split("</section>")[0]
    assert lewis_session.client.full_name in owed
    assert f"/appointments/{lewis_session.pk}/record/" in owed
