"""Writes for the records domain: one function per change, one transaction, one audit entry.

Records: :func:`record_save` validates every product batch (unknown, other product, expired,
not enough stock), re-runs screening and writes the draft record whole or not at all;
:func:`record_sign` locks it, takes the stock out of each batch and opens the follow-ups;
:func:`addendum_add` is the only change a signed record accepts.
Outcomes: :func:`assessment_record` scores with the pure scales engine and stores a
response-adaptive maintenance decision; :func:`photo_attach` strips EXIF before storing.
Safety: :func:`adverse_event_report`, :func:`follow_up_complete`, :func:`recall_contact_mark`.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from PIL import Image, ImageOps, UnidentifiedImageError

from mesoclinic.billing.account_services import package_session_use
from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.catalogue.models import Batch, Formulation, Treatment, Unit
from mesoclinic.core import clock, validation
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.core.lookups import get_by_code
from mesoclinic.messaging.services import record_signed_notify
from mesoclinic.people import roles
from mesoclinic.people.models import Client, Device
from mesoclinic.records import reactions as reaction_rules
from mesoclinic.records import scales, supervision
from mesoclinic.records.checks import (
    NOT_RESERVED_BECAUSE,
    checked_delivery,
    checked_device_settings,
    checked_reactions,
)
from mesoclinic.records.errors import RecordError
from mesoclinic.records.maintenance import decide_maintenance_interval
from mesoclinic.records.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventProduct,
    Assessment,
    AssessmentPhoto,
    ChartPoint,
    FollowUp,
    FollowUpKind,
    FollowUpOutcome,
    MaintenanceDecision,
    PhotoView,
    ProductUse,
    RatedBy,
    Reaction,
    RecallContact,
    Seriousness,
    Technique,
    TreatedArea,
    TreatmentRecord,
)
from mesoclinic.records.screening import screen_for_record
from mesoclinic.records.selectors import maintenance_config_for, treatment_for_assessment
from mesoclinic.safety.qualification import practitioner_qualified
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductInput:
    """A product as the practitioner entered it: formulation code, lot and amounts."""

    formulation: str
    lot: str
    volume_ml: Decimal
    units: Decimal | None = None
    dilution_u_per_ml: Decimal | None = None


@dataclass(frozen=True)
class ChartPointInput:
    """A point placed on a chart map, normalised 0-1, with its volume if known."""

    x: float
    y: float
    volume_ml: Decimal | None = None


@dataclass(frozen=True)
class AreaInput:
    """An area treated with the injection geometry and optional chart points."""

    area: str
    technique: str
    points: int
    volume_ml: Decimal
    needle_gauge: int | None = None
    needle_length_mm: Decimal | None = None
    angle_deg: int | None = None
    depth_mm: Decimal | None = None
    chart_map: str = ""
    chart_points: Sequence[ChartPointInput] = field(default_factory=tuple)


FOLLOW_UP_DELAYS: Mapping[str, dt.timedelta] = {
    FollowUpKind.HOURS_48: dt.timedelta(hours=48),
    FollowUpKind.WEEKS_2: dt.timedelta(weeks=2),
    FollowUpKind.WEEKS_12: dt.timedelta(weeks=12),
}
HISTORICAL_SCREENING: Mapping[str, Any] = {"outcome": "not_run", "reasons": [], "historical": True}
MAX_PHOTO_BYTES = 15 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


# --- helpers --------------------------------------------------------------------------------


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


# --- validating a record --------------------------------------------------------------------


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


# --- records --------------------------------------------------------------------------------


def record_save(
    *,
    actor: Actor,
    appointment: Appointment,
    products: Sequence[ProductInput],
    areas: Sequence[AreaInput],
    numbing_used: bool,
    reactions: Sequence[str] = (),
    pain_vas: int | None = None,
    device: str | None = None,
    device_settings: Mapping[str, Any] | None = None,
    notes: str = "",
    historical: bool = False,
    device_reason: str = "",
    delivery: str | None = None,
    bruise_cm: Decimal | None = None,
) -> TreatmentRecord:
    """Write the record of a session (replacing an unsigned draft), all or nothing.

    ``historical=True`` is for importing past sessions (demo data, migration from another
    system): screening is not re-run against today's questionnaire and consents, and the
    record says so.

    Refuses: 409 ``appointment_not_active`` / ``record_signed``; 400 for unknown
    formulation, lot, device, reaction or technique; 422 ``batch_mismatch`` (a lot of
    another product than planned), ``batch_expired`` (expired on the session day),
    ``batch_empty`` (not enough stock left) and ``screening_unresolved`` (screening has a
    reason that must be resolved before treatment; details carry the reasons),
    ``device_not_reserved`` (a device other than the one the appointment reserved, with no
    ``device_reason`` saying why; the reason is kept in the device settings as
    ``not_reserved_because``).

    ``device_settings`` follow the recorded device type's schema
    (``records.device_settings``): 400 ``unknown_device_setting`` / ``invalid_device_setting``,
    422 ``device_setting_out_of_range`` / ``device_required``. ``delivery`` is ``freehand``
    or ``device`` (default: device when a device is recorded); 400 ``unknown_delivery``,
    422 ``device_required`` / ``delivery_mismatch``. ``bruise_cm`` (the largest bruise
    across) adds its size code to the reactions (``records.checks.checked_reactions``).
    """
    _check_treating_practitioner(actor, appointment)
    existing = _check_appointment_open(appointment)
    day = _session_day(appointment)
    reaction_codes = checked_reactions(reactions, pain_vas, bruise_cm)
    _check_areas(areas)
    resolved = [
        _resolve_product(index, product, appointment, day) for index, product in enumerate(products)
    ]
    _check_stock(resolved)
    device_obj, device_settings = _reserved_device(
        appointment, _device_by_code(device), device_settings, device_reason
    )
    device_settings = checked_device_settings(device_obj, device_settings)
    delivery = checked_delivery(delivery, device_obj, areas)
    screening = (
        HISTORICAL_SCREENING
        if historical
        else screen_for_record(actor=actor, appointment=appointment, resolved_on=day)
    )
    with transaction.atomic():
        record = _write_record(
            actor=actor,
            appointment=appointment,
            existing=existing,
            fields={
                "numbing_used": numbing_used,
                "device": device_obj,
                "device_settings": device_settings,
                "delivery": delivery,
                "reactions": reaction_codes,
                "pain_vas": pain_vas,
                "bruise_cm": bruise_cm,
                "notes": notes,
                "screening": dict(screening),
            },
        )
        _write_products(record, resolved)
        _write_areas(record, areas)
        audit_record(
            actor=actor,
            action="record.update" if existing else "record.create",
            obj=record,
            client_id=record.client_id,
            summary=f"{len(resolved)} product(s), {len(areas)} area(s) for appointment "
            f"{appointment.pk}",
        )
    return record


def _write_record(
    *,
    actor: Actor,
    appointment: Appointment,
    existing: TreatmentRecord | None,
    fields: dict[str, Any],
) -> TreatmentRecord:
    now = clock.now()
    if existing is not None:
        locked = TreatmentRecord.objects.select_for_update().get(pk=existing.pk)
        if locked.is_signed:
            raise Conflict(RecordError.RECORD_SIGNED, "This session's record was just signed.")
        locked.products.all().delete()
        locked.areas.all().delete()
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.updated_at = now
        locked.save()
        return locked
    return TreatmentRecord.objects.create(
        appointment=appointment,
        client=appointment.client,
        treatment=appointment.treatment,
        practitioner=appointment.practitioner,
        performed_at=appointment.treatment_start,
        created_at=now,
        updated_at=now,
        created_by=_user(actor),
        **fields,
    )


def _write_products(record: TreatmentRecord, resolved: Sequence[_ResolvedProduct]) -> None:
    ProductUse.objects.bulk_create(
        ProductUse(
            record=record,
            formulation=item.formulation,
            batch=item.batch,
            volume_ml=item.product.volume_ml,
            units=item.product.units,
            dilution_u_per_ml=item.product.dilution_u_per_ml,
            position=position,
        )
        for position, item in enumerate(resolved)
    )


def _write_areas(record: TreatmentRecord, areas: Sequence[AreaInput]) -> None:
    for position, area in enumerate(areas):
        treated = TreatedArea.objects.create(
            record=record,
            area=area.area.strip(),
            technique=area.technique,
            needle_gauge=area.needle_gauge,
            needle_length_mm=area.needle_length_mm,
            angle_deg=area.angle_deg,
            depth_mm=area.depth_mm,
            points=area.points,
            volume_ml=area.volume_ml,
            chart_map=area.chart_map if area.chart_points else "",
            position=position,
        )
        ChartPoint.objects.bulk_create(
            ChartPoint(area=treated, x=point.x, y=point.y, volume_ml=point.volume_ml)
            for point in area.chart_points
        )


def _check_treating_practitioner(actor: Actor, appointment: Appointment) -> None:
    """Only the appointment's own practitioner, qualified for the treatment on the day,
    writes and signs its record (403 ``not_treating_practitioner`` /
    ``practitioner_not_qualified``). The system (demo, imports) writes history as it is."""
    if not isinstance(actor, AbstractBaseUser):
        return
    practitioner = roles.require_treating_practitioner(actor, practitioner=appointment.practitioner)
    if not practitioner_qualified(
        practitioner=practitioner,
        treatment=appointment.treatment,
        formulation=appointment.formulation,
        on=_session_day(appointment),
    ):
        raise roles.refuse_unqualified(practitioner, appointment.treatment.name)


def _check_complete(record: TreatmentRecord) -> None:
    """Signing says the treatment was given: not before it started (422
    ``appointment_not_started``), and not without a product line with lot and volume and a
    treated area (422 ``record_incomplete``)."""
    appointment = record.appointment
    if appointment.treatment_start > clock.now():
        raise RuleRefused(
            RecordError.APPOINTMENT_NOT_STARTED,
            "This session has not started yet: keep the record as a draft and sign it once "
            "the treatment has been given.",
            details={"treatment_start": appointment.treatment_start.isoformat()},
        )
    missing = []
    if not record.products.filter(volume_ml__gt=0).exists():
        missing.append("products")
    if not record.areas.exists():
        missing.append("areas")
    if missing:
        raise RuleRefused(
            RecordError.RECORD_INCOMPLETE,
            "A signed record needs at least one product with its lot and volume, and one "
            "treated area.",
            details={"missing": missing},
        )


def record_sign(
    *, actor: Actor, record: TreatmentRecord, historical: bool = False
) -> TreatmentRecord:
    """Sign and lock a record: re-screen, take each batch's stock, open follow-ups, mark
    the appointment fulfilled (attended).

    Refuses 409 ``record_signed`` if already signed, 403 ``not_treating_practitioner`` for
    another practitioner, 422 ``batch_empty`` if stock ran out since the draft and 422
    ``screening_unresolved``. Nothing is written when it refuses.
    """
    _check_treating_practitioner(actor, record.appointment)
    if record.is_signed:
        raise Conflict(RecordError.RECORD_SIGNED, "This record is already signed.")
    if not historical:
        _check_complete(record)
    appointment = record.appointment
    screening = (
        HISTORICAL_SCREENING
        if historical
        else screen_for_record(
            actor=actor, appointment=appointment, resolved_on=_session_day(appointment)
        )
    )
    with transaction.atomic():
        locked = TreatmentRecord.objects.select_for_update().get(pk=record.pk)
        if locked.is_signed:
            raise Conflict(RecordError.RECORD_SIGNED, "This record is already signed.")
        for use in locked.products.select_related("formulation", "batch"):
            catalogue_services.stock_use(
                actor=actor,
                batch=use.batch,
                quantity=_stock_quantity(
                    use.formulation,
                    ProductInput(use.formulation.code, use.batch.lot, use.volume_ml, use.units),
                ),
                reference=f"record:{locked.pk}",
            )
        locked.signed_at = clock.now()
        locked.signed_by = _user(actor)
        locked.screening = dict(screening) or locked.screening
        locked.save(update_fields=["signed_at", "signed_by", "screening"])
        # The signed record says the client came and was treated.
        attended = Appointment.objects.filter(
            pk=locked.appointment_id,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),
        ).update(status=AppointmentStatus.FULFILLED)
        if attended:  # an attended session uses one of a prepaid package's
            package_session_use(actor=actor, appointment=locked.appointment)
        _open_follow_ups(locked)
        _record_toxin_administrations(actor, locked)
        supervision.sign_off_queue(actor=actor, record=locked)
        audit_record(
            actor=actor,
            action="record.sign",
            obj=locked,
            client_id=locked.client_id,
            summary=f"Signed record of appointment {locked.appointment_id}",
        )
        if not historical:
            record_signed_notify(
                appointment=locked.appointment, reactions=tuple(locked.reactions or ())
            )
    return locked


def _open_follow_ups(record: TreatmentRecord) -> None:
    """The 48-hour check-in (brought forward to 24 hours after a large bruise,
    ``records.reactions``), and for needle treatments the 2- and 12-week ones."""
    kinds = [FollowUpKind.HOURS_48]
    if record.treatment.needs_needle:
        kinds += [FollowUpKind.WEEKS_2, FollowUpKind.WEEKS_12]
    delays = dict(FOLLOW_UP_DELAYS)
    delays[FollowUpKind.HOURS_48] = dt.timedelta(
        hours=reaction_rules.first_follow_up_hours(record.reactions or ())
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            record=record,
            client=record.client,
            kind=kind,
            due_at=record.performed_at + delays[kind],
        )
        for kind in kinds
    )


def _record_toxin_administrations(actor: Actor, record: TreatmentRecord) -> None:
    """Hand toxin doses to the safety app's toxin history (the 84-day interval rule)."""
    from mesoclinic.records import screening

    for use in record.products.select_related("formulation"):
        if use.formulation.contains_toxin:
            screening.toxin_administration_record(
                actor=actor,
                client=record.client,
                administered_on=record.performed_at.astimezone(
                    record.appointment.site.tzinfo
                ).date(),
                formulation=use.formulation,
                units=use.units,
                source_reference=f"record:{record.pk}",
            )


def addendum_add(*, actor: Actor, record: TreatmentRecord, text: str) -> Any:
    """Add a dated, attributed addendum to a signed record (the only change it accepts)."""
    from mesoclinic.records.models import Addendum

    if isinstance(actor, AbstractBaseUser):
        roles.own_practitioner(actor)  # any practitioner, in their own name
    text = text.strip()
    if not text:
        raise InvalidInput(RecordError.TEXT_REQUIRED, "Write the addendum text.")
    if not record.is_signed:
        raise Conflict(
            RecordError.RECORD_NOT_SIGNED,
            "The record is still a draft: change it directly, addenda are for signed records.",
        )
    with transaction.atomic():
        addendum = Addendum.objects.create(
            record=record,
            text=text,
            author=_user(actor),
            author_label=_label(actor),
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="record.addendum",
            obj=record,
            client_id=record.client_id,
            summary=text[:200],
        )
    return addendum


# --- follow-ups -----------------------------------------------------------------------------


def follow_up_complete(
    *,
    actor: Actor,
    follow_up: FollowUp,
    outcome: str,
    notes: str = "",
    adverse_event: AdverseEvent | None = None,
) -> FollowUp:
    """Record a follow-up's outcome (including ``no_adverse_event``); done once only, by a
    practitioner. A session that recorded a reaction at the adverse-event threshold (a
    large bruise) cannot be closed as ``no_adverse_event`` (422 ``adverse_event_threshold``)."""
    if isinstance(actor, AbstractBaseUser):
        roles.own_practitioner(actor)
    if outcome not in FollowUpOutcome.values:
        raise InvalidInput(
            "invalid_outcome",
            f"Outcome must be one of {', '.join(FollowUpOutcome.values)}.",
            details={"field": "outcome"},
        )
    _check_threshold(follow_up, outcome)
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.is_done:
            raise Conflict(RecordError.FOLLOW_UP_DONE, "This follow-up is already recorded.")
        locked.outcome = outcome
        locked.notes = notes.strip()
        locked.adverse_event = adverse_event
        locked.completed_at = clock.now()
        locked.completed_by_label = _label(actor)
        locked.save()
        audit_record(
            actor=actor,
            action="follow_up.complete",
            obj=locked,
            client_id=locked.client_id,
            summary=f"{locked.kind}: {outcome}",
        )
    return locked


def _check_threshold(follow_up: FollowUp, outcome: str) -> None:
    at_threshold = reaction_rules.at_adverse_event_threshold(follow_up.record.reactions or ())
    if outcome == FollowUpOutcome.NO_ADVERSE_EVENT and at_threshold:
        labels = ", ".join(str(Reaction(code).label).lower() for code in at_threshold)
        raise RuleRefused(
            RecordError.ADVERSE_EVENT_THRESHOLD,
            f"The session recorded a {labels}, which is at the adverse-event threshold: "
            "report it as an adverse event, or record the follow-up as expected effects "
            "settling.",
            details={"field": "outcome", "reactions": at_threshold},
        )


# --- adverse events -------------------------------------------------------------------------


def _suspect_batch(lot: str, client: Client) -> Batch:
    lot = lot.strip()
    batches = list(Batch.objects.filter(lot=lot).select_related("formulation"))
    if not batches:
        raise InvalidInput(
            RecordError.UNKNOWN_BATCH, f"No batch with lot {lot!r}.", details={"lot": lot}
        )
    received = set(
        ProductUse.objects.filter(batch__in=batches, record__client=client).values_list(
            "batch_id", flat=True
        )
    )
    return next((b for b in batches if b.pk in received), batches[0])


def adverse_event_report(
    *,
    actor: Actor,
    client: Client,
    onset: dt.date,
    description: str,
    outcome: str,
    lots: Sequence[str] = (),
    seriousness: Sequence[str] = (),
    appointment: Appointment | None = None,
    treatment_given: str = "",
    other_medicines: Sequence[str] = (),
    ended_on: dt.date | None = None,
) -> AdverseEvent:
    """Report a suspected adverse reaction with its suspected batches (for the Yellow Card)."""
    description = description.strip()
    if not description:
        raise InvalidInput(
            RecordError.TEXT_REQUIRED, "Describe the reaction.", details={"field": "description"}
        )
    if onset > clock.today():
        raise validation.date_refusal(onset)(
            RecordError.ONSET_IN_FUTURE,
            "The onset cannot be in the future.",
            details={"field": "onset"},
        )
    _check_choices("seriousness", seriousness, Seriousness.values)
    _check_choices("outcome", [outcome], AdverseEventOutcome.values)
    if appointment is not None and appointment.client_id != client.pk:
        raise InvalidInput(
            RecordError.APPOINTMENT_NOT_FOR_CLIENT,
            "That appointment is another client's.",
            details={"field": "appointment"},
        )
    batches = [_suspect_batch(lot, client) for lot in dict.fromkeys(lots)]
    with transaction.atomic():
        event = AdverseEvent.objects.create(
            client=client,
            appointment=appointment,
            onset=onset,
            ended_on=ended_on,
            description=description,
            seriousness=list(dict.fromkeys(seriousness)),
            outcome=outcome,
            treatment_given=treatment_given.strip(),
            other_medicines=[m.strip() for m in other_medicines if m.strip()],
            reported_at=clock.now(),
            reporter=_user(actor),
            reporter_label=_label(actor),
        )
        AdverseEventProduct.objects.bulk_create(
            AdverseEventProduct(event=event, batch=batch) for batch in batches
        )
        audit_record(
            actor=actor,
            action="adverse_event.report",
            obj=event,
            client_id=client.pk,
            summary=f"Onset {onset}; serious: {', '.join(seriousness) or 'no'}",
        )
    return event


def _check_choices(field_name: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise InvalidInput(
            f"invalid_{field_name}",
            f"Unknown {field_name} {unknown[0]!r}; use {', '.join(allowed)}.",
            details={"field": field_name, "allowed": list(allowed)},
        )


# --- assessments and adaptive maintenance ---------------------------------------------------


def _score_parts(result: scales.ScaleResult) -> tuple[Decimal | None, str, Decimal]:
    """(numeric value or None, text as written, comparable rank) of a score."""
    total = result.score
    if isinstance(total, str):
        return None, total, Decimal(scales.ordinal_rank(result.scale, total))
    value = Decimal(total)
    return value, str(total), value


def assessment_record(
    *,
    actor: Actor,
    client: Client,
    scale: str,
    components: Mapping[str, object],
    rated_by: str = RatedBy.PRACTITIONER,
    treatment: Treatment | None = None,
    appointment: Appointment | None = None,
    assessed_at: dt.datetime | None = None,
) -> Assessment:
    """Score and store an assessment; for an outcome of a treatment, decide maintenance.

    Component errors are 400 with the scales engine's code (``component_out_of_range``,
    ``missing_component``, ``unknown_component``, ``component_not_allowed``,
    ``unknown_scale``).
    """
    try:
        result = scales.score(scale, components)
    except scales.ScaleError as error:
        raise InvalidInput(str(error.code), error.message, details=error.details) from None
    if rated_by not in RatedBy.values:
        raise InvalidInput("invalid_rated_by", "rated_by is practitioner or client.")
    if appointment is not None and appointment.client_id != client.pk:
        raise InvalidInput(RecordError.APPOINTMENT_NOT_FOR_CLIENT, "That is another client's.")
    value, text, rank = _score_parts(result)
    with transaction.atomic():
        assessment = Assessment.objects.create(
            client=client,
            scale=result.scale,
            components=_json_components(result.components),
            score_value=value,
            score_text=text,
            score_rank=rank,
            band=result.band or "",
            rated_by=rated_by,
            treatment=treatment or (appointment.treatment if appointment else None),
            appointment=appointment,
            assessed_at=assessed_at or clock.now(),
            created_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="assessment.create",
            obj=assessment,
            client_id=client.pk,
            summary=f"{result.scale} = {text}",
        )
        _decide_maintenance(actor, assessment)
    return assessment


def _json_components(components: Mapping[str, object]) -> dict[str, object]:
    return {
        key: (float(value) if isinstance(value, Decimal) else value)
        for key, value in components.items()
    }


def _primary_scale_code(treatment: Treatment) -> str | None:
    if treatment.primary_scale:
        return treatment.primary_scale
    primary = scales.primary_scale_for(treatment.code)
    return primary.code if primary else None


def _comparable(assessment: Assessment) -> Decimal:
    """A score as the scale writes it (``Decimal("3.0")``), or its rank for categories."""
    if assessment.score_value is None:
        return assessment.score_rank
    return Decimal(assessment.score_text)


def _decide_maintenance(actor: Actor, assessment: Assessment) -> MaintenanceDecision | None:
    """Store the interval decision this assessment leads to, if it guides maintenance.

    The primary scale's latest score is compared with the one before it (taken at the
    previous visit); the newest GAIS since that earlier score counts too. Either a
    worsening or GAIS 4-5 shortens the interval (maintenance.decide_maintenance_interval).
    """
    treatment = treatment_for_assessment(assessment)
    if treatment is None:
        return None
    if assessment.treatment_id is None:
        assessment.treatment = treatment
        assessment.save(update_fields=["treatment"])
    primary_code = _primary_scale_code(treatment)
    if assessment.scale not in {primary_code, "gais"}:
        return None
    primary = scales.SCALES.get(primary_code or "")
    if primary is None or primary.direction is scales.Direction.NOT_APPLICABLE:
        return None
    history = Assessment.objects.filter(client=assessment.client).filter(
        Q(treatment=treatment) | Q(treatment__isnull=True)
    )
    latest_two = list(history.filter(scale=primary.code).order_by("-assessed_at", "-id")[:2])
    previous_score = latest_score = None
    since = None
    if primary.code != "gais" and len(latest_two) == 2:
        latest_score, previous_score = _comparable(latest_two[0]), _comparable(latest_two[1])
        since = latest_two[1].assessed_at
    gais_rows = history.filter(scale="gais")
    if since is not None:
        gais_rows = gais_rows.filter(assessed_at__gt=since)
    latest_gais_row = gais_rows.order_by("-assessed_at", "-id").first()
    latest_gais = int(latest_gais_row.score_text) if latest_gais_row else None
    engine_decision = decide_maintenance_interval(
        direction=primary.direction,
        previous_score=previous_score,
        latest_score=latest_score,
        latest_gais=latest_gais,
        config=maintenance_config_for(treatment),
    )
    decision = MaintenanceDecision.objects.create(
        client=assessment.client,
        treatment=treatment,
        assessment=assessment,
        decided_at=clock.now(),
        interval_days=engine_decision.interval_days,
        shortened=engine_decision.shortened,
        reason=str(engine_decision.reason),
        message=engine_decision.message,
    )
    audit_record(
        actor=actor,
        action="maintenance.decide",
        obj=decision,
        client_id=assessment.client_id,
        summary=engine_decision.message,
    )
    return decision


def _clean_image(upload: UploadedFile) -> tuple[bytes, str, str, int, int]:
    """Re-encode an uploaded JPEG/PNG from its pixels only: EXIF, GPS, XMP, comments gone."""
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise InvalidInput(RecordError.IMAGE_TOO_LARGE, "Photos may be up to 15 MB.")
    try:
        with Image.open(upload) as source:
            image_format = source.format or ""
            if image_format not in PHOTO_FORMATS:
                raise RuleRefused(RecordError.UNSUPPORTED_IMAGE, "Upload a JPEG or PNG photo.")
            upright = ImageOps.exif_transpose(source)
            pixels = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise RuleRefused(RecordError.UNSUPPORTED_IMAGE, "Upload a JPEG or PNG photo.") from None
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    if image_format == "JPEG" and clean.mode != "RGB":
        clean = clean.convert("RGB")
    buffer = io.BytesIO()
    clean.save(buffer, format=image_format, **({"quality": 90} if image_format == "JPEG" else {}))
    content_type, extension = PHOTO_FORMATS[image_format]
    return buffer.getvalue(), content_type, extension, clean.width, clean.height


def photo_attach(
    *, actor: Actor, assessment: Assessment, upload: UploadedFile, view: str = PhotoView.FRONT
) -> AssessmentPhoto:
    """Attach a photo to an assessment, EXIF stripped, stored with no public URL."""
    if view not in PhotoView.values:
        raise InvalidInput("invalid_view", f"View must be one of {', '.join(PhotoView.values)}.")
    data, content_type, extension, width, height = _clean_image(upload)
    with transaction.atomic():
        photo = AssessmentPhoto(
            assessment=assessment,
            content_type=content_type,
            view=view,
            width=width,
            height=height,
            uploaded_at=clock.now(),
            uploaded_by_label=_label(actor),
        )
        photo.image.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(data), save=False)
        photo.save()
        audit_record(
            actor=actor,
            action="photo.upload",
            obj=photo,
            client_id=assessment.client_id,
            summary=f"{view} photo for {assessment.scale} assessment {assessment.pk}",
        )
    return photo


# --- recall ---------------------------------------------------------------------------------


def recall_contact_mark(*, actor: Actor, lot: str, client: Client, note: str = "") -> RecallContact:
    """Note that a client was told about a recalled lot (once per lot and client)."""
    with transaction.atomic():
        contact, created = RecallContact.objects.get_or_create(
            lot=lot.strip(),
            client=client,
            defaults={
                "contacted_at": clock.now(),
                "contacted_by_label": _label(actor),
                "note": note.strip()[:300],
            },
        )
        if created:
            audit_record(
                actor=actor,
                action="recall.contact",
                obj=contact,
                client_id=client.pk,
                summary=f"Contacted about lot {lot}",
            )
    return contact
