"""Writes for practitioners in the clinic's settings: a new practitioner record, its
credentials (profession, registration, prescribing, insurance, licence, sign-off), and
its weekly working hours at each site.

The screening engine reads the credentials and availability reads the hours; both take
effect at once: the availability caches hold them only until the ``resources`` revision
clock moves, which triggers on these tables advance in the writing transaction
(scheduling migration 0004). Every change is one audited transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.errors import PeopleErrorCode as Code
from mesoclinic.people.models import (
    Practitioner,
    Profession,
    RegistrationBody,
    Site,
    Weekday,
    WorkingHours,
)

Hours = tuple[dt.time, dt.time]

PRACTITIONER_FIELDS = (
    "title",
    "given_name",
    "family_name",
    "profession",
    "registration_body",
    "registration_number",
    "registration_expires_on",
    "prescriber_qualification",
    "prescriber_expires_on",
    "insurance_provider",
    "insurance_expires_on",
    "licence_number",
    "licence_expires_on",
    "sign_off_by",
    "active",
)
"""What an administrator may change about a practitioner (``practitioner_update``)."""

_TEXT_LIMITS = {
    "title": 20,
    "given_name": 100,
    "family_name": 100,
    "registration_number": 40,
    "prescriber_qualification": 120,
    "insurance_provider": 120,
    "licence_number": 60,
}
_REQUIRED = {"given_name": "First name", "family_name": "Last name"}


def _refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput(Code.INVALID_INPUT, message, details={"field": field})


def _unique_code(given_name: str, family_name: str) -> str:
    base = slugify(f"{given_name}-{family_name}")[:44].strip("-") or "practitioner"
    code, number = base, 1
    while Practitioner.objects.filter(code=code).exists():
        number += 1
        code = f"{base}-{number}"
    return code


def practitioner_create(
    *, actor: Actor, given_name: str, family_name: str, profession: str, title: str = ""
) -> Practitioner:
    """A new practitioner record with a code made from the name; credentials are added
    with :func:`practitioner_update`. Audited."""
    fields = _checked(
        {
            "title": title,
            "given_name": given_name,
            "family_name": family_name,
            "profession": profession,
        }
    )
    with transaction.atomic():
        practitioner = Practitioner.objects.create(
            code=_unique_code(fields["given_name"], fields["family_name"]), **fields
        )
        audit_record(
            actor=actor,
            action="practitioner.create",
            obj=practitioner,
            summary=f"New practitioner {practitioner.display_name} ({practitioner.profession})",
        )
    return practitioner


def _checked(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields cleaned and checked one by one (400 ``invalid_input`` naming the field)."""
    cleaned = dict(fields)
    for field, limit in _TEXT_LIMITS.items():
        if field not in cleaned:
            continue
        value = " ".join(str(cleaned[field] or "").split())
        if field in _REQUIRED and not value:
            raise _refuse(field, f"{_REQUIRED[field]} is required.")
        if len(value) > limit:
            raise _refuse(field, f"At most {limit} characters, please.")
        cleaned[field] = value
    if "profession" in cleaned and cleaned["profession"] not in Profession.values:
        raise _refuse("profession", "Choose the practitioner's profession.")
    body = cleaned.get("registration_body")
    if body is not None and body not in ("", *RegistrationBody.values):
        raise _refuse("registration_body", "Choose a registration body, or none.")
    return cleaned


def _check_together(practitioner: Practitioner) -> None:
    """Rules across fields, on the practitioner as it would be saved."""
    if practitioner.registration_body and not practitioner.registration_number:
        raise _refuse("registration_number", "Give the registration number for that body.")
    if practitioner.registration_number and not practitioner.registration_body:
        raise _refuse("registration_body", "Say which body the registration number is with.")
    if practitioner.prescriber_qualification and practitioner.prescriber_expires_on is None:
        raise _refuse(
            "prescriber_expires_on", "Give the date the prescribing qualification expires."
        )
    if practitioner.licence_number and practitioner.licence_expires_on is None:
        raise _refuse("licence_expires_on", "Give the date the licence expires.")
    try:
        practitioner.clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise _refuse(field, " ".join(messages)) from None


def practitioner_update(
    *,
    actor: Actor,
    practitioner: Practitioner,
    sites: Collection[Site] | None = None,
    **changes: Any,
) -> list[str]:
    """Change any of ``PRACTITIONER_FIELDS`` (and the sites they work at); returns the
    names of the fields that changed. The screening engine and availability use the new
    credentials from the next request on. Nothing is saved when any value is refused."""
    unknown = set(changes) - set(PRACTITIONER_FIELDS)
    if unknown:
        raise InvalidInput(Code.INVALID_INPUT, f"Unknown fields: {', '.join(sorted(unknown))}.")
    cleaned = _checked(changes)
    fresh = Practitioner.objects.get(pk=practitioner.pk)
    changed = sorted(field for field, value in cleaned.items() if getattr(fresh, field) != value)
    for field in changed:
        setattr(fresh, field, cleaned[field])
    _check_together(fresh)
    new_sites = None if sites is None else {site.pk for site in sites}
    if new_sites is not None and new_sites != set(fresh.sites.values_list("pk", flat=True)):
        changed.append("sites")
    if not changed:
        return []
    with transaction.atomic():
        fields = [field for field in changed if field != "sites"]
        if fields:
            fresh.save(update_fields=fields)
        if new_sites is not None and "sites" in changed:
            fresh.sites.set(new_sites)
        audit_record(
            actor=actor,
            action="practitioner.update",
            obj=fresh,
            summary=f"Changed {', '.join(changed)} of {fresh.display_name}",
            data={"fields": changed},
        )
    for field in changed:
        if field != "sites":
            setattr(practitioner, field, getattr(fresh, field))
    return changed


def _hours_text(hours: Hours | None) -> str:
    return f"{hours[0]:%H:%M}–{hours[1]:%H:%M}" if hours else "not working"


def working_week_set(
    *,
    actor: Actor,
    practitioner: Practitioner,
    site: Site,
    week: Mapping[int, Hours | None],
) -> list[int]:
    """Set a practitioner's working hours at ``site`` for the weekdays in ``week`` (None:
    not working there that day); returns the weekdays that changed.

    Each day's hours end after they start, and do not overlap the practitioner's hours at
    another site that weekday (400 ``hours_overlap``): nobody works in two places at once.
    One audit entry lists the changed days; availability follows at once.
    """
    for weekday, hours in week.items():
        _check_day(practitioner, site, weekday, hours)
    current: dict[int, Hours | None] = dict.fromkeys(week)
    for row in WorkingHours.objects.filter(practitioner=practitioner, site=site):
        if row.weekday in current:
            current[row.weekday] = (row.starts, row.ends)
    changed = sorted(weekday for weekday, hours in week.items() if current[weekday] != hours)
    if not changed:
        return []
    with transaction.atomic():
        rows = WorkingHours.objects.filter(practitioner=practitioner, site=site)
        rows.filter(weekday__in=changed).delete()
        WorkingHours.objects.bulk_create(
            WorkingHours(
                practitioner=practitioner,
                site=site,
                weekday=weekday,
                starts=hours[0],
                ends=hours[1],
            )
            for weekday in changed
            if (hours := week[weekday]) is not None
        )
        practitioner.sites.add(site)
        audit_record(
            actor=actor,
            action="practitioner.working_hours",
            obj=practitioner,
            summary=f"{site.code}: "
            + "; ".join(f"{Weekday(day).label} {_hours_text(week[day])}" for day in changed),
            data={
                "site": site.code,
                "days": {
                    Weekday(day).label: {
                        "from": _hours_text(current[day]),
                        "to": _hours_text(week[day]),
                    }
                    for day in changed
                },
            },
        )
    return changed


def _check_day(practitioner: Practitioner, site: Site, weekday: int, hours: Hours | None) -> None:
    if weekday not in Weekday.values:
        raise InvalidInput(Code.INVALID_INPUT, "A weekday is 0 (Monday) to 6 (Sunday).")
    if hours is None:
        return
    name = Weekday(weekday).label
    if not hours[0] < hours[1]:
        raise _refuse(f"ends_{weekday}", f"{name}: the day must end after it starts.")
    elsewhere = (
        WorkingHours.objects.filter(
            practitioner=practitioner, weekday=weekday, starts__lt=hours[1], ends__gt=hours[0]
        )
        .exclude(site=site)
        .select_related("site")
        .first()
    )
    if elsewhere is not None:
        raise InvalidInput(
            Code.HOURS_OVERLAP,
            f"{name}: {practitioner.display_name} works at {elsewhere.site.name} "
            f"{elsewhere.starts:%H:%M}–{elsewhere.ends:%H:%M} then.",
            details={"field": f"starts_{weekday}"},
        )
