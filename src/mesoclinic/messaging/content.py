"""Rendering message text from the templates under ``templates/messaging/<channel>/<kind>.txt``.

An email template's first line is the subject; the rest is the body. Dates and times are
shown in the site's time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mesoclinic.scheduling.models import Appointment


def public_url(path: str) -> str:
    """An absolute URL on the clinic's public address (``MESOCLINIC["PUBLIC_BASE_URL"]``)."""
    base = str(settings.MESOCLINIC.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}{path}"


def render(channel: str, kind: str, context: dict[str, Any], tz: ZoneInfo) -> tuple[str, str]:
    """``(subject, body)`` for a message; SMS has an empty subject."""
    with timezone.override(tz):
        text = render_to_string(f"messaging/{channel}/{kind}.txt", context)
    if channel == "sms":
        return "", " ".join(text.split())
    subject, _, body = text.strip("\n").partition("\n")
    lines = [line.rstrip() for line in body.strip("\n").splitlines()]
    cleaned: list[str] = []
    for line in lines:  # squeeze runs of blank lines left by template tags
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    return subject.strip(), "\n".join(cleaned).strip() + "\n"


def appointment_context(appointment: Appointment) -> dict[str, Any]:
    """What appointment messages may say: where, when, and the links to manage it."""
    site = appointment.site
    tz = site.tzinfo
    treatment = appointment.treatment
    return {
        "client_name": appointment.client.given_name,
        "site": site,
        "site_address": ", ".join(
            line.strip() for line in site.address.splitlines() if line.strip()
        ),
        "start_local": appointment.start.astimezone(tz),
        "treatment_start_local": appointment.treatment_start.astimezone(tz),
        "numbing_minutes": treatment.numbing_minutes,
        "treatment_name": treatment.name,
        "swelling_expected": treatment.swelling_expected,
        "account_url": public_url(reverse("portal:account")),
        "book_url": public_url(reverse("portal:book")),
        "forms_url": public_url(reverse("portal:account")),
    }


def local_date(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The local calendar date of ``moment`` in ``tz``."""
    return moment.astimezone(tz).date()
