"""Reads for the records domain: records, recall, follow-ups, outcomes, Yellow Card drafts.

Most callers audit their clinical reads (the API and views write ``*.view`` entries);
the ``*_view`` selectors here read and audit in one call. :func:`maintenance_interval_for` is the scheduling course planner's entry point for
response-adaptive maintenance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from mesoclinic.catalogue.models import Treatment
from mesoclinic.catalogue.selectors import batches_with_lot, with_lot
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_read
from mesoclinic.core.compiled import CompiledQuery
from mesoclinic.core.lookups import get_by_opaque_id
from mesoclinic.people.models import Client, Device, Practitioner, Site
from mesoclinic.records import scales
from mesoclinic.records.maintenance import (
    DEFAULT_MAINTENANCE_CONFIG,
    MaintenanceConfig,
    MaintenanceReason,
)
from mesoclinic.records.maintenance import MaintenanceDecision as EngineDecision
from mesoclinic.records.models import (
    AdverseEvent,
    Assessment,
    AssessmentPhoto,
    FollowUp,
    MaintenanceDecision,
    ProductUse,
    RecallContact,
    TreatedArea,
    TreatmentRecord,
)
from mesoclinic.scheduling.models import Appointment

# --- records --------------------------------------------------------------------------------


def _records() -> QuerySet[TreatmentRecord]:
    return TreatmentRecord.objects.select_related(
        "client", "treatment", "practitioner", "device", "appointment__site", "signed_by"
    ).prefetch_related(
        "products__batch",
        "products__formulation",
        Prefetch("areas", queryset=TreatedArea.objects.prefetch_related("chart_points")),
        "addenda",
        "follow_ups",
    )


def record_get(record_id: str | int) -> TreatmentRecord:
    """A record with everything it shows, or 404 ``record_not_found``."""
    return get_by_opaque_id(_records(), record_id, code="record_not_found", noun="treatment record")


def record_for_appointment(appointment: Appointment) -> TreatmentRecord | None:
    """The appointment's record (draft or signed), or None."""
    return _records().filter(appointment=appointment).first()


def records_for_client(client: Client) -> QuerySet[TreatmentRecord]:
    """A client's records, newest first, ready for the timeline."""
    return _records().filter(client=client).order_by("-performed_at")


def appointments_to_record(client: Client) -> QuerySet[Appointment]:
    """A client's active appointments without a signed record, soonest first."""
    return (
        Appointment.objects.filter(client=client, status__in=["booked", "arrived", "fulfilled"])
        .exclude(treatment_record__signed_at__isnull=False)
        .select_related("treatment", "practitioner")
        .order_by("start")
    )


def notes_to_write(practitioner: Practitioner) -> QuerySet[Appointment]:
    """A practitioner's sessions that have started but have no signed record yet, oldest
    first: the notes they still owe (consultations have no treatment record)."""
    return (
        Appointment.objects.filter(
            practitioner=practitioner,
            status__in=["booked", "arrived", "fulfilled"],
            treatment_start__lte=clock.now(),
            treatment__is_consultation=False,
        )
        .exclude(treatment_record__signed_at__isnull=False)
        .select_related("treatment", "client")
        .order_by("treatment_start")
    )


# --- recall ---------------------------------------------------------------------------------


_RECALL_FIELDS = (
    "volume_ml",
    "units",
    "record__performed_at",
    "record__appointment",
    "record__client__given_name",
    "record__client__family_name",
    "record__client__email",
    "record__client__phone",
    "record__practitioner__code",
    "record__practitioner__title",
    "record__practitioner__given_name",
    "record__practitioner__family_name",
    "batch__lot",
    "batch__formulation__code",
    "batch__formulation__name",
)
"""What recall pages, exports and the API show of each administration: only these columns
are read (a recall lists every recipient; whole rows cost more than the query)."""


def _lot_uses(lot: str) -> QuerySet[ProductUse]:
    """Every product line of a (stripped) lot, whatever the case it was typed in."""
    batches = batches_with_lot(lot).values("id")
    return (
        ProductUse.objects.filter(batch_id__in=batches)
        .select_related("record__client", "record__practitioner", "batch__formulation")
        .only(*_RECALL_FIELDS)
    )


def lot_exists(lot: str) -> bool:
    """Whether any batch has this lot number (in any case)."""
    return bool(_ANY_BATCH_WITH_LOT.rows(lot=lot.strip()))


_ANY_BATCH_WITH_LOT = CompiledQuery(lambda *, lot: batches_with_lot(lot).values_list("pk")[:1])


def recall_recipients_queryset(*, lot: str) -> QuerySet[ProductUse]:
    """Every *signed* administration of a (stripped) lot, oldest first, in ONE query.

    The lot is matched case-insensitively (both sides through ``UPPER``, as
    ``batches_with_lot`` does). Only signed records say the product was given; drafts are
    :func:`recall_drafts`. Each row carries the client (with contact details),
    practitioner, formulation and batch (``_RECALL_FIELDS``), plus ``contacted`` (whether
    the client was told of this lot).
    """
    contacted = with_lot(RecallContact.objects.all(), lot).filter(client=OuterRef("record__client"))
    return (
        _lot_uses(lot)
        .filter(record__signed_at__isnull=False)
        .annotate(contacted=Exists(contacted))
        .order_by("record__performed_at", "id")
    )


_RECIPIENTS = CompiledQuery(recall_recipients_queryset)


def recall_recipients(lot: str) -> list[ProductUse]:
    """:func:`recall_recipients_queryset`'s rows, its SQL compiled once (a recall at a
    million administrations spent more time building the query than running it)."""
    return _RECIPIENTS.objects(lot=lot.strip())


def lot_received_by(lot: str, client: Client) -> bool:
    """Whether a signed record says ``client`` received ``lot`` (in any case)."""
    signed = recall_recipients_queryset(lot=lot.strip())
    return signed.filter(record__client=client).exists()


def recall_drafts(lot: str) -> QuerySet[ProductUse]:
    """Unsigned drafts naming a lot: planned, not (yet) given; shown apart in recall."""
    return (
        _lot_uses(lot.strip())
        .filter(record__signed_at__isnull=True)
        .order_by("record__performed_at", "id")
    )


# --- follow-ups -----------------------------------------------------------------------------


def follow_ups_open(*, due_by: dt.datetime | None = None) -> QuerySet[FollowUp]:
    """Open follow-ups (due by ``due_by`` when given), soonest first."""
    open_ones = FollowUp.objects.filter(completed_at__isnull=True).select_related(
        "client", "record__treatment", "record__practitioner"
    )
    return open_ones.filter(due_at__lte=due_by) if due_by else open_ones


def follow_up_get(follow_up_id: str | int) -> FollowUp:
    """One follow-up, or 404 ``follow_up_not_found``."""
    return get_by_opaque_id(
        FollowUp.objects.select_related("record", "client"),
        follow_up_id,
        code="follow_up_not_found",
        noun="follow-up",
    )


# --- adverse events and the Yellow Card -----------------------------------------------------


def adverse_event_get(event_id: str | int) -> AdverseEvent:
    """One adverse event with its client and suspected batches, or 404."""
    return get_by_opaque_id(
        AdverseEvent.objects.select_related("client", "appointment", "reporter").prefetch_related(
            "products__batch__formulation"
        ),
        event_id,
        code="adverse_event_not_found",
        noun="adverse event",
    )


def adverse_events_for_client(client: Client) -> QuerySet[AdverseEvent]:
    """A client's adverse events, newest first."""
    return AdverseEvent.objects.filter(client=client).prefetch_related("products__batch")


def local_identifier(client: Client) -> str:
    """The clinic's own reference for a client, safe to send outside (no name, no DOB)."""
    return f"MC-{client.pk:06d}"


def initials(client: Client) -> str:
    """``"AH"`` for Amelia Hart: initials only, as the Yellow Card asks."""
    return "".join(part[:1].upper() for part in (client.given_name, client.family_name) if part)


def _reporter(event: AdverseEvent) -> dict[str, str]:
    user = event.reporter
    practitioner = getattr(user, "practitioner", None) if user else None
    return {
        "name": practitioner.display_name if practitioner else event.reporter_label,
        "profession": practitioner.get_profession_display() if practitioner else "",
        "organisation": _site_name(event),
    }


def _site_name(event: AdverseEvent) -> str:
    site = event.appointment.site if event.appointment else event.client.home_site
    return site.name if site else ""


def _suspect_drug(event: AdverseEvent, product: Any) -> dict[str, Any]:
    batch = product.batch
    uses = ProductUse.objects.filter(batch=batch, record__client=event.client).order_by(
        "record__performed_at"
    )
    dates = [use.record.performed_at.date().isoformat() for use in uses.select_related("record")]
    return {
        "brand": batch.formulation.name,
        "batch": batch.lot,
        "expires_on": batch.expires_on.isoformat(),
        "route": product.route,
        "started_on": dates[0] if dates else None,
        "stopped_on": dates[-1] if dates else None,
    }


YELLOW_CARD_FIELDS = (
    "patient",
    "suspect_drugs",
    "reaction",
    "outcome",
    "seriousness",
    "other_medicines",
    "reporter",
)
"""The sections of the draft, as domain.md §5 lists them (no full name, no date of birth)."""


def yellow_card_draft(event: AdverseEvent) -> dict[str, Any]:
    """An MHRA Yellow Card draft: patient initials, age, sex and local id, suspect drugs
    (brand, batch, route, dates), reaction, outcome, seriousness, other medicines in the
    last 3 months and reporter. Never the full name or date of birth."""
    client = event.client
    return {
        "patient": {
            "initials": initials(client),
            "age": client.age_on(event.onset),
            "sex": client.sex,
            "local_identifier": local_identifier(client),
        },
        "suspect_drugs": [_suspect_drug(event, product) for product in event.products.all()],
        "reaction": {
            "description": event.description,
            "onset": event.onset.isoformat(),
            "ended_on": event.ended_on.isoformat() if event.ended_on else None,
            "treatment_given": event.treatment_given,
        },
        "outcome": event.outcome,
        "seriousness": {"serious": event.is_serious, "criteria": list(event.seriousness)},
        "other_medicines": list(event.other_medicines),
        "reporter": _reporter(event),
    }


# --- assessments, outcomes, photos ----------------------------------------------------------


def assessments_for_client(client: Client) -> QuerySet[Assessment]:
    """A client's assessments, oldest first, with their treatment and photos."""
    return (
        Assessment.objects.filter(client=client)
        .select_related("treatment")
        .prefetch_related("photos")
        .order_by("assessed_at", "id")
    )


@dataclass(frozen=True)
class OutcomeSeries:
    """One line of an outcome chart: an indication's scale over the course."""

    treatment: Treatment | None
    scale: scales.ScaleDefinition
    points: list[tuple[dt.datetime, float, str]]


def outcome_series(client: Client) -> list[OutcomeSeries]:
    """The client's outcome scores grouped by indication and scale (baseline scales left out)."""
    groups: dict[tuple[int | None, str], list[Assessment]] = {}
    for assessment in assessments_for_client(client):
        scale = scales.SCALES.get(assessment.scale)
        if scale is None or scale.is_baseline:
            continue
        groups.setdefault((assessment.treatment_id, assessment.scale), []).append(assessment)
    return [
        OutcomeSeries(
            treatment=rows[0].treatment,
            scale=scales.SCALES[scale_code],
            points=[(row.assessed_at, float(row.score_rank), row.score_text) for row in rows],
        )
        for (_treatment_id, scale_code), rows in groups.items()
    ]


def photo_get(photo_id: str | int) -> AssessmentPhoto:
    """One clinical photo with its assessment and client, or 404."""
    return get_by_opaque_id(
        AssessmentPhoto.objects.select_related("assessment__client"),
        photo_id,
        code="photo_not_found",
        noun="photo",
    )


def photos_for_client(client: Client) -> QuerySet[AssessmentPhoto]:
    """A client's photos, oldest first."""
    return (
        AssessmentPhoto.objects.filter(assessment__client=client)
        .select_related("assessment__treatment")
        .order_by("assessment__assessed_at", "uploaded_at", "id")
    )


# --- maintenance ----------------------------------------------------------------------------


def maintenance_config_for(treatment: Treatment) -> MaintenanceConfig:
    """The clinic's maintenance intervals for a treatment: its protocol's open-ended phase
    gap (default 91 days), shortened to ``MESOCLINIC["MAINTENANCE_SHORTENED_DAYS"]`` (56)."""
    phase = treatment.default_protocol.phases.filter(count__isnull=True).first()
    default_days = phase.gap_days if phase else DEFAULT_MAINTENANCE_CONFIG.default_interval_days
    shortened = int(
        getattr(settings, "MESOCLINIC", {}).get(
            "MAINTENANCE_SHORTENED_DAYS", DEFAULT_MAINTENANCE_CONFIG.shortened_interval_days
        )
    )
    return MaintenanceConfig(
        default_interval_days=default_days, shortened_interval_days=min(shortened, default_days)
    )


def treatment_for_assessment(assessment: Assessment) -> Treatment | None:
    """The indication an assessment measures: stated, via its appointment, or else the
    treatment of the client's latest appointment whose primary scale it is (GAIS: latest)."""
    if assessment.treatment_id is not None:
        return assessment.treatment
    appointments = (
        Appointment.objects.filter(client=assessment.client)
        .exclude(status__in=["cancelled", "noshow"])
        .select_related("treatment")
    )
    if assessment.scale != "gais":
        appointments = appointments.filter(treatment__primary_scale=assessment.scale)
    latest = (
        appointments.filter(start__lte=assessment.assessed_at).order_by("-start").first()
        or appointments.order_by("start").first()
    )
    return latest.treatment if latest else None


def maintenance_interval_for(*, client: Client, treatment: Treatment) -> EngineDecision:
    """The next maintenance interval for a client's course of a treatment, with its reason.

    The latest stored decision (made when an outcome was assessed); with none, the
    protocol's default interval and reason ``no_comparison``.
    """
    stored = (
        MaintenanceDecision.objects.filter(client=client, treatment=treatment)
        .order_by("-decided_at", "-id")
        .first()
    )
    if stored is not None:
        return EngineDecision(
            interval_days=stored.interval_days,
            shortened=stored.shortened,
            reason=MaintenanceReason(stored.reason),
            message=stored.message,
        )
    config = maintenance_config_for(treatment)
    return EngineDecision(
        interval_days=config.default_interval_days,
        shortened=False,
        reason=MaintenanceReason.NO_COMPARISON,
        message=f"No outcome scored yet: next maintenance in {config.default_interval_days} days.",
    )


def maintenance_interval_view(
    *, actor: Actor, client: Client, treatment: Treatment
) -> EngineDecision:
    """:func:`maintenance_interval_for`, its read audited (``maintenance.view``): the
    interval and its reason come from the client's outcome scores."""
    decision = maintenance_interval_for(client=client, treatment=treatment)
    audit_read(
        actor=actor,
        action="maintenance.view",
        obj=client,
        client_id=client.pk,
        data={"treatment": treatment.code, "reason": str(decision.reason)},
    )
    return decision


def maintenance_decisions_for_client(client: Client) -> list[MaintenanceDecision]:
    """The latest maintenance decision per treatment for a client."""
    latest: dict[int, MaintenanceDecision] = {}
    rows: Iterable[MaintenanceDecision] = (
        MaintenanceDecision.objects.filter(client=client)
        .select_related("treatment")
        .order_by("-decided_at", "-id")
    )
    for decision in rows:
        latest.setdefault(decision.treatment_id, decision)
    return list(latest.values())


def devices_at_site(site: Site) -> QuerySet[Device]:
    """The active devices of a site, for recording which one was used."""
    return Device.objects.filter(site=site, active=True).order_by("name")
