"""Writes for consent: publish a treatment's consent form (a new version each time; signed
consents keep the text they were signed on), and record a client's signature on the
current one (``consent_form.publish``, ``consent.sign``). Keyword-only arguments, one
transaction, one audit entry; refusals carry a ``SafetyErrorCode``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.core.audit import Actor, audit_record
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import Client
from mesoclinic.safety import selectors
from mesoclinic.safety.consent_text import default_consent_body, default_consent_title
from mesoclinic.safety.errors import SafetyErrorCode as Code
from mesoclinic.safety.models import ConsentForm, SignatureKind, SignedConsent
from mesoclinic.safety.services import MAX_TEXT_LENGTH, _clean_text, _user

MAX_SIGNATURE_LENGTH = 200_000
_SIGNATURE_PATH = re.compile(
    r"^(?:\s*[ML]\s*-?\d{1,5}(?:\.\d{1,3})?[\s,]+-?\d{1,5}(?:\.\d{1,3})?)+\s*$"
)


def consent_form_publish(
    *,
    actor: Actor,
    treatment: Treatment,
    title: str,
    body: str,
    cooling_off_hours: int | None = None,
) -> ConsentForm:
    """Publish a new version of a treatment's consent form; it becomes the current one.

    Earlier versions stay untouched, and so does every consent signed on them.
    """
    title = _clean_text(title, "title", required=True)[:200]
    body = (
        _clean_text(body, "body", required=True) if len(body) <= MAX_TEXT_LENGTH else body.strip()
    )
    with transaction.atomic():
        latest = ConsentForm.objects.select_for_update().filter(treatment=treatment)
        version = (latest.aggregate(v=Max("version"))["v"] or 0) + 1
        form = ConsentForm.objects.create(
            treatment=treatment,
            version=version,
            title=title,
            body=body,
            cooling_off_hours=cooling_off_hours,
            created_at=clock.now(),
            created_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="consent_form.publish",
            obj=form,
            summary=f"{treatment.code} consent form v{version}",
        )
    return form


def consent_form_ensure(*, actor: Actor, treatment: Treatment) -> ConsentForm:
    """The treatment's current consent form, publishing the default wording if it has none."""
    form = selectors.consent_form_current(treatment=treatment)
    if form is not None:
        return form
    return consent_form_publish(
        actor=actor,
        treatment=treatment,
        title=default_consent_title(treatment),
        body=default_consent_body(treatment),
    )


def consent_sign(
    *,
    actor: Actor,
    client: Client,
    treatment: Treatment,
    signed_name: str,
    accepted: object,
    signature_kind: str = SignatureKind.TYPED,
    signature_data: str = "",
    photo_use: bool = False,
    marketing: bool = False,
    form_version: int | None = None,
) -> SignedConsent:
    """Record the client's signature on the current consent form for ``treatment``.

    ``accepted`` must be exactly ``True`` (422 ``consent_not_accepted``). When the caller
    showed the client a particular version, pass ``form_version``: if the form has changed
    since, nothing is signed (409-style ``consent_form_changed``, 422). The exact text is
    copied into the signed consent. Photo use and marketing are separate opt-ins.
    """
    if accepted is not True:
        raise RuleRefused(
            Code.CONSENT_NOT_ACCEPTED,
            "The client has not accepted the consent form, so nothing was signed.",
            details={"field": "accepted"},
        )
    name = _clean_text(signed_name, "signed_name", required=True)[:200]
    kind, data = _clean_signature(signature_kind, signature_data)
    with transaction.atomic():
        form = consent_form_ensure(actor=actor, treatment=treatment)
        if form_version is not None and form_version != form.version:
            raise RuleRefused(
                Code.CONSENT_FORM_CHANGED,
                f"The consent form changed (now version {form.version}); show the client the "
                "current text and sign again.",
                details={"form_version": form.version, "field": "form_version"},
            )
        consent = SignedConsent.objects.create(
            client=client,
            form=form,
            treatment=treatment,
            form_version=form.version,
            title=form.title,
            text=form.body,
            text_sha256=hashlib.sha256(form.body.encode()).hexdigest(),
            signed_name=name,
            signature_kind=kind,
            signature_data=data,
            signed_at=clock.now(),
            photo_use=bool(photo_use),
            marketing=bool(marketing),
            captured_by=_user(actor),
        )
        audit_record(
            actor=actor,
            action="consent.sign",
            obj=consent,
            client_id=client.pk,
            summary=f"{treatment.code} consent v{form.version} signed ({kind})",
            data={
                "treatment": treatment.code,
                "form_version": form.version,
                "photo_use": consent.photo_use,
                "marketing": consent.marketing,
            },
        )
    return consent


def _clean_signature(kind: str, data: str) -> tuple[str, str]:
    if kind not in SignatureKind.values:
        raise InvalidInput(
            Code.INVALID_SIGNATURE,
            f"Signature kind must be one of {', '.join(SignatureKind.values)}.",
            details={"field": "signature_kind"},
        )
    if kind == SignatureKind.TYPED:
        return kind, ""
    data = (data or "").strip()
    if not data or len(data) > MAX_SIGNATURE_LENGTH or not _SIGNATURE_PATH.match(data):
        raise InvalidInput(
            Code.INVALID_SIGNATURE,
            "Draw the signature in the box (or type the name instead).",
            details={"field": "signature_data"},
        )
    return kind, data


__all__: Sequence[str] = ("consent_form_ensure", "consent_form_publish", "consent_sign")
