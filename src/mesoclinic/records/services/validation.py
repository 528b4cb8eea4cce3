"""Validating a record before anything is written: each product's formulation and batch
(unknown, another product's, expired, not enough stock), the treated areas and their
chart points, the device against the one the appointment reserved, and that the
appointment is still open for recording."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mesoclinic.catalogue.models import Batch, Formulation, Unit
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.core.lookups import get_by_code
from mesoclinic.people.models import Device
from mesoclinic.records.checks import NOT_RESERVED_BECAUSE
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import Technique, TreatmentRecord
from mesoclinic.records.services.helpers import (
    _is_unit_dosed,
    _planned_formulation,
    _stock_quantity,
)
from mesoclinic.records.services.inputs import AreaInput, ProductInput
from mesoclinic.scheduling.models import Appointment, AppointmentStatus


@dataclass(frozen=True)
class _ResolvedProduct:
    formulation: Formulation
    batch: Batch
    product: ProductInput


def _resolve_batch(index: int, product: ProductInput, formulation: Formulation) -> Batch:
    lot = product.lot.strip()
    candidates = list(Batch.objects.filter(lot=lot).select_related("formulation"))
    batch = next((b for b in candidates if b.formulation_id == formulation.pk), None)
    if batch is not None:
        return batch
    if candidates:
        other = candidates[0].formulation.code
        raise RuleRefused(
            RecordError.BATCH_MISMATCH,
            f"Lot {lot} is a batch of {other}, not of {formulation.code}.",
            details={"product": index, "lot": lot, "batch_formulation": other},
        )
    raise InvalidInput(
        RecordError.UNKNOWN_BATCH,
        f"No batch with lot {lot!r} is in stock records.",
        details={"product": index, "lot": lot},
    )


def _resolve_product(
    index: int, product: ProductInput, appointment: Appointment, day: dt.date
) -> _ResolvedProduct:
    formulation = Formulation.objects.filter(code=product.formulation).first()
    if formulation is None:
        raise InvalidInput(
            RecordError.UNKNOWN_FORMULATION,
            f"No formulation with code {product.formulation!r}.",
            details={"product": index, "formulation": product.formulation},
        )
    batch = _resolve_batch(index, product, formulation)
    planned = _planned_formulation(appointment)
    if planned is not None and planned.pk != formulation.pk:
        raise RuleRefused(
            RecordError.BATCH_MISMATCH,
            f"Lot {batch.lot} is {formulation.code}, but this session is planned with "
            f"{planned.code}.",
            details={"product": index, "lot": batch.lot, "planned_formulation": planned.code},
        )
    if batch.expired_on(day):
        raise RuleRefused(
            RecordError.BATCH_EXPIRED,
            f"Lot {batch.lot} expired on {batch.expires_on:%d %b %Y}; do not use it.",
            details={"product": index, "lot": batch.lot, "expires_on": batch.expires_on},
        )
    _check_amounts(index, product, formulation)
    return _ResolvedProduct(formulation=formulation, batch=batch, product=product)


def _check_amounts(index: int, product: ProductInput, formulation: Formulation) -> None:
    if _is_unit_dosed(formulation) and not product.units:
        raise InvalidInput(
            RecordError.UNITS_REQUIRED,
            f"{formulation.name} is dosed in its brand's units: give the units used.",
            details={"product": index, "field": "units"},
        )
    if formulation.unit == Unit.ML and product.volume_ml <= 0:
        raise InvalidInput(
            RecordError.INVALID_VOLUME,
            "The volume used must be more than 0 mL.",
            details={"product": index, "field": "volume_ml"},
        )


def _check_stock(resolved: Sequence[_ResolvedProduct]) -> None:
    needed: dict[int, Decimal] = defaultdict(Decimal)
    for item in resolved:
        needed[item.batch.pk] += _stock_quantity(item.formulation, item.product)
    for index, item in enumerate(resolved):
        batch = item.batch
        if batch.quantity_on_hand <= 0 or batch.quantity_on_hand < needed[batch.pk]:
            raise RuleRefused(
                RecordError.BATCH_EMPTY,
                f"Lot {batch.lot} has {batch.quantity_on_hand} {item.formulation.unit} left, "
                f"not enough for {needed[batch.pk]}.",
                details={
                    "product": index,
                    "lot": batch.lot,
                    "quantity_on_hand": str(batch.quantity_on_hand),
                },
            )


def _check_areas(areas: Sequence[AreaInput]) -> None:
    for index, area in enumerate(areas):
        if area.technique not in Technique.values:
            raise InvalidInput(
                "unknown_technique",
                f"Unknown technique {area.technique!r}; use {', '.join(Technique.values)}.",
                details={"area": index, "field": "technique"},
            )
        if len(area.chart_points) > area.points:
            raise RuleRefused(
                RecordError.TOO_MANY_CHART_POINTS,
                f"{len(area.chart_points)} points are charted for {area.area} but the area "
                f"records {area.points} injection points.",
                details={"area": index, "field": "points"},
            )
        for point in area.chart_points:
            if not (0 <= point.x <= 1 and 0 <= point.y <= 1):
                raise InvalidInput(
                    "invalid_chart_point",
                    "Chart coordinates are normalised: x and y from 0 to 1.",
                    details={"area": index, "x": point.x, "y": point.y},
                )


def _device_by_code(code: str | None) -> Device | None:
    if not code:
        return None
    return get_by_code(
        Device.objects.all(), code, error_code=RecordError.UNKNOWN_DEVICE, noun="device"
    )


def _reserved_device(
    appointment: Appointment,
    named: Device | None,
    device_settings: Mapping[str, Any] | None,
    reason: str,
) -> tuple[Device | None, dict[str, Any]]:
    """The record's device: the one the appointment reserved, unless the record names
    another and says why (422 ``device_not_reserved`` otherwise)."""
    settings = dict(device_settings or {})
    reason = " ".join(reason.split())[:500]
    if named is None or named.pk == appointment.device_id:
        settings.pop(NOT_RESERVED_BECAUSE, None)
        return appointment.device, settings
    if not reason:
        reserved = appointment.device
        raise RuleRefused(
            RecordError.DEVICE_NOT_RESERVED,
            (
                f"This session reserved {reserved.name}, not {named.name}"
                if reserved is not None
                else f"No device was reserved for this session, so not {named.name}"
            )
            + ": record the reserved device, or say why another was used.",
            details={
                "device": named.code,
                "reserved": reserved.code if reserved is not None else None,
                "field": "device_reason",
            },
        )
    settings[NOT_RESERVED_BECAUSE] = reason
    return named, settings


def _check_appointment_open(appointment: Appointment) -> TreatmentRecord | None:
    if appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW):
        raise Conflict(
            RecordError.APPOINTMENT_NOT_ACTIVE,
            f"The appointment is {appointment.get_status_display().lower()}; nothing to record.",
            details={"status": appointment.status},
        )
    existing = TreatmentRecord.objects.filter(appointment=appointment).first()
    if existing is not None and existing.is_signed:
        raise Conflict(
            RecordError.RECORD_SIGNED,
            "This session's record is signed; add an addendum instead.",
            details={"record": str(existing.pk)},
        )
    return existing
