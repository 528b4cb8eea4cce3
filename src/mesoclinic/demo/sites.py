"""The demo clinic's second site, Manchester: its rooms, devices and opening hours, the nurse
who works only there, its receptionist, and Dr Patel's Saturdays there (she works in London
Monday to Friday). Every person here is fictional. Idempotent, like the rest of the demo."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesoclinic.core import clock
from mesoclinic.demo import data
from mesoclinic.people import practitioner_services
from mesoclinic.people import services as people
from mesoclinic.people.models import (
    Device,
    OpeningHours,
    Organisation,
    Practitioner,
    Role,
    Room,
    Site,
)

SITE = {
    "code": "manchester",
    "name": "Mesoclinic Manchester",
    "time_zone": "Europe/London",
    "address": "2 Example Street, Manchester M1 0AA (fictional)",
    "phone": "0161 496 0000",
    "holiday_country": "GB",
    "holiday_subdivision": "ENG",
    "numbing_lounge_capacity": 2,
}
OPEN_WEEKDAYS = range(1, 6)  # Tuesday to Saturday
OPENS, CLOSES = dt.time(10, 0), dt.time(19, 0)

ROOMS = [("mcr-room-1", "Manchester room 1"), ("mcr-room-2", "Manchester room 2")]
DEVICES = [
    ("mcr-dermafrac", "DermaFrac (Manchester)", "dermafrac"),
    ("mcr-mesotherapy-gun", "Mesotherapy gun (Manchester)", "mesotherapy-gun"),
]
"""Manchester gives the scalp gun and DermaFrac treatments; the other device treatments are
London's only (no device of their kind here)."""

NURSE = {
    "code": "nurse-shaw",
    "title": "",
    "given_name": "Daniel",
    "family_name": "Shaw",
    "profession": "nurse",
    "registration_body": "NMC",
    "registration_number": "18D1357E",
    "prescriber_qualification": "Nurse independent prescriber (V300)",
    "insurance_provider": "Example Medical Indemnity (fictional)",
}
NURSE_WEEK = dict.fromkeys(OPEN_WEEKDAYS, (OPENS, CLOSES))
"""Daniel Shaw works only in Manchester, whenever it is open."""

SHARED = "dr-patel"
SHARED_WEEK = {5: (dt.time(10, 0), dt.time(16, 0))}
"""Dr Patel's Manchester day: Saturday (London has her Monday to Friday)."""

RECEPTION = "reception-manchester"


def load_second_site() -> list[tuple[str, str]]:
    """Create or refresh Manchester; return its new logins as ``(username, role)``."""
    site = _load_site()
    nurse = _load_nurse()
    practitioner_services.working_week_set(
        actor=None, practitioner=nurse, site=site, week=NURSE_WEEK
    )
    shared = Practitioner.objects.get(code=SHARED)
    practitioner_services.working_week_set(
        actor=None, practitioner=shared, site=site, week=SHARED_WEEK
    )
    people.staff_user_ensure(
        username=nurse.code,
        password=data.DEMO_PASSWORD,
        roles=[Role.PRACTITIONER],
        practitioner=nurse,
        site=site,
    )
    people.staff_user_ensure(
        username=RECEPTION, password=data.DEMO_PASSWORD, roles=[Role.RECEPTION], site=site
    )
    return [(nurse.code, Role.PRACTITIONER), (RECEPTION, Role.RECEPTION)]


def _load_site() -> Site:
    organisation = Organisation.objects.get(code=data.ORGANISATION["code"])
    site, _ = Site.objects.update_or_create(
        code=SITE["code"],
        defaults={**{k: v for k, v in SITE.items() if k != "code"}, "organisation": organisation},
    )
    for weekday in OPEN_WEEKDAYS:
        OpeningHours.objects.update_or_create(
            site=site, weekday=weekday, defaults={"opens": OPENS, "closes": CLOSES}
        )
    for code, name in ROOMS:
        Room.objects.update_or_create(code=code, defaults={"name": name, "site": site})
    for code, name, device_type in DEVICES:
        Device.objects.update_or_create(
            code=code, defaults={"name": name, "site": site, "device_type": device_type}
        )
    return site


def _load_nurse() -> Practitioner:
    defaults: dict[str, Any] = {k: v for k, v in NURSE.items() if k != "code"}
    if not Practitioner.objects.filter(code=NURSE["code"]).exists():
        today = clock.today()  # dates are set once, so a later run does not move them
        a_year = today.replace(year=today.year + 1, day=min(today.day, 28))
        defaults |= {
            "registration_expires_on": today.replace(year=today.year + 2, day=min(today.day, 28)),
            "prescriber_expires_on": a_year,
            "insurance_expires_on": a_year,
        }
    practitioner, _ = Practitioner.objects.update_or_create(code=NURSE["code"], defaults=defaults)
    return practitioner
