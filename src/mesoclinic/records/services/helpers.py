"""Helpers the record services share: who the actor is, the session's local day, and how
a product is dosed and taken from stock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from mesoclinic.catalogue.models import Formulation, Unit
from mesoclinic.core.audit import Actor
from mesoclinic.records.services.inputs import ProductInput
from mesoclinic.scheduling.models import Appointment


def _label(actor: Actor) -> str:
    return actor.get_username() if isinstance(actor, AbstractBaseUser) else "system"


def _user(actor: Actor) -> Any:
    return actor if isinstance(actor, AbstractBaseUser) else None


def _session_day(appointment: Appointment) -> dt.date:
    """The appointment's calendar day at its site (expiry and screening are by local date)."""
    return appointment.treatment_start.astimezone(appointment.site.tzinfo).date()


def _planned_formulation(appointment: Appointment) -> Formulation | None:
    return appointment.formulation or appointment.treatment.default_formulation


def _is_unit_dosed(formulation: Formulation) -> bool:
    return formulation.contains_toxin or formulation.unit == Unit.UNITS


def _stock_quantity(formulation: Formulation, product: ProductInput) -> Decimal:
    """How much of the batch a product use consumes, in the formulation's stock unit."""
    if formulation.unit == Unit.UNITS:
        return product.units or Decimal(0)
    return product.volume_ml
