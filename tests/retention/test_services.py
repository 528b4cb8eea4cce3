"""Erasure and disposal services: what is deleted, anonymised or kept, the audit trail,
idempotence, and no half-written state when a step fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from mesoclinic.core import clock
from mesoclinic.core.errors import Conflict, RuleRefused
from mesoclinic.core.models import AuditEntry
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.portal.models import ClientAccount
from mesoclinic.records.models import TreatmentRecord
from mesoclinic.retention import services
from mesoclinic.retention.models import ErasureRequest, ErasureStatus, RequestChannel
from mesoclinic.retention.rules import add_years
from mesoclinic.retention.selectors import disposal_due
from mesoclinic.retention.services import (
    client_dispose,
    erasure_carry_out,
    erasure_refuse,
    erasure_request_create,
)
from mesoclinic.scheduling.models import Appointment

from .factories import appointment, message, new_client, paid, portal_account, treated

YEAR = 366
pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def admin():
    return get_user_model().objects.get(username="admin")


def ask(client: Client) -> ErasureRequest:
    return erasure_request_create(actor=None, client=client, channel=RequestChannel.STAFF)


def actions(client_id: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(client_id=client_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_client_never_treated_is_deleted_whole(admin):
    # given a client with a past booking, a message and a portal account, never treated
    client = new_client()
    appointment(client, days=40)
    message(client, days=40)
    account = portal_account(client)
    request = ask(client)
    # when
    done = erasure_carry_out(actor=admin, request_id=request.pk)
    # then the client and everything of theirs is gone, the login switched off
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not Appointment.objects.filter(client_id=client.pk).exists()
    assert not Message.objects.filter(client_id=client.pk).exists()
    assert not ClientAccount.objects.filter(pk=account.pk).exists()
    user = get_user_model().objects.get(pk=account.user_id)
    assert (user.is_active, user.username) == (False, f"erased-client-{user.pk}")
    assert (done.status, done.outcome, done.client_id, done.client_number) == (
        "completed",
        "deleted",
        None,
        client.pk,
    )
    assert actions(client.pk) == [
        "erasure.request",
        "erasure.delete",
        "erasure.delete",
        "erasure.complete",
    ]
    entry = AuditEntry.objects.get(
        client_id=client.pk, action="erasure.delete", data__has_key="deleted"
    )
    assert entry.data["deleted"]["people.Client"] == 1
    assert entry.data["deleted"]["scheduling.Appointment"] == 1


def test_a_client_within_retention_is_anonymised_and_keeps_the_clinical_record(admin):
    # given a client treated a year ago, who paid, got messages and has an account
    client = new_client()
    record = treated(client, days=YEAR)
    paid(record.appointment, days=YEAR)
    message(client, days=YEAR)
    account = portal_account(client)
    request = ask(client)
    # when
    done = erasure_carry_out(actor=admin, request_id=request.pk)
    # then contact details, account and messages are gone; the record is untouched
    client.refresh_from_db()
    assert (client.email, client.phone, client.address, client.marketing_opt_in) == (
        "",
        "",
        "",
        False,
    )
    assert (client.given_name, client.birth_date) == ("Erin", dt.date(1985, 4, 12))
    assert client.archived_at is not None
    assert TreatmentRecord.objects.get(pk=record.pk).notes == "Tolerated well."
    assert not Message.objects.filter(client=client).exists()
    assert not ClientAccount.objects.filter(pk=account.pk).exists()
    assert done.outcome == "anonymised"
    kept = {d["item"]: d["until"] for d in done.decisions if d["action"] == "keep"}
    treated_on = record.performed_at.date()
    assert kept == {
        "clinical record": add_years(treated_on, 8).isoformat(),
        "payments": add_years(treated_on, 6).isoformat(),
    }
    assert actions(client.pk) == [
        "erasure.request",
        "erasure.anonymise",
        "erasure.delete",
        "erasure.delete",
        "erasure.keep",
        "erasure.keep",
        "erasure.delete",
        "erasure.complete",
    ]


def test_carrying_out_twice_changes_nothing_the_second_time(admin):
    client = new_client()
    treated(client, days=YEAR)
    request = ask(client)
    erasure_carry_out(actor=admin, request_id=request.pk)
    entries = AuditEntry.objects.count()
    again = erasure_carry_out(actor=admin, request_id=request.pk)
    assert again.status == ErasureStatus.COMPLETED
    assert AuditEntry.objects.count() == entries


def test_asking_twice_while_waiting_is_one_request():
    client = new_client()
    first = ask(client)
    second = ask(client)
    assert first.pk == second.pk
    assert actions(client.pk) == ["erasure.request"]


def test_a_failing_step_leaves_nothing_changed_and_nothing_audited(admin, monkeypatch):
    # given a client to anonymise, and message deletion (after the details change) failing
    client = new_client()
    treated(client, days=YEAR)
    message(client, days=YEAR)
    request = ask(client)

    def broken(rows):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "delete_with_dependents", broken)
    # when
    with pytest.raises(RuntimeError):
        erasure_carry_out(actor=admin, request_id=request.pk)
    # then
    client.refresh_from_db()
    assert client.email.startswith("erin.")
    assert Message.objects.filter(client=client).count() == 1
    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING
    assert actions(client.pk) == ["erasure.request"]


def test_upcoming_appointments_block_the_erasure(admin):
    client = new_client()
    appointment(client, days=-10, status="booked")
    request = ask(client)
    with pytest.raises(Conflict) as refused:
        erasure_carry_out(actor=admin, request_id=request.pk)
    assert refused.value.code == "erasure_upcoming_appointments"
    assert Client.objects.filter(pk=client.pk).exists()


def test_refusing_needs_a_reason_and_is_audited(admin):
    client = new_client()
    request = ask(client)
    with pytest.raises(RuleRefused):
        erasure_refuse(actor=admin, request_id=request.pk, reason="  ")
    refused = erasure_refuse(actor=admin, request_id=request.pk, reason="Open complaint.")
    assert (refused.status, refused.refusal_reason) == ("refused", "Open complaint.")
    assert actions(client.pk) == ["erasure.request", "erasure.refuse"]
    with pytest.raises(Conflict):
        erasure_carry_out(actor=admin, request_id=request.pk)


def test_disposal_report_lists_only_files_whose_every_period_ended():
    # given one client treated 9 years ago, one 7 years ago, one only contacted 3 years ago
    old = new_client(created_days_ago=9 * YEAR + 30)
    treated(old, days=9 * YEAR)
    recent = new_client(created_days_ago=7 * YEAR + 30)
    treated(recent, days=7 * YEAR)
    contact_only = new_client(created_days_ago=3 * YEAR)
    # when
    due = {file.client.pk for file in disposal_due(on=clock.today())}
    # then
    assert old.pk in due
    assert contact_only.pk in due
    assert recent.pk not in due


def test_disposal_destroys_a_due_file_and_refuses_one_still_kept(admin):
    old = new_client(created_days_ago=9 * YEAR + 30)
    record = treated(old, days=9 * YEAR)
    recent = new_client()
    treated(recent, days=YEAR)
    # when
    deleted = client_dispose(actor=admin, client_id=old.pk)
    # then
    assert deleted["records.TreatmentRecord"] == 1
    assert not TreatmentRecord.objects.filter(pk=record.pk).exists()
    assert actions(old.pk) == ["retention.dispose"]
    with pytest.raises(Conflict) as refused:
        client_dispose(actor=admin, client_id=recent.pk)
    assert refused.value.code == "not_due_for_disposal"
    assert client_dispose(actor=admin, client_id=old.pk) == {}


def test_a_message_queued_for_an_erased_client_is_not_sent_and_its_task_does_not_fail(admin):
    # given a never-treated client with a message queued for delivery now
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from mesoclinic.messaging.tasks import deliver_message
    from mesoclinic.messaging.worker import run_pending

    client = new_client()
    queued = message(client, days=0)
    deliver_message.enqueue(queued.pk)
    # when the client is erased before the worker runs
    erasure_carry_out(actor=admin, request_id=ask(client).pk)
    run_pending()
    # then nothing went out and the task finished without an error
    assert [m for m in mail.outbox if client.email in m.to] == []
    results = DBTaskResult.objects.filter(args_kwargs__args=[queued.pk])
    assert list(results.values_list("status", flat=True)) == ["SUCCESSFUL"]
    assert results.get().return_value == "deleted"


def test_disposal_removes_clinical_photos_only_once_committed(
    admin, settings, tmp_path, django_capture_on_commit_callbacks
):
    # given a client treated 9 years ago with an assessment photo on disk
    from django.core.files.base import ContentFile

    from mesoclinic.records.models import Assessment, AssessmentPhoto

    settings.MEDIA_ROOT = tmp_path
    client = new_client(created_days_ago=9 * YEAR + 30)
    record = treated(client, days=9 * YEAR)
    assessment = Assessment.objects.create(
        client=client,
        scale="gais",
        components={"score": 2},
        score_text="2",
        score_rank=2,
        assessed_at=record.performed_at,
    )
    photo = AssessmentPhoto.objects.create(
        assessment=assessment,
        image=ContentFile(b"jpeg bytes", name="front.jpg"),
        content_type="image/jpeg",
        width=1,
        height=1,
        uploaded_at=record.performed_at,
        uploaded_by_label="nurse-hughes",
    )
    stored = tmp_path / photo.image.name
    assert stored.exists()
    # when the file is disposed of, then the photo goes with the commit, not before
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deleted = client_dispose(actor=admin, client_id=client.pk)
    assert deleted["records.AssessmentPhoto"] == 1
    assert stored.exists()
    for callback in callbacks:
        callback()
    assert not stored.exists()


def test_a_request_whose_client_was_disposed_of_meanwhile_completes_as_deleted(admin):
    client = new_client(created_days_ago=3 * YEAR)
    request = ask(client)
    client_dispose(actor=admin, client_id=client.pk)
    done = erasure_carry_out(actor=admin, request_id=request.pk)
    assert (done.status, done.outcome, done.client_id) == ("completed", "deleted", None)
    assert actions(client.pk)[-1] == "erasure.complete"


def test_a_child_treated_long_ago_is_kept_until_their_25th_birthday():
    # given a client now 24, treated at 15 nine years ago (the adult 8 years are over)
    today = clock.today()
    born = add_years(today, -24) - dt.timedelta(days=10)
    child = new_client(created_days_ago=9 * YEAR + 30, birth_date=born)
    treated(child, days=9 * YEAR)
    # then the file is not due, and an erasure keeps the record until the 25th birthday
    assert child.pk not in {file.client.pk for file in disposal_due(on=today)}
    done = erasure_carry_out(actor=None, request_id=ask(child).pk)
    kept = {d["item"]: d["until"] for d in done.decisions if d["action"] == "keep"}
    assert kept == {"clinical record": add_years(born, 25).isoformat()}
