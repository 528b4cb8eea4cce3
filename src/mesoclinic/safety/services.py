"""Writes for clinical safety, and ``screening_run``: the one door to the screening engine.

Every function takes keyword-only arguments, validates before writing, runs in one
transaction and writes an audit entry (``questionnaire.record``, ``override.record``,
``prescription.record``, ``toxin_history.record``, ``screening.run``). Refusals are
``DomainError`` subclasses carrying a ``SafetyErrorCode``. Consent forms and signatures
are written by ``safety.consent_services``.

Scheduling calls ``screening_run`` when booking, checking in and rescheduling; records
calls it when a treatment record is signed, and ``toxin_history_record`` (with
``source="record"``) for every signed toxin record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock, metrics, validation
from mesoclinic.core.audit import Actor, audit_read, audit_record
from mesoclinic.core.errors import InvalidInput, PermissionDenied, RuleRefused
from mesoclinic.people import roles
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety import engine, facts, selectors
from mesoclinic.safety.errors import SafetyErrorCode as Code
from mesoclinic.safety.models import (
    OVERRIDABLE_CODES,
    HealthQuestionnaire,
    Override,
    Prescription,
    QuestionnaireSource,
    ToxinAdministration,
    ToxinSource,
)
from mesoclinic.safety.policy import override_validity, screening_config
from mesoclinic.safety.presentation import next_step_for
from mesoclinic.safety.qualification import practitioner_qualified

MAX_LIST_ITEMS = 50
MAX_ITEM_LENGTH = 200
MAX_TEXT_LENGTH = 5000
CLOCK_SKEW = dt.timedelta(minutes=5)


# --- Screening -----------------------------------------------------------------------------


def screening_run(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    formulation: Formulation | None = None,
    practitioner: Practitioner | None = None,
    on: dt.date | None = None,
    at: dt.datetime | None = None,
    audit: bool = True,
    toxin_bookings: Iterable[dt.date] = (),
) -> engine.ScreeningResult:
    """Screen ``client`` for ``treatment`` and return the engine's outcome and reasons.

    ``formulation`` defaults to the treatment's default formulation; ``on`` to the date of
    ``at`` (or today) in the client's site time zone; ``at`` (aware) is the treatment moment,
    used for cooling-off. Active overrides for this client and treatment clear their codes.
    ``toxin_bookings``: the days of the client's other active toxin bookings
    (``scheduling.selectors.toxin_booking_days``), which ``toxin_interval`` counts too.
    Writes one ``screening.run`` audit entry unless ``audit`` is false (e.g. a dry run
    inside another audited action).
    """
    _require_aware(at, "at")
    request = facts.screening_request_for(
        client=client,
        treatment=treatment,
        formulation=formulation,
        practitioner=practitioner,
        on=on,
        at=at,
        toxin_bookings=toxin_bookings,
    )
    result = engine.screen(request)
    metrics.screening_counted(outcome=result.outcome.value)
    if audit:
        audit_read(
            actor=actor,
            action="screening.run",
            obj=client,
            client_id=client.pk,
            summary=f"{treatment.code}: {result.outcome.value}",
            data={
                "treatment": treatment.code,
                "formulation": request.formulation.code if request.formulation else None,
                "practitioner": practitioner.code if practitioner else None,
                "on": request.on.isoformat(),
                "at": at.isoformat() if at else None,
                "outcome": result.outcome.value,
                "codes": [reason.code.value for reason in result.reasons],
                "overridden": [reason.code.value for reason in result.overridden],
            },
        )
    return result


def reason_as_dict(reason: engine.Reason) -> dict[str, Any]:
    """One reason as JSON-friendly data: code, severity, message, source, and extras."""
    return {
        "code": reason.code.value,
        "severity": reason.severity.value,
        "message": reason.message,
        "source": reason.source,
        "blocks_treatment": reason.blocks_treatment,
        "overridable": reason.severity is engine.Severity.OVERRIDE,
        "details": {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in reason.details.items()
        },
    }


def screening_as_dict(result: engine.ScreeningResult) -> dict[str, Any]:
    """A screening result for API responses: ``{"outcome", "reasons": [...], "overridden"}``.

    Each reason carries ``code``, ``severity``, ``message`` and ``source`` (api-contract.md)
    plus ``blocks_treatment``, ``overridable`` and ``details``.
    """
    return {
        "outcome": result.outcome.value,
        "next_step": next_step_for(result.outcome.value),
        "reasons": [reason_as_dict(reason) for reason in result.reasons],
        "overridden": [reason_as_dict(reason) for reason in result.overridden],
    }


# --- Questionnaires ------------------------------------------------------------------------


def questionnaire_record(
    *,
    actor: Actor,
    client: Client,
    pregnant: bool,
    breastfeeding: bool,
    allergies: Iterable[str] = (),
    conditions: Iterable[str] = (),
    medications: Iterable[str] = (),
    answered_at: dt.datetime | None = None,
    isotretinoin_last_taken_on: dt.date | None = None,
    source: str = QuestionnaireSource.STAFF,
    notes: str = "",
) -> HealthQuestionnaire:
    """Record a new health questionnaire; it supersedes the client's earlier ones.

    Unknown condition codes are refused (400 ``unknown_condition``); ``answered_at``
    defaults to now and may not be in the future (422 ``invalid_date``).
    """
    now = clock.now()
    condition_codes = _clean_conditions(conditions)
    answered_at = answered_at or now
    _require_aware(answered_at, "answered_at")
    if answered_at > now + CLOCK_SKEW:
        raise validation.date_refusal(answered_at)(
            Code.INVALID_DATE,
            "The answers cannot be dated in the future.",
            details={"field": "answered_at"},
        )
    if (
        isotretinoin_last_taken_on is not None
        and isotretinoin_last_taken_on > now.date() + dt.timedelta(days=1)
    ):
        raise validation.date_refusal(isotretinoin_last_taken_on)(
            Code.INVALID_DATE,
            "The date isotretinoin was last taken cannot be in the future.",
            details={"field": "isotretinoin_last_taken_on"},
        )
    if source not in QuestionnaireSource.values:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"Source must be one of {', '.join(QuestionnaireSource.values)}.",
            details={"field": "source"},
        )
    with transaction.atomic():
        questionnaire = HealthQuestionnaire.objects.create(
            client=client,
            answered_at=answered_at,
            pregnant=bool(pregnant),
            breastfeeding=bool(breastfeeding),
            allergies=_clean_list(allergies, "allergies"),
            conditions=condition_codes,
            medications=_clean_list(medications, "medications"),
            isotretinoin_last_taken_on=isotretinoin_last_taken_on,
            source=source,
            notes=_clean_text(notes, "notes", required=False),
            recorded_by=_user(actor),
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="questionnaire.record",
            obj=questionnaire,
            client_id=client.pk,
            summary=f"Health questionnaire answered {answered_at:%Y-%m-%d}",
            data={"conditions": condition_codes, "source": source},
        )
    return questionnaire


def _clean_conditions(conditions: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(str(code).strip() for code in conditions))
    unknown = [code for code in codes if code not in engine.CONDITION_CODES]
    if unknown:
        raise InvalidInput(
            Code.UNKNOWN_CONDITION,
            f"Unknown condition code(s): {', '.join(unknown)}. Known codes: "
            f"{', '.join(sorted(engine.CONDITION_CODES))}.",
            details={"field": "conditions", "unknown": unknown},
        )
    return codes


def _clean_list(values: Iterable[str], field: str) -> list[str]:
    cleaned = list(dict.fromkeys(" ".join(str(v).split()) for v in values))
    cleaned = [value for value in cleaned if value]
    if len(cleaned) > MAX_LIST_ITEMS or any(len(v) > MAX_ITEM_LENGTH for v in cleaned):
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"At most {MAX_LIST_ITEMS} {field}, each up to {MAX_ITEM_LENGTH} characters.",
            details={"field": field},
        )
    return cleaned


def _clean_text(value: str, field: str, *, required: bool) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        label = field.replace("_", " ").capitalize()
        raise InvalidInput(Code.INVALID_INPUT, f"{label} is required.", details={"field": field})
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"{field.replace('_', ' ').capitalize()} is longer than {MAX_TEXT_LENGTH} characters.",
            details={"field": field},
        )
    return cleaned


# --- Overrides -----------------------------------------------------------------------------


def override_record(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    code: str,
    justification: str,
    practitioner: Practitioner | None = None,
) -> Override:
    """Record a clinician's override of one ``override`` reason for a client and treatment.

    Only ``override``-severity codes can be overridden (422 ``not_overridable``); a written
    justification is required (400). The practitioner is the actor's own practitioner
    profile (or ``practitioner`` when the system records on someone's behalf) and must be
    a registered clinician (doctor or nurse, registration current): 403 otherwise.
    """
    code = (code or "").strip()
    if code not in {c.value for c in engine.ReasonCode}:
        raise InvalidInput(
            Code.UNKNOWN_REASON_CODE,
            f"{code!r} is not a screening reason code.",
            details={"field": "code"},
        )
    if code not in OVERRIDABLE_CODES:
        raise RuleRefused(
            Code.NOT_OVERRIDABLE,
            f"{code} cannot be overridden: only relative contraindications (override "
            "reasons) can be, never a refusal.",
            details={"field": "code", "overridable": list(OVERRIDABLE_CODES)},
        )
    text = _clean_text(justification, "justification", required=True)
    practitioner = _overriding_clinician(
        actor=actor, treatment=treatment, practitioner=practitioner
    )
    now = clock.now()
    with transaction.atomic():
        override = Override.objects.create(
            client=client,
            treatment=treatment,
            code=code,
            justification=text,
            practitioner=practitioner,
            recorded_by=_user(actor),
            created_at=now,
            expires_at=now + override_validity(),
        )
        audit_record(
            actor=actor,
            action="override.record",
            obj=override,
            client_id=client.pk,
            summary=f"Override {code} for {treatment.code} by {practitioner.code}",
            data={
                "treatment": treatment.code,
                "code": code,
                "practitioner": practitioner.code,
                "expires_at": override.expires_at.isoformat(),
            },
        )
    return override


def _overriding_clinician(
    *, actor: Actor, treatment: Treatment, practitioner: Practitioner | None
) -> Practitioner:
    """The clinician an override is recorded for: a signed-in user records it in their own
    name and must be qualified to give the treatment today (403
    ``practitioner_not_qualified``); only the system (demo, imports) names someone else."""
    if isinstance(actor, AbstractBaseUser):
        own = roles.own_practitioner(actor)
        if practitioner is not None and practitioner.pk != own.pk:
            raise PermissionDenied(
                Code.NOT_A_PRACTITIONER, "You can only record overrides in your own name."
            )
        practitioner = own
    if practitioner is None:
        raise PermissionDenied(
            Code.NOT_A_PRACTITIONER,
            "Only a practitioner can record an override: log in as the clinician.",
        )
    today = clock.today()
    registered = (
        practitioner.profession in screening_config().injector_professions
        and practitioner.registration_expires_on is not None
        and practitioner.registration_expires_on >= today
    )
    if not registered:
        raise PermissionDenied(
            Code.NOT_A_CLINICIAN,
            f"{practitioner.code} is not a registered doctor or nurse with a current "
            "registration, so cannot override a contraindication.",
        )
    if not practitioner_qualified(practitioner=practitioner, treatment=treatment, on=today):
        raise roles.refuse_unqualified(practitioner, treatment.name)
    return practitioner


# --- Prescriptions -------------------------------------------------------------------------


def prescription_record(
    *,
    actor: Actor,
    client: Client,
    prescriber: Practitioner,
    formulation: Formulation,
    consultation_at: dt.datetime,
    notes: str = "",
) -> Prescription:
    """Record a face-to-face prescriber consultation and the prescription written at it.

    The prescriber must hold a prescribing qualification current on the consultation date
    (422 ``not_a_prescriber``); the consultation cannot be in the future (422
    ``invalid_date``). A signed-in
    user records only their own prescriptions (403 ``not_own_prescription``).
    """
    if isinstance(actor, AbstractBaseUser):
        roles.require_own_prescription(actor, prescriber=prescriber)
    _require_aware(consultation_at, "consultation_at")
    now = clock.now()
    if consultation_at > now + CLOCK_SKEW:
        raise validation.date_refusal(consultation_at)(
            Code.INVALID_DATE,
            "The consultation cannot be in the future: record it once it has happened.",
            details={"field": "consultation_at"},
        )
    consulted_on = selectors.local_date(consultation_at, selectors.client_time_zone(client=client))
    if not prescriber.prescriber_current_on(consulted_on):
        raise RuleRefused(
            Code.NOT_A_PRESCRIBER,
            f"{prescriber.code} has no prescribing qualification current on "
            f"{consulted_on.isoformat()}, so cannot prescribe.",
            details={"field": "prescriber", "prescriber": prescriber.code},
        )
    with transaction.atomic():
        prescription = Prescription.objects.create(
            client=client,
            prescriber=prescriber,
            formulation=formulation,
            consultation_at=consultation_at,
            face_to_face=True,
            notes=_clean_text(notes, "notes", required=False),
            recorded_by=_user(actor),
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="prescription.record",
            obj=prescription,
            client_id=client.pk,
            summary=f"{formulation.code} prescribed by {prescriber.code}",
            data={
                "prescriber": prescriber.code,
                "formulation": formulation.code,
                "consultation_at": consultation_at.isoformat(),
            },
        )
    return prescription


# --- Toxin history -------------------------------------------------------------------------


def toxin_history_record(
    *,
    actor: Actor,
    client: Client,
    administered_on: dt.date,
    formulation: Formulation | None = None,
    product_name: str = "",
    units: Decimal | int | None = None,
    source: str = ToxinSource.HISTORY,
    source_reference: str | None = None,
) -> ToxinAdministration:
    """Record a botulinum toxin administration, which the ``toxin_interval`` rule reads.

    ``source="record"`` with ``source_reference`` (the treatment record id) is what the
    records app writes for each signed toxin record; calling it again with the same
    reference returns the existing row instead of adding a second one.
    """
    if source not in ToxinSource.values:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"Source must be one of {', '.join(ToxinSource.values)}.",
            details={"field": "source"},
        )
    if administered_on > clock.today() + dt.timedelta(days=1):
        raise validation.date_refusal(administered_on)(
            Code.INVALID_DATE,
            "A toxin administration cannot be in the future.",
            details={"field": "administered_on"},
        )
    product = (product_name or "").strip()[:160]
    if formulation is None and not product:
        raise InvalidInput(
            Code.INVALID_INPUT,
            "Name the toxin product (a formulation or a product name).",
            details={"field": "product_name"},
        )
    amount = Decimal(units) if units is not None else None
    if amount is not None and amount <= 0:
        raise InvalidInput(
            Code.INVALID_INPUT, "Units must be more than zero.", details={"field": "units"}
        )
    with transaction.atomic():
        if source_reference:
            existing = ToxinAdministration.objects.filter(
                source=source, source_reference=source_reference
            ).first()
            if existing is not None:
                return existing
        administration = ToxinAdministration.objects.create(
            client=client,
            administered_on=administered_on,
            formulation=formulation,
            product_name=product or (formulation.name if formulation else ""),
            units=amount,
            source=source,
            source_reference=source_reference or None,
            recorded_by=_user(actor),
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="toxin_history.record",
            obj=administration,
            client_id=client.pk,
            summary=f"Toxin administered {administered_on.isoformat()} ({source})",
            data={"administered_on": administered_on.isoformat(), "source": source},
        )
    return administration


# --- Helpers -------------------------------------------------------------------------------


def _user(actor: Actor) -> Any:
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk is not None else None


def _require_aware(moment: dt.datetime | None, field: str) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise InvalidInput(
            Code.NAIVE_DATETIME,
            f"{field} needs a time zone offset (e.g. 2027-03-05T10:00:00+00:00).",
            details={"field": field},
        )


__all__: Sequence[str] = (
    "override_record",
    "prescription_record",
    "questionnaire_record",
    "reason_as_dict",
    "screening_as_dict",
    "screening_run",
    "toxin_history_record",
)
