"""Note privacy (who reads treatment notes, by the clinic's setting) and supervision (a
supervisor signs off a supervisee's signed records: queue, approve, return, bulk)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from tests.records.factories import book, clear_screening, move_clock_past, receive, record_body

from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import NotesReaders, Organisation, Practitioner
from mesoclinic.people.services import api_token_create
from mesoclinic.records.models import SignOff, SignOffStatus


@pytest.fixture
def lewis_session(demo, monkeypatch):
    """A face-revitalise session of nurse Lewis, over, with a fresh batch in stock."""
    clear_screening(treatment="face-revitalise")
    receive("revitalise-cocktail", "T-REV-FRESH")
    appointment = book(practitioner="nurse-lewis")
    move_clock_past(monkeypatch, appointment)
    return appointment


def _signed_record(api_as, appointment, author="nurse-lewis"):
    api = api_as(author)
    created = api.post(f"/appointments/{appointment.pk}/record", record_body())
    assert created.status_code == 201, created.content
    record_id = created.json()["id"]
    signed = api.post(f"/records/{record_id}/sign")
    assert signed.status_code == 200, signed.content
    added = api.post(f"/records/{record_id}/addenda", {"text": "Called: fine."})
    assert added.status_code == 201, added.content
    return record_id


def _set_readers(value):
    Organisation.objects.update(notes_readers=value)


def _supervise(supervisee="nurse-lewis", supervisor="dr-patel"):
    Practitioner.objects.filter(code=supervisee).update(
        sign_off_by=Practitioner.objects.get(code=supervisor)
    )


# --- note privacy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "reader", "reads"),
    [
        (NotesReaders.ALL_PRACTITIONERS, "nurse-lewis", True),
        (NotesReaders.ALL_PRACTITIONERS, "nurse-okafor", True),
        (NotesReaders.ALL_PRACTITIONERS, "dr-patel", True),
        (NotesReaders.SAME_PROFESSION, "nurse-lewis", True),
        (NotesReaders.SAME_PROFESSION, "nurse-okafor", True),
        (NotesReaders.SAME_PROFESSION, "dr-patel", False),
        (NotesReaders.AUTHOR_ONLY, "nurse-lewis", True),
        (NotesReaders.AUTHOR_ONLY, "nurse-okafor", False),
        (NotesReaders.AUTHOR_ONLY, "dr-patel", False),
    ],
)
def test_who_reads_notes_follows_the_clinic_setting(lewis_session, api_as, setting, reader, reads):
    # given
    record_id = _signed_record(api_as, lewis_session)
    _set_readers(setting)

    # when
    body = api_as(reader).get(f"/records/{record_id}").json()

    # then
    if reads:
        assert (body["notes"], body["notes_hidden"]) == ("Tolerated well.", False)
        assert body["addenda"][0]["text"] == "Called: fine."
    else:
        assert (body["notes"], body["notes_hidden"]) == (None, True)
        assert body["addenda"][0]["text"] is None
    assert body["products"][0]["lot"] == "T-REV-FRESH"
    assert body["areas"][0]["area"] == "forehead"


def test_notes_default_to_all_practitioners(demo):
    assert set(Organisation.objects.values_list("notes_readers", flat=True)) == {
        "all_practitioners"
    }


def test_manager_never_reads_a_record(lewis_session, api_as):
    record_id = _signed_record(api_as, lewis_session)

    response = api_as("admin").get(f"/records/{record_id}")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "clinical_access_required"


def test_client_record_list_hides_notes_too(lewis_session, api_as):
    record_id = _signed_record(api_as, lewis_session)
    _set_readers(NotesReaders.AUTHOR_ONLY)

    listed = api_as("dr-patel").get(f"/clients/{lewis_session.client_id}/records").json()

    assert [(r["id"], r["notes"], r["notes_hidden"]) for r in listed] == [(record_id, None, True)]


# --- supervision --------------------------------------------------------------------------


def test_signing_without_a_supervisor_queues_nothing(lewis_session, api_as):
    _signed_record(api_as, lewis_session)

    assert SignOff.objects.count() == 0
    assert api_as("dr-patel").get("/sign-offs").json() == []


def test_signing_queues_the_record_for_the_supervisor(lewis_session, api_as):
    # given
    _supervise()

    # when
    record_id = _signed_record(api_as, lewis_session)

    # then
    queue = api_as("dr-patel").get("/sign-offs").json()
    assert [(s["record"], s["status"], s["practitioner"]) for s in queue] == [
        (record_id, "pending", "nurse-lewis")
    ]
    assert queue[0]["checklist"] == [
        {"item": "Questionnaire current", "ok": True},
        {"item": "Consent on file", "ok": True},
        {"item": "Products and lots", "ok": True},
        {"item": "Injection sites and areas", "ok": True},
        {"item": "Photos", "ok": False},
    ]
    assert api_as("nurse-okafor").get("/sign-offs").json() == []
    assert AuditEntry.objects.filter(action="sign_off.queue").count() == 1


def test_supervisor_approves_once(lewis_session, api_as):
    # given
    _supervise()
    _signed_record(api_as, lewis_session)
    sign_off = SignOff.objects.get()
    api = api_as("dr-patel")

    # when
    first = api.post(f"/sign-offs/{sign_off.pk}/approve")
    second = api.post(f"/sign-offs/{sign_off.pk}/approve")

    # then
    assert (first.status_code, first.json()["status"]) == (200, "approved")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "sign_off_decided"
    sign_off.refresh_from_db()
    assert (sign_off.status, sign_off.decided_by.username) == ("approved", "dr-patel")
    assert sign_off.decided_at is not None
    assert api.get("/sign-offs").json() == []
    entries = AuditEntry.objects.filter(action="sign_off.approve")
    assert entries.count() == 1


def test_returning_needs_a_comment_and_the_author_sees_it(lewis_session, api_as):
    # given
    _supervise()
    record_id = _signed_record(api_as, lewis_session)
    sign_off = SignOff.objects.get()
    api = api_as("dr-patel")

    # when
    refused = api.post(f"/sign-offs/{sign_off.pk}/return", {"comment": "  "})
    returned = api.post(f"/sign-offs/{sign_off.pk}/return", {"comment": "Add the depth."})

    # then
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "comment_required"
    assert (returned.status_code, returned.json()["status"]) == (200, "returned")
    record = api_as("nurse-lewis").get(f"/records/{record_id}").json()
    assert record["sign_off"] == {"status": "returned", "comment": "Add the depth."}
    assert AuditEntry.objects.filter(action="sign_off.return").count() == 1


@pytest.mark.parametrize("who", ["nurse-okafor", "nurse-lewis", "admin", "reception"])
def test_only_the_named_supervisor_decides(lewis_session, api_as, who):
    # given
    _supervise()
    _signed_record(api_as, lewis_session)
    sign_off = SignOff.objects.get()

    # when
    response = api_as(who).post(f"/sign-offs/{sign_off.pk}/approve")

    # then
    assert response.status_code == 403
    expected = "not_supervisor" if who.startswith("nurse") else "clinical_access_required"
    assert response.json()["error"]["code"] == expected
    sign_off.refresh_from_db()
    assert sign_off.status == SignOffStatus.PENDING
    assert AuditEntry.objects.filter(action__startswith="sign_off.a").count() == 0


def test_unknown_sign_off_is_not_found(demo, api_as):
    response = api_as("dr-patel").post("/sign-offs/999999/approve")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "sign_off_not_found"


# --- web pages ----------------------------------------------------------------------------


def _browser(username):
    browser = HttpClient()
    assert browser.login(username=username, password="mesoclinic-demo")
    return browser


def test_record_page_says_who_reads_hidden_notes(lewis_session, api_as):
    # given
    record_id = _signed_record(api_as, lewis_session)
    _set_readers(NotesReaders.SAME_PROFESSION)

    # when
    doctor_page = _browser("dr-patel").get(f"/records/{record_id}/").content.decode()
    nurse_page = _browser("nurse-okafor").get(f"/records/{record_id}/").content.decode()

    # then
    hidden = "Notes are visible to practitioners of the author&#x27;s profession (Nurse)."
    assert hidden in doctor_page
    assert "Tolerated well." not in doctor_page
    assert "Called: fine." not in doctor_page
    assert "T-REV-FRESH" in doctor_page
    assert "Tolerated well." in nurse_page
    assert "Called: fine." in nurse_page


def test_queue_page_lists_own_records_with_their_checklist(lewis_session, api_as):
    _supervise()
    _signed_record(api_as, lewis_session)

    page = _browser("dr-patel").get("/sign-offs/").content.decode()
    other = _browser("nurse-okafor").get("/sign-offs/").content.decode()

    assert "Megan Lewis" in page
    assert "Questionnaire current" in page
    assert "Nothing waits for your sign-off." in other


def test_queue_page_refuses_reception_and_managers(demo):
    assert _browser("reception").get("/sign-offs/").status_code == 403
    assert _browser("admin").get("/sign-offs/").status_code == 403


def _two_signed_records(api_as, monkeypatch):
    first = book(practitioner="nurse-lewis")
    second = book(practitioner="nurse-lewis", at=first.end + dt.timedelta(hours=1))
    move_clock_past(monkeypatch, second)
    return [_signed_record(api_as, first), _signed_record(api_as, second)]


def test_bulk_approve_from_the_queue_page(lewis_session, api_as, monkeypatch):
    # given
    _supervise()
    _two_signed_records(api_as, monkeypatch)
    ids = [str(pk) for pk in SignOff.objects.values_list("pk", flat=True)]

    # when
    response = _browser("dr-patel").post("/sign-offs/", {"sign_off": ids, "action": "approve"})

    # then
    assert response.status_code == 302
    assert set(SignOff.objects.values_list("status", flat=True)) == {"approved"}
    assert AuditEntry.objects.filter(action="sign_off.approve").count() == 2


def test_bulk_return_without_a_comment_returns_none(lewis_session, api_as, monkeypatch):
    # given
    _supervise()
    _two_signed_records(api_as, monkeypatch)
    ids = [str(pk) for pk in SignOff.objects.values_list("pk", flat=True)]
    browser = _browser("dr-patel")

    # when
    refused = browser.post("/sign-offs/", {"sign_off": ids, "action": "return"}, follow=True)
    browser.post("/sign-offs/", {"sign_off": ids, "action": "return", "comment": "No photos."})

    # then
    assert "a comment is required" in refused.content.decode()
    assert list(SignOff.objects.values_list("status", "comment")) == [
        ("returned", "No photos."),
        ("returned", "No photos."),
    ]


def test_author_sees_the_return_comment_on_the_record_page(lewis_session, api_as):
    # given
    _supervise()
    record_id = _signed_record(api_as, lewis_session)
    sign_off = SignOff.objects.get()
    api_as("dr-patel").post(f"/sign-offs/{sign_off.pk}/return", {"comment": "Add the depth."})

    # when
    author_page = _browser("nurse-lewis").get(f"/records/{record_id}/").content.decode()
    other_page = _browser("nurse-okafor").get(f"/records/{record_id}/").content.decode()

    # then
    assert "Add the depth." in author_page
    assert "Add the depth." not in other_page


@pytest.mark.parametrize(
    ("supervisor", "accepted"),
    [("dr-patel", True), ("nurse-okafor", True), ("nurse-hughes", False), ("nurse-lewis", False)],
)
def test_only_a_current_prescriber_can_be_named_supervisor(demo, supervisor, accepted):
    # given
    lewis = Practitioner.objects.get(code="nurse-lewis")
    lewis.sign_off_by = Practitioner.objects.get(code=supervisor)

    # when / then
    if accepted:
        lewis.full_clean()
    else:
        with pytest.raises(ValidationError) as refused:
            lewis.full_clean()
        assert list(refused.value.message_dict) == ["sign_off_by"]


@pytest.mark.parametrize(("reader", "notes"), [("nurse-lewis", True), ("dr-patel", False)])
def test_fhir_export_follows_the_notes_setting(lewis_session, api_as, reader, notes):
    # given
    _signed_record(api_as, lewis_session)
    _set_readers(NotesReaders.AUTHOR_ONLY)
    token = api_token_create(username=reader)

    # when
    bundle = HttpClient().get(
        f"/fhir/r4/Patient/{lewis_session.client_id}/$everything",
        headers={"Authorization": f"Bearer {token}"},
    )

    # then
    [procedure] = [
        e["resource"]
        for e in bundle.json()["entry"]
        if e["resource"]["resourceType"] == "Procedure"
    ]
    expected = [{"text": "Tolerated well."}] if notes else None
    assert procedure.get("note") == expected
