"""Loads the demo clinic through the services. Idempotent: a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from mesoclinic.catalogue import services as catalogue
from mesoclinic.catalogue.models import Batch, Formulation
from mesoclinic.core import clock
from mesoclinic.demo import data
from mesoclinic.demo.billing import load_billing_demo
from mesoclinic.demo.outcomes import load_outcomes_demo
from mesoclinic.demo.records import load_records_demo
from mesoclinic.demo.safety import load_safety_demo
from mesoclinic.demo.scheduling import load_scheduling_demo
from mesoclinic.demo.sites import load_second_site
from mesoclinic.people import services as people
from mesoclinic.people.models import (
    Client,
    Device,
    OpeningHours,
    Organisation,
    Practitioner,
    Role,
    Room,
    Site,
    WorkingHours,
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def demo_load(*, with_history: bool = True) -> list[DemoLogin]:
    """Create or refresh the demo clinic; return the staff logins to print.

    ``with_history`` adds past treatment sessions, outcomes, an adverse event and courses in
    progress; tests that need an empty history and calendar load the clinic without it.
    """
    with transaction.atomic():
        site = _load_site()
        practitioners = _load_practitioners(site)
        _load_catalogue()
        _load_clients(site)
        logins = _load_staff(site, practitioners)
        logins += [DemoLogin(name, data.DEMO_PASSWORD, role) for name, role in load_second_site()]
        load_safety_demo()
        if with_history:
            load_records_demo()
            load_scheduling_demo()
            load_outcomes_demo()
            load_billing_demo()
    return logins


def _load_site() -> Site:
    organisation, _ = Organisation.objects.update_or_create(
        code=data.ORGANISATION["code"], defaults={"name": data.ORGANISATION["name"]}
    )
    site, _ = Site.objects.update_or_create(
        code=data.SITE["code"],
        defaults={
            **{k: v for k, v in data.SITE.items() if k != "code"},
            "organisation": organisation,
        },
    )
    for weekday in data.OPEN_WEEKDAYS:
        OpeningHours.objects.update_or_create(
            site=site, weekday=weekday, defaults={"opens": data.OPENS, "closes": data.CLOSES}
        )
    for code, name in data.ROOMS:
        Room.objects.update_or_create(code=code, defaults={"name": name, "site": site})
    for code, name, device_type in data.DEVICES:
        Device.objects.update_or_create(
            code=code, defaults={"name": name, "site": site, "device_type": device_type}
        )
    return site


def _years_from(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def _load_practitioners(site: Site) -> list[Practitioner]:
    today = clock.today()
    practitioners = []
    for (
        code,
        title,
        given,
        family,
        profession,
        body,
        number,
        years,
        prescriber,
        weekdays,
    ) in data.PRACTITIONERS:
        existing = Practitioner.objects.filter(code=code).first()
        defaults: dict[str, Any] = {
            "title": title,
            "given_name": given,
            "family_name": family,
            "profession": profession,
            "registration_body": body,
            "registration_number": number,
            "prescriber_qualification": prescriber,
            "insurance_provider": "Example Medical Indemnity (fictional)",
        }
        if existing is None:  # dates are set once, so a later run does not move them
            defaults |= {
                "registration_expires_on": _years_from(today, years) if body else None,
                "prescriber_expires_on": _years_from(today, 1) if prescriber else None,
                "insurance_expires_on": _years_from(today, 1),
            }
        practitioner, _ = Practitioner.objects.update_or_create(code=code, defaults=defaults)
        practitioner.sites.add(site)
        for weekday in weekdays:
            WorkingHours.objects.update_or_create(
                practitioner=practitioner,
                site=site,
                weekday=weekday,
                defaults={"starts": data.OPENS, "ends": data.CLOSES},
            )
        practitioners.append(practitioner)
    return practitioners


def _load_catalogue() -> None:
    groups = {
        code: catalogue.allergen_group_upsert(code=code, name=name, synonyms=synonyms)
        for code, name, synonyms in data.ALLERGEN_GROUPS
    }
    ingredients = {
        code: catalogue.ingredient_upsert(
            code=code,
            name=name,
            ingredient_class=kind,
            synonyms=synonyms,
            allergen_groups=[groups[group] for group in group_codes],
        )
        for code, name, kind, synonyms, group_codes in data.INGREDIENTS
    }
    formulations = {
        code: catalogue.formulation_upsert(
            code=code,
            name=name,
            ingredients=[ingredients[i] for i in ingredient_codes],
            contains_toxin=toxin,
            regulatory_class=regulatory,
            unit=unit,
            illustrative=True,
        )
        for code, name, ingredient_codes, toxin, regulatory, unit in data.FORMULATIONS
    }
    for formulation in formulations.values():
        _load_batches(formulation)
    protocols = {
        code: catalogue.protocol_upsert(
            code=code,
            name=name,
            phases=[
                {
                    "name": phase,
                    "count": count,
                    "gap_days": gap,
                    "tolerance_days": tolerance,
                    "min_gap_days": minimum,
                }
                for phase, count, gap, tolerance, minimum in phases
            ],
            description=data.PROTOCOL_NOTES.get(code, ""),
        )
        for code, name, phases in data.PROTOCOLS
    }
    for spec in data.TREATMENTS:
        fields = dict(spec)
        catalogue.treatment_upsert(
            default_formulation=formulations.get(fields.pop("formulation")),
            default_protocol=protocols[fields.pop("protocol")],
            expected_side_effects=data.INJECTABLE_EFFECTS if fields["needs_needle"] else [],
            **fields,
        )


def _load_batches(formulation: Formulation) -> None:
    """Two batches per product: one with a year to run, one expiring within a month."""
    if Batch.objects.filter(formulation=formulation).exists():
        return
    today = clock.today()
    stem = formulation.code.upper().replace("-", "")[:6]
    for suffix, expires_on in (("A", _years_from(today, 1)), ("B", today + dt.timedelta(days=21))):
        catalogue.batch_receive(
            actor=None,
            formulation=formulation,
            lot=f"{stem}-{today:%y}{suffix}",
            expires_on=expires_on,
            quantity=data.BATCH_QUANTITY,
        )


def _load_clients(site: Site) -> None:
    for given, family, birth_date, sex, email in data.CLIENTS:
        if not Client.objects.filter(email=email).exists():
            people.client_create(
                actor=None,
                given_name=given,
                family_name=family,
                birth_date=birth_date,
                sex=sex,
                email=email,
                phone="07700 900" + str(100 + len(email))[-3:],
                home_site=site,
            )


def _load_staff(site: Site, practitioners: list[Practitioner]) -> list[DemoLogin]:
    logins = [DemoLogin("admin", data.DEMO_PASSWORD, Role.ADMIN)]
    people.staff_user_ensure(
        username="admin", password=data.DEMO_PASSWORD, roles=[Role.ADMIN], site=site
    )
    for practitioner in practitioners:
        people.staff_user_ensure(
            username=practitioner.code,
            password=data.DEMO_PASSWORD,
            roles=[Role.PRACTITIONER],
            practitioner=practitioner,
            site=site,
        )
        logins.append(DemoLogin(practitioner.code, data.DEMO_PASSWORD, Role.PRACTITIONER))
    people.staff_user_ensure(
        username="reception", password=data.DEMO_PASSWORD, roles=[Role.RECEPTION], site=site
    )
    logins.append(DemoLogin("reception", data.DEMO_PASSWORD, Role.RECEPTION))
    return logins
