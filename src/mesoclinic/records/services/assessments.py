"""Assessments and adaptive maintenance: :func:`assessment_record` scores with the pure
scales engine and stores a response-adaptive maintenance decision; :func:`photo_attach`
strips EXIF before storing."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Mapping
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from PIL import Image, ImageOps, UnidentifiedImageError

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.records import scales
from mesoclinic.records.errors import RecordError
from mesoclinic.records.maintenance import decide_maintenance_interval
from mesoclinic.records.models import (
    Assessment,
    AssessmentPhoto,
    MaintenanceDecision,
    PhotoView,
    RatedBy,
)
from mesoclinic.records.selectors import maintenance_config_for, treatment_for_assessment
from mesoclinic.records.services.helpers import _label, _user
from mesoclinic.scheduling.models import Appointment

MAX_PHOTO_BYTES = 15 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


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
