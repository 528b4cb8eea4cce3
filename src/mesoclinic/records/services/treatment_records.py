"""Treatment records: :func:`record_save` validates every product batch (unknown, other
product, expired, not enough stock), re-runs screening and writes the draft record whole
or not at all; :func:`record_sign` locks it, takes the stock out of each batch and opens
the follow-ups; :func:`addendum_add` is the only change a signed record accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from mesoclinic.billing.account_services import package_session_use
from mesoclinic.catalogue import services as catalogue_services
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import Conflict, InvalidInput, RuleRefused
from mesoclinic.messaging.services import record_signed_notify
from mesoclinic.people import roles
from mesoclinic.records import reactions as reaction_rules
from mesoclinic.records import supervision
from mesoclinic.records.checks import checked_delivery, checked_device_settings, checked_reactions
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import (
    ChartPoint,
    FollowUp,
    FollowUpKind,
    ProductUse,
    TreatedArea,
    TreatmentRecord,
)
from mesoclinic.records.screening import screen_for_record
from mesoclinic.records.services.helpers import _label, _session_day, _stock_quantity, _user
from mesoclinic.records.services.inputs import AreaInput, ProductInput
from mesoclinic.records.services.validation import (
    _check_appointment_open,
    _check_areas,
    _check_stock,
    _device_by_code,
    _reserved_device,
    _resolve_product,
    _ResolvedProduct,
)
from mesoclinic.safety.qualification import practitioner_qualified
from mesoclinic.scheduling.models import Appointment, AppointmentStatus

FOLLOW_UP_DELAYS: Mapping[str, dt.timedelta] = {
    FollowUpKind.HOURS_48: dt.timedelta(hours=48),
    FollowUpKind.WEEKS_2: dt.timedelta(weeks=2),
    FollowUpKind.WEEKS_12: dt.timedelta(weeks=12),
}
HISTORICAL_SCREENING: Mapping[str, Any] = {"outcome": "not_run", "reasons": [], "historical": True}


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
