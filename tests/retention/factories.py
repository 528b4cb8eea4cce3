"""A client's file made directly, dated in the past: appointments, a treatment record, a
questionnaire, a payment, a message, a portal account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

from tests.portal.accounts import verified_client_account
from tests.records.factories import book

from mesoclinic.billing.models import Payment
from mesoclinic.core import clock
from mesoclinic.messaging.models import Message
from mesoclinic.people.models import Client
from mesoclinic.records.models import TreatmentRecord
from mesoclinic.safety.models import HealthQuestionnaire
from mesoclinic.scheduling.models import Appointment

_serial = count(1)


def days_ago(days: int, hour: int = 10) -> dt.datetime:
    """``days`` days before today at ``hour`` UTC."""
    day = clock.today() - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def new_client(
    *,
    email: str | None = None,
    created_days_ago: int = 30,
    birth_date: dt.date = dt.date(1985, 4, 12),
) -> Client:
    """A client with contact details, created ``created_days_ago`` days ago."""
    serial = next(_serial)
    return Client.objects.create(
        given_name="Erin",
        family_name=f"Retention{serial}",
        birth_date=birth_date,
        email=email or f"erin.{serial}@example.com",
        phone="07700 900123",
        address="1 Test Street, London",
        marketing_opt_in=True,
        created_at=days_ago(created_days_ago),
    )


def appointment(client: Client, *, days: int, hour: int = 9, status: str = "fulfilled"):
    """An appointment of ``client`` ``days`` days ago (negative: in the future)."""
    at = days_ago(days, hour)
    return book(client_email=client.email, at=at, status=status, practitioner="nurse-hughes")


def treated(client: Client, *, days: int, hour: int = 9) -> TreatmentRecord:
    """A treatment record (and its appointment) ``days`` days ago."""
    visit = appointment(client, days=days, hour=hour)
    now = clock.now()
    return TreatmentRecord.objects.create(
        appointment=visit,
        client=client,
        treatment=visit.treatment,
        practitioner=visit.practitioner,
        performed_at=visit.treatment_start,
        notes="Tolerated well.",
        created_at=now,
        updated_at=now,
    )


def questionnaire(client: Client, *, days: int) -> HealthQuestionnaire:
    at = days_ago(days)
    return HealthQuestionnaire.objects.create(client=client, answered_at=at, created_at=at)


def paid(visit: Appointment, *, days: int) -> Payment:
    return Payment.objects.create(
        appointment=visit,
        kind="payment",
        method="card",
        amount=Decimal("90.00"),
        recorded_at=days_ago(days),
    )


def message(client: Client, *, days: int) -> Message:
    at = days_ago(days)
    return Message.objects.create(
        key=f"test-retention-{next(_serial)}",
        kind="reminder",
        channel="email",
        client=client,
        recipient=client.email,
        body="See you soon.",
        send_after=at,
        created_at=at,
    )


PORTAL_PASSWORD = "erasure-pass-1"


def portal_account(client: Client):
    """A verified portal account linked to ``client``."""
    account = verified_client_account(email=client.email, password=PORTAL_PASSWORD)
    account.client = client
    account.save(update_fields=["client"])
    return account
