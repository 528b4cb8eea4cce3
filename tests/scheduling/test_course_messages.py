"""A course booking sends ONE confirmation listing every session (with each session's
calendar file), not one per session (issue #14: the planner "queues 66 messages at once")."""

from __future__ import annotations

from django.core import mail
from tests.messaging.queued import booking_messages_written

from mesoclinic.messaging.models import Message
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment


def test_a_course_has_one_confirmation_listing_every_session(
    api, django_capture_on_commit_callbacks
):
    # given
    amelia = Client.objects.get(email="amelia.hart@example.com")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/courses",
            {"client": amelia.pk, "treatment": "face-revitalise", "start_date": "2027-03-01"},
        )
    assert response.status_code == 201
    assert booking_messages_written() == 1  # one task for the whole course
    # then: one confirmation per channel, not ten
    confirmations = Message.objects.filter(kind="confirmation")
    channels = set(confirmations.values_list("channel", flat=True))
    assert confirmations.count() == len(channels)
    email = confirmations.get(channel="email")
    assert email.subject == "Your course of 10 sessions at Mesoclinic London is booked"
    for number in range(1, 11):
        assert f"Session {number}: " in email.body
    # and reminders are still planned for every session
    reminded = set(Message.objects.filter(kind="reminder").values_list("appointment_id", flat=True))
    assert reminded == set(Appointment.objects.values_list("pk", flat=True))
    # and the email carries each session's calendar file
    run_pending()
    sent = next(m for m in mail.outbox if m.subject == email.subject)
    assert [name for name, _, _ in sent.attachments] == [
        f"session-{number}.ics" for number in range(1, 11)
    ]


def test_a_single_booking_still_gets_its_own_confirmation(api):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    api.post(
        "/appointments",
        {"client": amelia.pk, "treatment": "face-revitalise", "start": "2027-03-01T09:00:00+00:00"},
    )
    booking_messages_written()
    email = Message.objects.get(kind="confirmation", channel="email")
    assert email.subject == "Your appointment at Mesoclinic London is booked"
