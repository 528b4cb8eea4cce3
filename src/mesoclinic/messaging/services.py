"""Writes for messaging: schedule messages when things happen (``messaging.delivery``
sends them).

Call these from the services that change appointments and records — inside their
transaction is fine and intended: the :class:`Message` rows are written in the same
transaction (so a message exists exactly when the booking does), all of an event's
messages in one ``INSERT``, and their delivery tasks become visible to workers only when
that transaction commits. Every function is idempotent: calling it twice for the same
event schedules nothing new, because each message has a unique key.

A booking is the exception, because it is the one write that must be fast (issue #17): it
queues *one* task in its transaction (``appointments_booked_queue``), and the worker writes
the confirmation, preparation and reminders from the appointment as it then stands
(``appointments_booked_notify``, the same messages with the same keys). The task exists
exactly when the booking does; the messages follow within the worker's polling interval.

=============================  ==========================================================
when                           call
=============================  ==========================================================
an appointment is booked       ``appointments_booked_queue(appointments=[...])``
a course is booked             ``appointments_booked_queue(appointments=[...])``
an appointment moves           ``appointment_rescheduled_notify(appointment=...)``
an appointment is cancelled    ``appointment_cancelled_notify(appointment=...)``
a treatment record is signed   ``record_signed_notify(appointment=...)``
=============================  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models import Model
from django_tasks.base import Task
from django_tasks.signals import task_enqueued
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from mesoclinic.core import clock
from mesoclinic.messaging import content
from mesoclinic.messaging.aftercare import WHEN_TO_CALL, AftercareFacts, aftercare_points
from mesoclinic.messaging.links import LINK_MARKER
from mesoclinic.messaging.models import Channel, Message, MessageKind, MessageStatus
from mesoclinic.messaging.schedule import SendWindow, next_in_window, plan_appointment_messages
from mesoclinic.people.models import Client, Site
from mesoclinic.people.policy import policy_value
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

# --- configuration ---------------------------------------------------------------------------


def _policy() -> dict[str, Any]:
    return dict(settings.MESOCLINIC)


def reminder_hours() -> tuple[int, ...]:
    """Hours before an appointment at which reminders go (the clinic's policy)."""
    return tuple(int(hours) for hours in policy_value("REMINDER_HOURS"))


def send_window() -> SendWindow:
    """The local hours between which messages may go out."""
    opens, closes = _policy().get("MESSAGE_WINDOW", ("08:00", "20:00"))
    return SendWindow(dt.time.fromisoformat(opens), dt.time.fromisoformat(closes))


# --- scheduling ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """One message to schedule: the arguments of :func:`message_schedule`."""

    key: str
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    send_after: dt.datetime
    client: Client | None = None
    appointment: Appointment | None = None
    attach_ics: bool = False
    link_ref: str = ""

    def as_message(self, now: dt.datetime) -> Message:
        """A new, unsaved pending message with this content."""
        return Message(
            key=self.key,
            kind=self.kind,
            channel=self.channel,
            recipient=self.recipient,
            subject=self.subject[:200],
            body=self.body,
            send_after=self.send_after,
            client=self.client,
            appointment=self.appointment,
            attach_ics=self.attach_ics,
            link_ref=self.link_ref,
            created_at=now,
        )


def message_schedule(
    *,
    key: str,
    kind: str,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    send_after: dt.datetime,
    client: Client | None = None,
    appointment: Appointment | None = None,
    attach_ics: bool = False,
    link_ref: str = "",
) -> Message:
    """Create the message with ``key`` unless it exists; enqueue its delivery (see
    :func:`_enqueue_deliveries`).

    An existing message is left alone once sent. A pending or cancelled one is brought up to
    date (content and time) and made pending again, so re-scheduling is safe and cheap.
    """
    draft = Draft(
        key=key,
        kind=kind,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        send_after=send_after,
        client=client,
        appointment=appointment,
        attach_ics=attach_ics,
        link_ref=link_ref,
    )
    return messages_schedule([draft])[0]


def messages_schedule(drafts: Sequence[Draft]) -> list[Message]:
    """Schedule each draft as :func:`message_schedule` does, all at once: one query finds
    (and locks) the messages that exist, one ``INSERT`` writes the new ones. Returns the
    messages in the order of ``drafts``, whose keys must be distinct.

    A concurrent transaction that inserts one of the keys first makes ours fail on the
    unique key; the batch is then tried once more, finding that message.
    """
    keys = [draft.key for draft in drafts]
    if len(set(keys)) != len(keys):
        raise ValueError("Each message of a batch needs its own key.")
    if not drafts:
        return []
    now = clock.now()
    try:
        with transaction.atomic():
            return _schedule_batch(drafts, now)
    except IntegrityError:
        with transaction.atomic():
            return _schedule_batch(drafts, now)


def _schedule_batch(drafts: Sequence[Draft], now: dt.datetime) -> list[Message]:
    existing = Message.objects.select_for_update().in_bulk(
        [draft.key for draft in drafts], field_name="key"
    )
    created = Message.objects.bulk_create(
        [draft.as_message(now) for draft in drafts if draft.key not in existing]
    )
    refreshed = [
        existing[draft.key]
        for draft in drafts
        if draft.key in existing and _bring_up_to_date(existing[draft.key], draft)
    ]
    _enqueue_deliveries((message.pk, message.send_after) for message in created + refreshed)
    by_key = existing | {message.key: message for message in created}
    return [by_key[draft.key] for draft in drafts]


def _bring_up_to_date(message: Message, draft: Draft) -> bool:
    """Make a pending or cancelled message pending with the draft's content and time;
    whether its delivery needs enqueuing (not when sent, failed, or already up to date)."""
    if message.status not in (MessageStatus.PENDING, MessageStatus.CANCELLED):
        return False
    unchanged = (
        message.status == MessageStatus.PENDING
        and message.send_after == draft.send_after
        and message.body == draft.body
    )
    if unchanged:
        return False
    message.status = MessageStatus.PENDING
    message.recipient = draft.recipient
    message.subject = draft.subject[:200]
    message.body = draft.body
    message.send_after = draft.send_after
    message.save(update_fields=["status", "recipient", "subject", "body", "send_after"])
    return True


def _enqueue_deliveries(deliveries: Iterable[tuple[int, dt.datetime]]) -> None:
    """Queue a delivery task for each ``(message id, when)``, visible to workers only once
    the caller's transaction commits.

    Tasks kept in the messages' own database (django-tasks-db, the default) are written in
    the caller's transaction, all in one ``INSERT``: they appear when the change that
    caused them commits, vanish with it on a rollback, and cost no commit of their own.
    Any other task backend gets them from one ``transaction.on_commit`` callback.
    """
    from mesoclinic.messaging.tasks import deliver_message

    pending = list(deliveries)
    if not pending:
        return
    backend = _backend_beside(deliver_message, Message)
    if backend is not None:
        _insert_delivery_tasks(backend, deliver_message, pending)
    else:
        transaction.on_commit(lambda: _enqueue_each(deliver_message, pending))


def _backend_beside(task: Task[Any, Any], model: type[Model]) -> DatabaseBackend | None:
    """``task``'s backend when it keeps its rows in ``model``'s database (so a task
    written now commits or rolls back with the caller's change), else ``None``."""
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    if router.db_for_write(DBTaskResult) != router.db_for_write(model):
        return None
    return backend


def _delivery_task(task: Task[Any, Any], when: dt.datetime, now: dt.datetime) -> Task[Any, Any]:
    """``task`` deferred to ``when``, or to run at once when that is not in the future."""
    return task.using(run_after=when) if when > now else task


def _enqueue_each(task: Task[Any, Any], deliveries: list[tuple[int, dt.datetime]]) -> None:
    now = clock.now()
    for message_id, when in deliveries:
        _delivery_task(task, when, now).enqueue(message_id)


def _insert_delivery_tasks(
    backend: DatabaseBackend, task: Task[Any, Any], deliveries: list[tuple[int, dt.datetime]]
) -> None:
    """Write the rows ``backend.enqueue`` would write, one per delivery, with one
    ``INSERT`` (django-tasks enqueues one task per query; a test checks the rows stay
    the same as enqueue's), and announce each as enqueue does."""
    now = clock.now()
    rows: list[DBTaskResult] = []
    for message_id, when in deliveries:
        delivery = _delivery_task(task, when, now)
        rows.append(
            DBTaskResult(
                args_kwargs={"args": [message_id], "kwargs": {}},
                priority=delivery.priority,
                task_path=delivery.module_path,
                queue_name=delivery.queue_name,
                run_after=delivery.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        )
    DBTaskResult.objects.bulk_create(rows)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)


def _appointment_key(appointment: Appointment, kind: str, channel: str, *parts: str) -> str:
    return ":".join(["appt", str(appointment.pk), kind, *parts, channel])


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%MZ")


def _channels_for(client: Client, kinds_sms: bool) -> list[tuple[str, str]]:
    channels = []
    if client.email:
        channels.append((Channel.EMAIL.value, client.email))
    if kinds_sms and client.phone:
        channels.append((Channel.SMS.value, client.phone))
    return channels


def _appointment_drafts(
    appointment: Appointment,
    kind: str,
    send_after: dt.datetime,
    *key_parts: str,
    context: dict[str, Any],
    sms: bool = True,
    attach_ics: bool = False,
) -> list[Draft]:
    """One draft of ``kind`` per channel the client can be reached on, rendered with
    ``context`` (see ``content.appointment_context``)."""
    tz = appointment.site.tzinfo
    drafts = []
    for channel, recipient in _channels_for(appointment.client, sms):
        subject, body = content.render(channel, kind, context, tz)
        drafts.append(
            Draft(
                key=_appointment_key(appointment, kind, channel, *key_parts),
                kind=kind,
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                send_after=send_after,
                client=appointment.client,
                appointment=appointment,
                attach_ics=attach_ics and channel == Channel.EMAIL,
            )
        )
    return drafts


def _reminder_drafts(appointment: Appointment, context: dict[str, Any]) -> list[Draft]:
    """Preparation (email) and reminders, as planned for the appointment's start."""
    treatment = appointment.treatment
    plan = plan_appointment_messages(
        start=appointment.start,
        tz=appointment.site.tzinfo,
        now=clock.now(),
        reminder_hours=reminder_hours(),
        preparation_hours=int(policy_value("PREPARATION_HOURS")),
        window=send_window(),
    )
    drafts = []
    stamp = _stamp(appointment.start)
    for planned in plan:
        if planned.kind == MessageKind.PREPARATION:
            drafts += _appointment_drafts(
                appointment,
                MessageKind.PREPARATION,
                planned.send_at,
                stamp,
                context=context | {"swelling_expected": treatment.swelling_expected},
                sms=False,
            )
        else:
            drafts += _appointment_drafts(
                appointment,
                MessageKind.REMINDER,
                planned.send_at,
                planned.label,
                stamp,
                context=context,
            )
    return drafts


def _cancel_pending(appointment: Appointment, kinds: tuple[str, ...]) -> int:
    return Message.objects.filter(
        appointment=appointment, kind__in=kinds, status=MessageStatus.PENDING
    ).update(status=MessageStatus.CANCELLED)


def _policy_text() -> str:
    from mesoclinic.billing.policy import cancellation_policy

    return cancellation_policy().summary()


def appointments_booked_queue(*, appointments: Sequence[Appointment]) -> None:
    """Queue the messages of new bookings (one course's sessions, or one appointment):
    one task row in the caller's transaction, which the worker runs as
    :func:`appointments_booked_notify` (rendering and writing about seven messages and
    their delivery tasks took a third of a booking's time). With a task backend kept
    elsewhere, the task is queued when the transaction commits."""
    from mesoclinic.messaging.tasks import booking_messages_write

    ids = [appointment.pk for appointment in appointments]
    if not ids:
        return
    if _backend_beside(booking_messages_write, Appointment) is not None:
        booking_messages_write.enqueue(ids)
    else:
        transaction.on_commit(lambda: booking_messages_write.enqueue(ids))


def booking_messages_write(*, appointment_ids: Sequence[int]) -> list[Message]:
    """What the queued task does: :func:`appointments_booked_notify` for the appointments
    as they stand now (those cancelled meanwhile get none; one moved meanwhile is
    confirmed at its new time). Safe to run twice: messages are found by their keys."""
    appointments = list(
        Appointment.objects.filter(pk__in=list(appointment_ids))
        .select_related("client", "site", "treatment")
        .order_by("session_number", "start", "pk")
    )
    return appointments_booked_notify(appointments=appointments)


def appointments_booked_notify(*, appointments: Sequence[Appointment]) -> list[Message]:
    """Confirmation (email with .ics, and SMS), preparation and reminders for new
    bookings (one appointment, or a course's sessions), all in one ``INSERT``.
    Appointments no longer booked are skipped."""
    booked = [a for a in appointments if a.status == AppointmentStatus.BOOKED]
    if not booked:
        return []
    policy_text = _policy_text()
    drafts: list[Draft] = []
    contexts = [content.appointment_context(appointment) for appointment in booked]
    course_id = booked[0].course_id
    if len(booked) > 1 and course_id and all(a.course_id == course_id for a in booked):
        # A course: ONE confirmation per channel listing every session, with each
        # session's calendar file attached (see ``_attachments``).
        sessions = [
            context | {"number": appointment.session_number}
            for appointment, context in zip(booked, contexts, strict=True)
        ]
        drafts += _appointment_drafts(
            booked[0],
            MessageKind.CONFIRMATION,
            clock.now(),
            COURSE_KEY_PART,
            context=contexts[0] | {"policy_text": policy_text, "sessions": sessions},
            attach_ics=True,
        )
    else:
        for appointment, context in zip(booked, contexts, strict=True):
            drafts += _appointment_drafts(
                appointment,
                MessageKind.CONFIRMATION,
                clock.now(),
                context=context | {"policy_text": policy_text},
                attach_ics=True,
            )
    for appointment, context in zip(booked, contexts, strict=True):
        drafts += _reminder_drafts(appointment, context)
    return messages_schedule(drafts)


COURSE_KEY_PART = "course"
"""Marks a course's one confirmation in its key: it carries every session's .ics."""


def appointment_rescheduled_notify(*, appointment: Appointment) -> list[Message]:
    """Tell the client the new time (updated .ics) and re-plan reminders for it."""
    context = content.appointment_context(appointment)
    drafts = _appointment_drafts(
        appointment,
        MessageKind.RESCHEDULED,
        clock.now(),
        _stamp(appointment.start),
        context=context,
        attach_ics=True,
    )
    drafts += _reminder_drafts(appointment, context)
    with transaction.atomic():
        _cancel_pending(appointment, (MessageKind.REMINDER, MessageKind.PREPARATION))
        return messages_schedule(drafts)


def appointment_cancelled_notify(*, appointment: Appointment) -> list[Message]:
    """Stop the reminders and send a cancellation (with a cancelling .ics)."""
    drafts = _appointment_drafts(
        appointment,
        MessageKind.CANCELLATION,
        clock.now(),
        context=content.appointment_context(appointment),
        attach_ics=True,
    )
    with transaction.atomic():
        _cancel_pending(
            appointment,
            (MessageKind.REMINDER, MessageKind.PREPARATION, MessageKind.CONFIRMATION),
        )
        return messages_schedule(drafts)


def record_signed_notify(
    *, appointment: Appointment, reactions: Sequence[str] = ()
) -> list[Message]:
    """Aftercare advice by email once the treatment record is signed (once per appointment),
    with advice for the reactions the record noted (under-eye swelling, a bruise by size)."""
    treatment = appointment.treatment
    facts = AftercareFacts(
        treatment_name=treatment.name,
        needs_needle=treatment.needs_needle,
        swelling_expected=treatment.swelling_expected,
        under_eye="under-eye" in (treatment.areas or []) or treatment.code == "under-eye",
        clinic_text=treatment.aftercare,
        side_effects=tuple(str(effect) for effect in treatment.expected_side_effects or ()),
        reactions=tuple(reactions),
    )
    drafts = _appointment_drafts(
        appointment,
        MessageKind.AFTERCARE,
        clock.now(),
        context=content.appointment_context(appointment)
        | {"points": aftercare_points(facts), "when_to_call": WHEN_TO_CALL},
        sms=False,
    )
    return messages_schedule(drafts)


def account_email_send(
    *, kind: str, email: str, context: dict[str, Any], site: Site | None, link_ref: str = ""
) -> Message:
    """Send an account email (verification, password reset, ...) at once, not tied to a
    client. With ``link_ref`` the body says :data:`~mesoclinic.messaging.links.LINK_MARKER`
    where ``{{ link }}`` is, and the real one-time link is made only when it is sent."""
    site = site or Site.objects.order_by("pk").first()
    context = context | {"site": site, "link": LINK_MARKER if link_ref else ""}
    tz = site.tzinfo if site else ZoneInfo("UTC")
    subject, body = content.render(Channel.EMAIL, kind, context, tz)
    return message_schedule(
        key=f"account:{kind}:{uuid.uuid4().hex}",
        kind=kind,
        channel=Channel.EMAIL,
        recipient=email,
        subject=subject,
        body=body,
        send_after=clock.now(),
        link_ref=link_ref,
    )


def maintenance_due_scan(*, notice_days: int | None = None) -> list[Message]:
    """Remind clients whose maintenance session falls due within ``notice_days``.

    For each client and treatment with an open-ended (maintenance) phase in its protocol,
    the due date is the last fulfilled session plus the phase's gap. Clients who already
    have a future booking for the treatment are left alone. One message per due date.
    """
    notice = (
        notice_days
        if notice_days is not None
        else int(_policy().get("MAINTENANCE_NOTICE_DAYS", 14))
    )
    now = clock.now()
    messages: list[Message] = []
    fulfilled = (
        Appointment.objects.filter(status=AppointmentStatus.FULFILLED)
        .select_related("client", "treatment__default_protocol", "site")
        .order_by("client_id", "treatment_id", "-start")
    )
    seen: set[tuple[int, int]] = set()
    for appointment in fulfilled:
        pair = (appointment.client_id, appointment.treatment_id)
        if pair in seen:
            continue
        seen.add(pair)
        phase = (
            appointment.treatment.default_protocol.phases.filter(count__isnull=True)
            .order_by("order")
            .first()
        )
        if phase is None:
            continue
        tz = appointment.site.tzinfo
        due_on = appointment.start.astimezone(tz).date() + dt.timedelta(days=phase.gap_days)
        today = now.astimezone(tz).date()
        if not today <= due_on <= today + dt.timedelta(days=notice):
            continue
        booked_ahead = Appointment.objects.filter(
            client_id=appointment.client_id,
            treatment_id=appointment.treatment_id,
            status=AppointmentStatus.BOOKED,
            start__gt=now,
        ).exists()
        if booked_ahead:
            continue
        client = appointment.client
        context = content.appointment_context(appointment) | {"due_on": due_on}
        for channel, recipient in _channels_for(client, True):
            subject, body = content.render(channel, MessageKind.MAINTENANCE_DUE, context, tz)
            messages.append(
                message_schedule(
                    key=f"client:{client.pk}:maintenance:{appointment.treatment.code}:{due_on}:{channel}",
                    kind=MessageKind.MAINTENANCE_DUE,
                    channel=channel,
                    recipient=recipient,
                    subject=subject,
                    body=body,
                    send_after=next_in_window(now, tz, send_window()),
                    client=client,
                )
            )
    return messages
