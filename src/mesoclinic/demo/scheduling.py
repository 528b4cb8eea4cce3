"""Courses in progress for the demo clinic, booked through the course planner.

Idempotent: a client who already has a course of the treatment is left alone. A course the
screening or the calendar refuses is skipped (the demo must load on any day).
"""

from __future__ import annotations

import datetime as dt
import logging

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.errors import DomainError
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.scheduling.models import Course
from mesoclinic.scheduling.services import course_book

logger = logging.getLogger(__name__)

# (client email, treatment, practitioner, first session in N days, sessions)
DEMO_COURSES = [
    ("amelia.hart@example.com", "face-revitalise", "nurse-lewis", 1, 10),
    ("sophie.carter@example.com", "pigmentation", "dr-patel", 2, 10),
    ("noah.fletcher@example.com", "scalp-hair", "nurse-okafor", 1, 10),
    ("ava.nakamura@example.com", "chin-jowl-fat", "dr-patel", 3, 4),
    ("ella.thornton@example.com", "body-cellulite", "nurse-lewis", 2, 6),
    ("zara.qureshi@example.com", "no-needle-infusion", "therapist-ng", 1, 1),
]


def load_scheduling_demo() -> None:
    """Book the demo's courses in progress (skipping any already there)."""
    today = clock.today()
    for email, treatment_code, practitioner_code, in_days, sessions in DEMO_COURSES:
        client = Client.objects.filter(email=email).first()
        treatment = Treatment.objects.get(code=treatment_code)
        if client is None or Course.objects.filter(client=client, treatment=treatment).exists():
            continue
        try:
            course_book(
                actor=None,
                client=client,
                treatment=treatment,
                start_date=today + dt.timedelta(days=in_days),
                practitioner=Practitioner.objects.get(code=practitioner_code),
                sessions=sessions,
            )
        except DomainError as refusal:
            logger.info("Demo course for %s not booked: %s", email, refusal.message)
