"""Scheduling and sending messages: idempotency, retries, reschedule/cancel, aftercare."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import QuerySet
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar
from tests.messaging.queued import booking_messages_written

from mesoclinic.core import clock
from mesoclinic.messaging import channels, delivery, services
from mesoclinic.messaging.models import DeliveryAttempt, Message, MessageStatus
from mesoclinic.messaging.tasks import deliver_message
from mesoclinic.messaging.worker import run_pending
from mesoclinic.scheduling.models import AppointmentStatus

from .conftest import LONDON, make_appointment

pytestmark = pytest.mark.django_db(transaction=False)


def _deliver_all_due() -> int:
    return run_pending()


def test_booking_schedules_confirmation_preparation_and_two_reminders(
    appointment, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
    # then
    rows = list(
        Message.objects.filter(appointment=appointment).values_list("kind", "channel", "send_after")
    )
    assert sorted((kind, channel) for kind, channel, _ in rows) == [
        ("confirmation", "email"),
        ("confirmation", "sms"),
        ("preparation", "email"),
        ("reminder", "email"),
        ("reminder", "email"),
        ("reminder", "sms"),
        ("reminder", "sms"),
    ]
    reminder_times = sorted({at for kind, _, at in rows if kind == "reminder"})
    assert [t.astimezone(LONDON) for t in reminder_times] == [
        dt.datetime(2026, 3, 28, 10, 0, tzinfo=LONDON),
        dt.datetime(2026, 3, 29, 10, 0, tzinfo=LONDON),
    ]
    assert DBTaskResult.objects.count() == 7


def test_notifying_twice_schedules_nothing_more(appointment, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
        services.appointments_booked_notify(appointments=[appointment])
    assert Message.objects.filter(appointment=appointment).count() == 7
    assert DBTaskResult.objects.count() == 7


def test_a_booking_schedules_its_messages_in_one_insert_with_their_tasks(
    appointment, django_assert_num_queries
):
    # the clinic's saved policies (once a minute per process), savepoint, look up the keys,
    # insert the messages, insert their tasks, release
    with django_assert_num_queries(6):
        messages = services.appointments_booked_notify(appointments=[appointment])
    assert [m.kind for m in messages] == ["confirmation"] * 2 + ["preparation"] + ["reminder"] * 4
    assert DBTaskResult.objects.count() == 7


@pytest.mark.parametrize("deferred", [False, True], ids=["due", "deferred"])
def test_delivery_task_rows_are_the_rows_django_tasks_enqueue_writes(appointment, deferred):
    # given: a delivery due now, or in an hour
    now = clock.now()
    when = now + dt.timedelta(hours=1) if deferred else now
    # when one task is written in a batch and one is enqueued by django-tasks itself
    services._insert_delivery_tasks(deliver_message.get_backend(), deliver_message, [(42, when)])
    services._delivery_task(deliver_message, when, now).enqueue(42)
    # then the rows are the same but for their id and time of enqueuing
    ours, theirs = (
        {key: value for key, value in row.items() if key not in ("id", "enqueued_at")}
        for row in DBTaskResult.objects.order_by("enqueued_at").values()
    )
    assert ours == theirs
    assert run_pending() == (0 if deferred else 2)


def test_a_rolled_back_change_leaves_neither_messages_nor_tasks(appointment):
    def book_then_fail() -> None:
        with transaction.atomic():
            services.appointments_booked_notify(appointments=[appointment])
            raise RuntimeError("the booking failed after scheduling its messages")

    with pytest.raises(RuntimeError):
        book_then_fail()
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_another_task_backend_gets_the_deliveries_once_the_transaction_commits(
    appointment, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    with django_capture_on_commit_callbacks() as callbacks:
        services.appointments_booked_notify(appointments=[appointment])
    assert backend.results == []
    for callback in callbacks:
        callback()
    assert sorted(result.args[0] for result in backend.results) == sorted(
        Message.objects.values_list("pk", flat=True)
    )


def test_a_key_inserted_meanwhile_by_another_transaction_is_found_on_a_second_try(
    appointment, monkeypatch
):
    # given a message another transaction inserted after our look-up (simulated: the first
    # look-up does not see it)
    first = services.message_schedule(
        key="test:meanwhile",
        kind="reminder",
        channel="email",
        recipient="amelia.hart@example.com",
        subject="Hi",
        body="Old",
        send_after=dt.datetime(2026, 3, 24, 12, 0, tzinfo=LONDON),
    )
    looked_up = []
    in_bulk = QuerySet.in_bulk

    def stale_once(self, *args, **kwargs):
        looked_up.append(True)
        return {} if len(looked_up) == 1 else in_bulk(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "in_bulk", stale_once)
    # when
    again = services.message_schedule(
        key="test:meanwhile",
        kind="reminder",
        channel="email",
        recipient="amelia.hart@example.com",
        subject="Hi",
        body="New",
        send_after=dt.datetime(2026, 3, 24, 12, 0, tzinfo=LONDON),
    )
    # then
    assert len(looked_up) == 2
    assert again.pk == first.pk
    assert Message.objects.get(key="test:meanwhile").body == "New"


def test_confirmation_is_sent_once_with_an_ics_and_the_worker_is_idempotent(
    appointment, frozen, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
    # when the worker runs what is due now (the confirmation), then again
    ran = _deliver_all_due()
    confirmation = Message.objects.get(
        appointment=appointment, kind="confirmation", channel="email"
    )
    again = delivery.message_deliver(message_id=confirmation.pk)
    # then
    assert ran == 2
    assert again == "already_sent"
    assert run_pending() == 0
    # and the preparation email goes on Friday at 10:00, 72 wall-clock hours before
    frozen(dt.datetime(2026, 3, 27, 10, 0, tzinfo=LONDON))
    assert run_pending() == 1
    assert [m.subject for m in mail.outbox] == [
        "Your appointment at Mesoclinic London is booked",
        "Getting ready for your appointment on Monday 30 March",
    ]
    assert len(channels.SMS_OUTBOX) == 1
    name, content, mimetype = mail.outbox[0].attachments[0]
    assert (name, mimetype) == ("appointment.ics", "text/calendar; method=PUBLISH")
    part = next(
        p for p in mail.outbox[0].message().walk() if p.get_content_type() == "text/calendar"
    )
    assert part.get_param("method") == "PUBLISH"  # iMIP (RFC 6047)
    assert part.get_content_charset() == "utf-8"
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.start
    assert "Face" not in str(event.get("summary"))
    assert "arrive at 10:00" in mail.outbox[1].body
    assert "30 minutes before your treatment starts at 10:30" in mail.outbox[1].body
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 3


def test_reminders_wait_for_their_time_and_carry_no_clinical_details(
    appointment, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
    _deliver_all_due()
    mail.outbox.clear()
    channels.SMS_OUTBOX.clear()
    clock = frozen(dt.datetime(2026, 3, 27, 10, 0, tzinfo=LONDON))
    _deliver_all_due()  # the preparation email
    mail.outbox.clear()
    # when the clock reaches Saturday 28 March 10:00 (the 48 h reminder)
    clock.set(dt.datetime(2026, 3, 28, 10, 0, tzinfo=LONDON))
    _deliver_all_due()
    # then exactly the 48 h reminder went, by email and SMS, without the treatment's name
    assert [m.subject for m in mail.outbox] == ["Reminder: your appointment on Monday 30 March"]
    texts = [mail.outbox[0].body, channels.SMS_OUTBOX[0][1]]
    for text in texts:
        assert "Face" not in text
        assert "numbing" not in text.lower()
        assert "revitalise" not in text.lower()
    assert "please arrive 10:00" in channels.SMS_OUTBOX[0][1]


def test_a_failed_send_is_logged_and_retried_with_backoff(
    appointment, frozen, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given an email backend that fails twice
    failures = {"left": 2}
    real = channels.deliver_email

    def flaky(outgoing):
        if failures["left"]:
            failures["left"] -= 1
            raise channels.DeliveryFailed("SMTP 451 try later")
        return real(outgoing)

    monkeypatch.setitem(channels.DELIVER, "email", flaky)
    message = services.message_schedule(
        key="test:flaky",
        kind="reminder",
        channel="email",
        recipient="amelia.hart@example.com",
        subject="Hello",
        body="Body",
        send_after=dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON),
    )
    clock = frozen(dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON))
    # when the worker runs the message's delivery task (the send fails)
    assert run_pending() == 1
    first = Message.objects.get(pk=message.pk)
    assert run_pending() == 0  # the retry is deferred by a minute
    clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        run_pending()
    clock.advance(minutes=5)
    run_pending()
    # then
    message.refresh_from_db()
    assert (first.status, first.attempts) == (MessageStatus.PENDING, 1)
    assert first.send_after == dt.datetime(2026, 3, 23, 12, 1, tzinfo=LONDON)
    assert message.status == MessageStatus.SENT
    assert message.attempts == 3
    assert list(message.deliveries.values_list("succeeded", flat=True)) == [False, False, True]
    assert len(mail.outbox) == 1


def test_a_message_that_keeps_failing_is_given_up_after_the_last_retry(
    appointment, frozen, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(outgoing):
        raise channels.DeliveryFailed("no route")

    monkeypatch.setitem(channels.DELIVER, "sms", broken)
    message = services.message_schedule(
        key="test:broken",
        kind="reminder",
        channel="sms",
        recipient="+447700900123",
        subject="",
        body="Hi",
        send_after=dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON),
    )
    clock = frozen(dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON))
    outcomes = []
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(delivery.message_deliver(message_id=message.pk))
        clock.advance(hours=3)
    message.refresh_from_db()
    assert outcomes == ["retry", "retry", "retry", "retry", "failed"]
    assert message.status == MessageStatus.FAILED
    assert message.deliveries.count() == 5


def test_two_workers_never_send_the_same_message_twice(appointment):
    message = services.message_schedule(
        key="test:race",
        kind="reminder",
        channel="email",
        recipient="amelia.hart@example.com",
        subject="Hi",
        body="Hi",
        send_after=dt.datetime(2026, 3, 23, 12, 0, tzinfo=LONDON),
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)  # another worker
    assert delivery.message_deliver(message_id=message.pk) == "in_progress"
    assert mail.outbox == []


def test_rescheduling_cancels_old_reminders_and_plans_new_ones(
    appointment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
    # when the appointment moves a week later
    appointment.start += dt.timedelta(days=7)
    appointment.treatment_start += dt.timedelta(days=7)
    appointment.end += dt.timedelta(days=7)
    appointment.busy_until += dt.timedelta(days=7)
    appointment.ics_sequence += 1  # as appointment_reschedule does
    appointment.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_rescheduled_notify(appointment=appointment)
    # then
    pending_reminders = Message.objects.filter(
        appointment=appointment, kind="reminder", status=MessageStatus.PENDING
    )
    assert sorted({m.send_after.astimezone(LONDON) for m in pending_reminders}) == [
        dt.datetime(2026, 4, 4, 10, 0, tzinfo=LONDON),
        dt.datetime(2026, 4, 5, 10, 0, tzinfo=LONDON),
    ]
    assert (
        Message.objects.filter(
            appointment=appointment, kind="reminder", status=MessageStatus.CANCELLED
        ).count()
        == 4
    )
    run_pending()
    moved = [m for m in mail.outbox if m.subject.endswith("has moved")]
    assert len(moved) == 1
    event = Calendar.from_ical(moved[0].attachments[0][1]).walk("VEVENT")[0]
    assert int(event.get("sequence")) == 1


def test_cancelling_stops_reminders_and_sends_a_cancelling_ics(
    appointment, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.appointments_booked_notify(appointments=[appointment])
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancelled_notify(appointment=appointment)
    frozen(dt.datetime(2026, 3, 29, 12, 0, tzinfo=LONDON))
    run_pending()
    subjects = [m.subject for m in mail.outbox]
    assert "Your appointment at Mesoclinic London is cancelled" in subjects
    assert not any(s.startswith("Reminder") for s in subjects)
    cancel = next(m for m in mail.outbox if m.subject.endswith("cancelled"))
    calendar = Calendar.from_ical(cancel.attachments[0][1])
    assert str(calendar.get("method")) == "CANCEL"
    part = next(p for p in cancel.message().walk() if p.get_content_type() == "text/calendar")
    assert part.get_param("method") == "CANCEL"  # iMIP: the part says what the file does


def test_aftercare_for_chin_and_jowl_gives_the_weekend_recovery_advice(
    demo, frozen, django_capture_on_commit_callbacks
):
    frozen(dt.datetime(2026, 6, 12, 12, 0, tzinfo=LONDON))
    appointment = make_appointment(
        start=dt.datetime(2026, 6, 12, 10, 0, tzinfo=LONDON), treatment_code="chin-jowl-fat"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.record_signed_notify(appointment=appointment)
        services.record_signed_notify(appointment=appointment)
    run_pending()
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "weekend" in body
    assert "purple dots" in body.lower()
    assert "mineral make-up" in body
    assert "12 weeks" in body
    assert channels.SMS_OUTBOX == []


def test_maintenance_due_reminder_goes_once_per_due_date(
    demo, frozen, django_capture_on_commit_callbacks
):
    # given a face treatment (meso-standard, maintenance every 91 days) fulfilled on 1 March
    frozen(dt.datetime(2026, 5, 25, 12, 0, tzinfo=LONDON))
    appointment = make_appointment(start=dt.datetime(2026, 3, 2, 10, 0, tzinfo=LONDON))
    appointment.status = AppointmentStatus.FULFILLED
    appointment.save()
    # when the scan runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = services.maintenance_due_scan()
        second = services.maintenance_due_scan()
    # then
    assert [(m.kind, m.channel) for m in first] == [
        ("maintenance_due", "email"),
        ("maintenance_due", "sms"),
    ]
    assert {m.pk for m in second} == {m.pk for m in first}
    assert "1 June 2026" in first[0].body


# --- a booking's messages, written by the worker -------------------------------------------


def test_a_booking_queues_one_task_and_the_worker_writes_its_seven_messages(appointment):
    # given: a booking queues its messages (the booking service calls this)
    services.appointments_booked_queue(appointments=[appointment])
    assert not Message.objects.filter(appointment=appointment).exists()
    assert DBTaskResult.objects.count() == 1
    # when the worker runs it
    assert booking_messages_written() == 1
    # then the same seven messages as a direct notify, each with its delivery task
    assert Message.objects.filter(appointment=appointment).count() == 7
    assert DBTaskResult.objects.count() == 1 + 7


def test_the_queued_task_run_twice_writes_nothing_more(appointment):
    services.appointments_booked_queue(appointments=[appointment])
    booking_messages_written()
    services.booking_messages_write(appointment_ids=[appointment.pk])
    assert Message.objects.filter(appointment=appointment).count() == 7


def test_a_booking_cancelled_before_the_worker_runs_gets_no_booking_messages(appointment):
    services.appointments_booked_queue(appointments=[appointment])
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    booking_messages_written()
    assert not Message.objects.filter(appointment=appointment).exists()


def test_a_booking_moved_before_the_worker_runs_is_confirmed_at_its_new_time(appointment):
    services.appointments_booked_queue(appointments=[appointment])
    moved = dt.timedelta(days=1)
    appointment.start += moved
    appointment.treatment_start += moved
    appointment.end += moved
    appointment.busy_until += moved
    appointment.save(update_fields=["start", "treatment_start", "end", "busy_until"])
    booking_messages_written()
    confirmation = Message.objects.get(
        appointment=appointment, kind="confirmation", channel="email"
    )
    assert "Tuesday 31 March" in confirmation.body
    reminders = Message.objects.filter(appointment=appointment, kind="reminder")
    # 48 and 24 hours before the new time, by email and by SMS
    assert reminders.count() == 4
    assert sorted({m.send_after for m in reminders}) == [
        dt.datetime(2026, 3, 29, 10, 0, tzinfo=LONDON),
        dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON),
    ]
