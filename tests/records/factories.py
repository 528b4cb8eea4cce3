"""Factories for the records tests: appointments made directly, batches with known expiry,
a client whose screening is clear, and a complete record payload."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

from django.db.models import Q

from mesoclinic.catalogue.models import Batch, Formulation, Treatment
from mesoclinic.catalogue.services import batch_receive
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment


def session_start(days_ahead: int = 1, hour: int = 10) -> dt.datetime:
    """A treatment start ``days_ahead`` days from today at ``hour`` (UTC, aware)."""
    day = clock.today() + dt.timedelta(days=days_ahead)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def free_session_start(
    *,
    client_email: str = "amelia.hart@example.com",
    practitioner: str = "dr-patel",
    room: str = "room-1",
    treatment: str = "face-revitalise",
) -> dt.datetime:
    """The first weekday start from tomorrow, 10:00 to 16:00 UTC on the hour, when the
    client, practitioner and room have nothing booked (the demo's calendar moves with
    today's date, so a fixed time may be taken)."""
    span = Treatment.objects.get(code=treatment)
    before = dt.timedelta(minutes=span.numbing_minutes)
    after = dt.timedelta(minutes=span.treatment_minutes)
    for days_ahead in range(1, 15):
        for hour in range(10, 17):
            at = session_start(days_ahead, hour)
            if at.weekday() >= 5:
                break
            clash = Appointment.objects.filter(
                Q(client__email=client_email)
                | Q(practitioner__code=practitioner)
                | Q(room__code=room),
                status__in=ACTIVE_STATUSES,
                start__lt=at + after,
                busy_until__gt=at - before,
            )
            if not clash.exists():
                return at
    raise LookupError("no free start in the next two weeks")


def book(
    *,
    client_email: str = "amelia.hart@example.com",
    treatment: str = "face-revitalise",
    practitioner: str = "dr-patel",
    room: str = "room-1",
    at: dt.datetime | None = None,
    status: str = "booked",
) -> Appointment:
    """An appointment created directly (the booking service is another engineer's)."""
    at = at or session_start()
    treatment_obj = Treatment.objects.get(code=treatment)
    return Appointment.objects.create(
        client=Client.objects.get(email=client_email),
        treatment=treatment_obj,
        formulation=treatment_obj.default_formulation,
        site=Site.objects.get(code="london"),
        practitioner=Practitioner.objects.get(code=practitioner),
        room=Room.objects.get(code=room),
        start=at - dt.timedelta(minutes=treatment_obj.numbing_minutes),
        treatment_start=at,
        end=at + dt.timedelta(minutes=treatment_obj.treatment_minutes),
        busy_until=at + dt.timedelta(minutes=treatment_obj.treatment_minutes),
        status=status,
        price=treatment_obj.price,
        booked_at=clock.now(),
    )


def receive(
    formulation: str,
    lot: str,
    *,
    expires_in_days: int = 365,
    quantity: str = "10",
) -> Batch:
    """A batch of ``formulation`` received today, expiring ``expires_in_days`` from today."""
    return batch_receive(
        actor=None,
        formulation=Formulation.objects.get(code=formulation),
        lot=lot,
        expires_on=clock.today() + dt.timedelta(days=expires_in_days),
        quantity=Decimal(quantity),
    )


def clear_screening(
    client_email: str = "amelia.hart@example.com", *, treatment: str, consent: bool = True
) -> None:
    """Give a client what screening needs to clear a treatment, when the safety app has the
    services for it: a current health questionnaire and a signed consent."""
    try:
        safety = importlib.import_module("mesoclinic.safety.services")
        consents = importlib.import_module("mesoclinic.safety.consent_services")
    except ImportError:
        return
    client = Client.objects.get(email=client_email)
    questionnaire = getattr(safety, "questionnaire_record", None)
    sign = getattr(consents, "consent_sign", None) if consent else None
    if questionnaire is not None:
        questionnaire(
            actor=None,
            client=client,
            pregnant=False,
            breastfeeding=False,
            allergies=[],
            conditions=[],
            medications=[],
        )
    if sign is not None:
        sign(
            actor=None,
            client=client,
            treatment=Treatment.objects.get(code=treatment),
            signed_name=client.full_name,
            accepted=True,
        )
    treatment_obj = Treatment.objects.get(code=treatment)
    prescription = getattr(safety, "prescription_record", None)
    if prescription is not None and treatment_obj.requires_prescriber:
        prescription(
            actor=None,
            client=client,
            prescriber=Practitioner.objects.get(code="dr-patel"),
            formulation=treatment_obj.default_formulation,
            consultation_at=clock.now() - dt.timedelta(days=1),
        )


def record_body(lot: str = "T-REV-FRESH", volume: str = "2.5", **overrides):
    """A complete record payload for a face-revitalise session."""
    body = {
        "products": [{"formulation": "revitalise-cocktail", "lot": lot, "volume_ml": volume}],
        "areas": [
            {
                "area": "forehead",
                "technique": "nappage",
                "needle_gauge": 32,
                "needle_length_mm": 4,
                "angle_deg": 45,
                "depth_mm": 2,
                "points": 3,
                "volume_ml": volume,
                "chart_map": "face",
                "chart_points": [
                    {"x": 0.4, "y": 0.2, "volume_ml": 0.05},
                    {"x": 0.5, "y": 0.22},
                    {"x": 0.6, "y": 0.2},
                ],
            }
        ],
        "numbing_used": True,
        "reactions": ["purple_dots"],
        "notes": "Tolerated well.",
    }
    body.update(overrides)
    return body


def move_clock_past(monkeypatch, appointment: Appointment) -> dt.datetime:
    """Move ``clock.now`` to five minutes after ``appointment`` ends (signing is refused
    before the treatment starts); return the new now."""
    after = appointment.end + dt.timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: after)
    return after
