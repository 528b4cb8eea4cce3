"""Reference data: treatments, protocols, practitioners, formulations, sites, devices."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from mesoclinic.catalogue import selectors as catalogue
from mesoclinic.core.money import MoneyDict, money
from mesoclinic.people.models import Practitioner
from mesoclinic.people.roles import Access, require
from mesoclinic.people.selectors import practitioner_list

router = Router(tags=["reference data"])


class MoneyOut(Schema):
    amount: str
    currency: str


class TreatmentOut(Schema):
    code: str
    name: str
    description: str
    areas: list[str]
    treatment_minutes: int
    numbing_minutes: int
    price: MoneyOut
    needs_needle: bool
    requires_prescriber: bool
    swelling_expected: bool
    device_type: str | None
    default_protocol: str
    default_formulation: str | None
    risk_tier: str
    primary_scale: str | None


class PhaseOut(Schema):
    name: str
    count: int | None
    gap_days: int
    tolerance_days: int
    min_gap_days: int | None


class ProtocolOut(Schema):
    code: str
    name: str
    phases: list[PhaseOut]


class RegistrationOut(Schema):
    body: str
    number: str
    expires_on: dt.date | None


class PractitionerOut(Schema):
    code: str
    name: str
    profession: str
    registration: RegistrationOut | None
    prescriber: bool
    prescriber_expires_on: dt.date | None
    insurance_expires_on: dt.date | None


class IngredientOut(Schema):
    code: str
    name: str


class FormulationOut(Schema):
    code: str
    name: str
    ingredients: list[IngredientOut]
    contains_toxin: bool
    regulatory_class: str
    unit: str
    illustrative: bool


def _price(amount: object) -> MoneyDict:
    return money(amount)  # type: ignore[arg-type]


@router.get("/treatments", response=list[TreatmentOut])
def treatments(request: HttpRequest) -> list[dict[str, object]]:
    """Every active treatment with its durations, price and scope flags."""
    require(request.user, Access.STAFF)
    return [
        {
            "code": t.code,
            "name": t.name,
            "description": t.description,
            "areas": t.areas,
            "treatment_minutes": t.treatment_minutes,
            "numbing_minutes": t.numbing_minutes,
            "price": _price(t.price),
            "needs_needle": t.needs_needle,
            "requires_prescriber": t.requires_prescriber,
            "swelling_expected": t.swelling_expected,
            "device_type": t.device_type or None,
            "default_protocol": t.default_protocol.code,
            "default_formulation": t.default_formulation.code if t.default_formulation else None,
            "risk_tier": t.risk_tier,
            "primary_scale": t.primary_scale or None,
        }
        for t in catalogue.treatment_list()
    ]


@router.get("/protocols", response=list[ProtocolOut])
def protocols(request: HttpRequest) -> list[dict[str, object]]:
    """Course protocols with their phases (gaps and tolerances in days)."""
    require(request.user, Access.STAFF)
    return [
        {"code": p.code, "name": p.name, "phases": list(p.phases.all())}
        for p in catalogue.protocol_list()
    ]


def practitioner_out(practitioner: Practitioner) -> dict[str, object]:
    registration = (
        {
            "body": practitioner.registration_body,
            "number": practitioner.registration_number,
            "expires_on": practitioner.registration_expires_on,
        }
        if practitioner.registration_body
        else None
    )
    return {
        "code": practitioner.code,
        "name": practitioner.display_name,
        "profession": practitioner.profession,
        "registration": registration,
        "prescriber": practitioner.is_prescriber,
        "prescriber_expires_on": practitioner.prescriber_expires_on,
        "insurance_expires_on": practitioner.insurance_expires_on,
    }


@router.get("/practitioners", response=list[PractitionerOut])
def practitioners(request: HttpRequest) -> list[dict[str, object]]:
    """Active practitioners with their registration and prescribing credentials."""
    require(request.user, Access.STAFF)
    return [practitioner_out(p) for p in practitioner_list()]


@router.get("/formulations", response=list[FormulationOut])
def formulations(request: HttpRequest) -> list[object]:
    """Active formulations with their ingredient lists."""
    require(request.user, Access.STAFF)
    return list(catalogue.formulation_list())
