"""Safety API: questionnaires, screening, consents, overrides, prescriptions, toxin history.

Thin handlers: check the role, resolve codes and ids (400/404 in the error envelope), call
one ``safety.services`` function, shape the answer. Reads of clinical records are audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from mesoclinic.api.types import Flag, InputSchema, IsoDateTime, SaneDate, SaneDateTime
from mesoclinic.catalogue.models import Formulation
from mesoclinic.catalogue.selectors import formulation_by_code, treatment_by_code
from mesoclinic.core.audit import audit_record
from mesoclinic.core.errors import InvalidInput
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.people.roles import (
    Access,
    own_practitioner,
    require,
    require_consent_taker,
    sees_clinical,
)
from mesoclinic.people.selectors import client_by_id
from mesoclinic.safety import consent_services, selectors, services
from mesoclinic.safety.errors import SafetyErrorCode
from mesoclinic.safety.models import (
    ConsentForm,
    HealthQuestionnaire,
    Override,
    Prescription,
    QuestionnaireSource,
    SignatureKind,
    SignedConsent,
    ToxinAdministration,
)
from mesoclinic.safety.presentation import screening_for_front_desk
from mesoclinic.scheduling.selectors import toxin_booking_days

router = Router(tags=["safety"])


# --- Schemas -------------------------------------------------------------------------------


class QuestionnaireIn(InputSchema):
    answered_at: IsoDateTime | None = None
    pregnant: Flag
    breastfeeding: Flag
    allergies: list[str] = Field(default_factory=list, max_length=50)
    conditions: list[str] = Field(default_factory=list, max_length=50)
    medications: list[str] = Field(default_factory=list, max_length=50)
    isotretinoin_last_taken_on: SaneDate | None = None
    source: QuestionnaireSource = QuestionnaireSource.STAFF
    notes: str = Field("", max_length=5000)


class QuestionnaireOut(Schema):
    id: str
    client: str
    answered_at: dt.datetime
    pregnant: Flag
    breastfeeding: Flag
    allergies: list[str]
    conditions: list[str]
    medications: list[str]
    isotretinoin_last_taken_on: dt.date | None
    source: str
    notes: str
    current: bool


class ScreeningIn(InputSchema):
    client: int | str
    treatment: str
    formulation: str | None = None
    practitioner: str | None = None
    on: SaneDate | None = None
    at: SaneDateTime | None = None


class ReasonOut(Schema):
    code: str
    severity: str
    message: str
    source: str
    blocks_treatment: bool
    overridable: bool
    details: dict[str, Any]


class ScreeningOut(Schema):
    outcome: str
    next_step: str
    reasons: list[ReasonOut]
    overridden: list[ReasonOut] = []


class ConsentIn(InputSchema):
    treatment: str
    signed_name: str = Field("", max_length=200)
    accepted: Any = None
    photo_use: Flag = False
    marketing: Flag = False
    signature_kind: SignatureKind = SignatureKind.TYPED
    signature_data: str = ""
    form_version: int | None = None


class ConsentOut(Schema):
    id: str
    client: str
    treatment: str
    form_version: int
    title: str
    text: str
    signed_name: str
    signature_kind: str
    signed_at: dt.datetime
    photo_use: bool
    marketing: bool


class ConsentFormOut(Schema):
    treatment: str
    version: int
    title: str
    body: str
    cooling_off_hours: int | None


class OverrideIn(InputSchema):
    treatment: str
    code: str
    justification: str = Field("", max_length=5000)


class OverrideOut(Schema):
    id: str
    client: str
    treatment: str
    code: str
    justification: str
    practitioner: str
    created_at: dt.datetime
    expires_at: dt.datetime
    active: bool


class PrescriptionIn(InputSchema):
    prescriber: str | None = None
    formulation: str
    consultation_at: IsoDateTime
    notes: str = Field("", max_length=5000)


class PrescriptionOut(Schema):
    id: str
    client: str
    prescriber: str
    formulation: str
    consultation_at: dt.datetime
    face_to_face: bool
    created_at: dt.datetime


class ToxinHistoryIn(InputSchema):
    administered_on: SaneDate
    formulation: str | None = None
    product_name: str = Field("", max_length=160)
    units: Decimal | None = Field(None, gt=0, le=99999.99, max_digits=7, decimal_places=2)


class ToxinHistoryOut(Schema):
    id: str
    client: str
    administered_on: dt.date
    formulation: str | None
    product_name: str
    units: Decimal | None
    source: str
    source_reference: str | None


# --- Helpers -------------------------------------------------------------------------------


def practitioner_by_code(code: str, field: str = "practitioner") -> Practitioner:
    """The practitioner with ``code``, or a 400 ``unknown_practitioner``."""
    practitioner = Practitioner.objects.filter(code=code).first()
    if practitioner is None:
        raise InvalidInput(
            SafetyErrorCode.UNKNOWN_PRACTITIONER,
            f"No practitioner with code {code!r}.",
            details={"field": field, field: code},
        )
    return practitioner


def _audit_view(request: HttpRequest, action: str, client: Client, count: int) -> None:
    audit_record(actor=request.user, action=action, client_id=client.pk, data={"results": count})


def questionnaire_out(questionnaire: HealthQuestionnaire, *, current: bool) -> dict[str, Any]:
    return {
        "id": str(questionnaire.pk),
        "client": str(questionnaire.client_id),
        "answered_at": questionnaire.answered_at,
        "pregnant": questionnaire.pregnant,
        "breastfeeding": questionnaire.breastfeeding,
        "allergies": questionnaire.allergies,
        "conditions": questionnaire.conditions,
        "medications": questionnaire.medications,
        "isotretinoin_last_taken_on": questionnaire.isotretinoin_last_taken_on,
        "source": questionnaire.source,
        "notes": questionnaire.notes,
        "current": current,
    }


def consent_out(consent: SignedConsent) -> dict[str, Any]:
    return {
        "id": str(consent.pk),
        "client": str(consent.client_id),
        "treatment": consent.treatment.code,
        "form_version": consent.form_version,
        "title": consent.title,
        "text": consent.text,
        "signed_name": consent.signed_name,
        "signature_kind": consent.signature_kind,
        "signed_at": consent.signed_at,
        "photo_use": consent.photo_use,
        "marketing": consent.marketing,
    }


def consent_form_out(form: ConsentForm) -> dict[str, Any]:
    return {
        "treatment": form.treatment.code,
        "version": form.version,
        "title": form.title,
        "body": form.body,
        "cooling_off_hours": form.cooling_off_hours,
    }


def override_out(override: Override) -> dict[str, Any]:
    return {
        "id": str(override.pk),
        "client": str(override.client_id),
        "treatment": override.treatment.code,
        "code": override.code,
        "justification": override.justification,
        "practitioner": override.practitioner.code,
        "created_at": override.created_at,
        "expires_at": override.expires_at,
        "active": selectors.override_is_active(override=override),
    }


def prescription_out(prescription: Prescription) -> dict[str, Any]:
    return {
        "id": str(prescription.pk),
        "client": str(prescription.client_id),
        "prescriber": prescription.prescriber.code,
        "formulation": prescription.formulation.code,
        "consultation_at": prescription.consultation_at,
        "face_to_face": prescription.face_to_face,
        "created_at": prescription.created_at,
    }


def toxin_out(administration: ToxinAdministration) -> dict[str, Any]:
    formulation: Formulation | None = administration.formulation
    return {
        "id": str(administration.pk),
        "client": str(administration.client_id),
        "administered_on": administration.administered_on,
        "formulation": formulation.code if formulation else None,
        "product_name": administration.product_name,
        "units": administration.units,
        "source": administration.source,
        "source_reference": administration.source_reference,
    }


# --- Questionnaires ------------------------------------------------------------------------


@router.post("/clients/{client_id}/questionnaires", response={201: QuestionnaireOut})
def questionnaire_create(
    request: HttpRequest, client_id: str, payload: QuestionnaireIn
) -> Status[dict[str, Any]]:
    """Record a health questionnaire; it supersedes earlier ones. Unknown conditions → 400."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    questionnaire = services.questionnaire_record(
        actor=request.user, client=client, **payload.dict()
    )
    return Status(201, questionnaire_out(questionnaire, current=True))


@router.get("/clients/{client_id}/questionnaires", response=list[QuestionnaireOut])
def questionnaire_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """The client's questionnaires, newest first; ``current`` marks the one screening uses."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    questionnaires = list(selectors.questionnaire_list(client=client))
    _audit_view(request, "questionnaire.view", client, len(questionnaires))
    return [
        questionnaire_out(questionnaire, current=index == 0)
        for index, questionnaire in enumerate(questionnaires)
    ]


# --- Screening -----------------------------------------------------------------------------


@router.post("/screenings", response=ScreeningOut)
def screening_create(request: HttpRequest, payload: ScreeningIn) -> dict[str, Any]:
    """Screen a client for a treatment: the outcome and every reason (domain.md §4).

    A role without clinical access gets the outcome and a plain ``next_step``, no reasons.

    Unknown client → 404; unknown treatment, formulation or practitioner → 400. ``on``
    defaults to today; ``at`` (optional, with offset) is the treatment moment.
    """
    require(request.user, Access.STAFF)
    client = client_by_id(str(payload.client))
    treatment = treatment_by_code(payload.treatment)
    formulation = formulation_by_code(payload.formulation) if payload.formulation else None
    practitioner = practitioner_by_code(payload.practitioner) if payload.practitioner else None
    result = services.screening_run(
        actor=request.user,
        client=client,
        treatment=treatment,
        formulation=formulation,
        practitioner=practitioner,
        on=payload.on,
        at=payload.at,
        toxin_bookings=toxin_booking_days(client=client),
    )
    answer = services.screening_as_dict(result)
    return answer if sees_clinical(request.user) else screening_for_front_desk(answer)


# --- Consent -------------------------------------------------------------------------------


@router.get("/consent-forms", response=list[ConsentFormOut])
def consent_form_list(request: HttpRequest, treatment: str | None = None) -> list[dict[str, Any]]:
    """The current consent form of each treatment (or of ``treatment``)."""
    require(request.user, Access.STAFF)
    forms = selectors.consent_forms_current()
    if treatment is not None:
        forms = [form for form in forms if form.treatment.code == treatment]
    return [consent_form_out(form) for form in forms]


@router.post("/clients/{client_id}/consents", response={201: ConsentOut})
def consent_create(
    request: HttpRequest, client_id: str, payload: ConsentIn
) -> Status[dict[str, Any]]:
    """Sign the current consent form for a treatment. ``accepted`` must be true (else 422)."""
    require_consent_taker(request.user)
    client = client_by_id(client_id)
    treatment = treatment_by_code(payload.treatment)
    consent = consent_services.consent_sign(
        actor=request.user,
        client=client,
        treatment=treatment,
        signed_name=payload.signed_name,
        accepted=payload.accepted,
        signature_kind=payload.signature_kind,
        signature_data=payload.signature_data,
        photo_use=payload.photo_use,
        marketing=payload.marketing,
        form_version=payload.form_version,
    )
    return Status(201, consent_out(consent))


@router.get("/clients/{client_id}/consents", response=list[ConsentOut])
def consent_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """The client's signed consents with the exact text signed, newest first."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    consents = list(selectors.consent_list(client=client))
    _audit_view(request, "consent.view", client, len(consents))
    return [consent_out(consent) for consent in consents]


# --- Overrides -----------------------------------------------------------------------------


@router.post("/clients/{client_id}/overrides", response={201: OverrideOut})
def override_create(
    request: HttpRequest, client_id: str, payload: OverrideIn
) -> Status[dict[str, Any]]:
    """A practitioner overrides one ``override`` reason, with a written justification.

    ``refuse`` codes → 422 ``not_overridable``; empty justification → 400; a user who is not
    a registered clinician → 403.
    """
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    treatment = treatment_by_code(payload.treatment)
    override = services.override_record(
        actor=request.user,
        client=client,
        treatment=treatment,
        code=payload.code,
        justification=payload.justification,
    )
    return Status(201, override_out(override))


@router.get("/clients/{client_id}/overrides", response=list[OverrideOut])
def override_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """The client's overrides, newest first, with whether each is still active."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    overrides = list(selectors.override_list(client=client))
    _audit_view(request, "override.view", client, len(overrides))
    return [override_out(override) for override in overrides]


# --- Prescriptions and toxin history -------------------------------------------------------


@router.post("/clients/{client_id}/prescriptions", response={201: PrescriptionOut})
def prescription_create(
    request: HttpRequest, client_id: str, payload: PrescriptionIn
) -> Status[dict[str, Any]]:
    """Record a face-to-face prescriber consultation and prescription.

    422 ``not_a_prescriber`` when the prescriber has no current prescribing qualification on
    the consultation date; 403 ``not_own_prescription`` when ``prescriber`` (default: the
    acting practitioner) is anyone but the acting user.
    """
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    prescriber = (
        practitioner_by_code(payload.prescriber, "prescriber")
        if payload.prescriber
        else own_practitioner(request.user)
    )
    formulation = formulation_by_code(payload.formulation)
    prescription = services.prescription_record(
        actor=request.user,
        client=client,
        prescriber=prescriber,
        formulation=formulation,
        consultation_at=payload.consultation_at,
        notes=payload.notes,
    )
    return Status(201, prescription_out(prescription))


@router.get("/clients/{client_id}/prescriptions", response=list[PrescriptionOut])
def prescription_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """The client's prescriptions, newest consultation first."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    prescriptions = list(selectors.prescription_list(client=client))
    _audit_view(request, "prescription.view", client, len(prescriptions))
    return [prescription_out(prescription) for prescription in prescriptions]


@router.post("/clients/{client_id}/toxin-history", response={201: ToxinHistoryOut})
def toxin_history_create(
    request: HttpRequest, client_id: str, payload: ToxinHistoryIn
) -> Status[dict[str, Any]]:
    """Record a past botulinum toxin administration (read by the ``toxin_interval`` rule)."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    formulation = formulation_by_code(payload.formulation) if payload.formulation else None
    administration = services.toxin_history_record(
        actor=request.user,
        client=client,
        administered_on=payload.administered_on,
        formulation=formulation,
        product_name=payload.product_name,
        units=payload.units,
    )
    return Status(201, toxin_out(administration))


@router.get("/clients/{client_id}/toxin-history", response=list[ToxinHistoryOut])
def toxin_history_list(request: HttpRequest, client_id: str) -> list[dict[str, Any]]:
    """The client's toxin administrations, most recent first."""
    require(request.user, Access.CLINICAL)
    client = client_by_id(client_id)
    history = list(selectors.toxin_history(client=client))
    _audit_view(request, "toxin_history.view", client, len(history))
    return [toxin_out(administration) for administration in history]
