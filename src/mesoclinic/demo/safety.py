"""Demo clinical-safety data: consent forms, questionnaires, consents, a prescription, history.

Called by the demo loader after clients, practitioners and the catalogue exist. Every write
goes through ``safety.services``; each step is skipped when its data is already there, so a
second run changes nothing. All people and histories are fictional.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.core import clock
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety import consent_services, services
from mesoclinic.safety.consent_text import default_consent_body, default_consent_title
from mesoclinic.safety.engine import Condition
from mesoclinic.safety.models import (
    ConsentForm,
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
    ToxinAdministration,
)


@dataclass(frozen=True)
class DemoHistory:
    """One client's safety history; ``days_ago`` dates the questionnaire."""

    email: str
    days_ago: int = 20
    pregnant: bool = False
    breastfeeding: bool = False
    allergies: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    consents: tuple[str, ...] = ()
    notes: str = ""


HISTORIES: tuple[DemoHistory, ...] = (
    DemoHistory("amelia.hart@example.com", consents=("face-revitalise",)),
    DemoHistory(
        "olivia.brennan@example.com",
        conditions=(Condition.ANTICOAGULANTS,),
        medications=("Warfarin 3 mg daily",),
        consents=("face-revitalise",),
        notes="On warfarin for atrial fibrillation; INR stable.",
    ),
    DemoHistory("isla.murray@example.com", breastfeeding=True, notes="Baby born 4 months ago."),
    DemoHistory("sophie.carter@example.com", consents=("mesotox", "pigmentation")),
    DemoHistory("noah.fletcher@example.com", conditions=(Condition.PACEMAKER,)),
    DemoHistory("priya.raman@example.com", allergies=("Lidocaine (reaction at the dentist)",)),
    DemoHistory("chloe.dawson@example.com", pregnant=True, notes="About 12 weeks pregnant."),
    DemoHistory("james.whitaker@example.com", consents=("mesotox",)),
    DemoHistory(
        "emily.sato@example.com",
        conditions=(Condition.PRONE_TO_UNDER_EYE_SWELLING,),
        consents=("under-eye",),
    ),
    DemoHistory("grace.lindqvist@example.com", days_ago=200, notes="Due for a new questionnaire."),
    DemoHistory("hannah.osei@example.com", allergies=("Soya",)),
    DemoHistory(
        "daniel.moreau@example.com",
        conditions=(Condition.ISOTRETINOIN_RECENT,),
        medications=("Roaccutane (finished 4 months ago)",),
    ),
    DemoHistory("zara.qureshi@example.com", consents=("no-needle-infusion",)),
    DemoHistory("ruby.kowalski@example.com", conditions=(Condition.AUTOIMMUNE_DISEASE,)),
    DemoHistory("mia.fernandes@example.com", days_ago=5, notes="Attended with her mother."),
    DemoHistory("ella.thornton@example.com", conditions=(Condition.INSULIN_DEPENDENT_DIABETES,)),
    DemoHistory("freya.adeyemi@example.com", consents=("face-revitalise", "scalp-hair")),
    DemoHistory("ava.nakamura@example.com", conditions=(Condition.NEUROMUSCULAR_DISORDER,)),
)
"""Questionnaires for 18 of the 20 demo clients (Lucas Byrne and Evie Sinclair have none)."""

OVERRIDES = (
    (
        "olivia.brennan@example.com",
        "face-revitalise",
        "anticoagulants",
        "dr-patel",
        "INR checked this week (2.4, in range). Fine 30G needles, firm pressure after each "
        "pass; client counselled about a higher chance of bruising.",
    ),
)
PRESCRIPTIONS = (
    ("sophie.carter@example.com", "dr-patel", "mesotox-blend", 7),
    ("james.whitaker@example.com", "nurse-okafor", "mesotox-blend", 3),
)
TOXIN_HISTORY = (("james.whitaker@example.com", 60, "Azzalure (glabella), 50 Speywood units"),)


def load_safety_demo() -> None:
    """Load (or leave as it is) the demo clinic's safety data. Idempotent."""
    with transaction.atomic():
        _load_consent_forms()
        clients = {client.email: client for client in Client.objects.all()}
        for history in HISTORIES:
            client = clients.get(history.email)
            if client is not None:
                _load_history(client, history)
        _load_overrides(clients)
        _load_prescriptions(clients)
        _load_toxin_history(clients)


def _load_consent_forms() -> None:
    # A consultation gives nothing, so it has no consent form.
    for treatment in Treatment.objects.filter(active=True, is_consultation=False):
        if not ConsentForm.objects.filter(treatment=treatment).exists():
            consent_services.consent_form_publish(
                actor=None,
                treatment=treatment,
                title=default_consent_title(treatment),
                body=default_consent_body(treatment),
            )


def _load_history(client: Client, history: DemoHistory) -> None:
    if not HealthQuestionnaire.objects.filter(client=client).exists():
        services.questionnaire_record(
            actor=None,
            client=client,
            answered_at=clock.now() - dt.timedelta(days=history.days_ago),
            pregnant=history.pregnant,
            breastfeeding=history.breastfeeding,
            allergies=history.allergies,
            conditions=history.conditions,
            medications=history.medications,
            notes=history.notes,
        )
    for code in history.consents:
        treatment = Treatment.objects.get(code=code)
        if not SignedConsent.objects.filter(client=client, treatment=treatment).exists():
            consent_services.consent_sign(
                actor=None,
                client=client,
                treatment=treatment,
                signed_name=client.full_name,
                accepted=True,
                photo_use=client.pk % 2 == 0,
                marketing=False,
            )


def _load_overrides(clients: dict[str, Client]) -> None:
    for email, treatment_code, code, practitioner_code, justification in OVERRIDES:
        client = clients.get(email)
        treatment = Treatment.objects.get(code=treatment_code)
        if client is None or Override.objects.filter(client=client, code=code).exists():
            continue
        services.override_record(
            actor=None,
            client=client,
            treatment=treatment,
            code=code,
            justification=justification,
            practitioner=Practitioner.objects.get(code=practitioner_code),
        )


def _load_prescriptions(clients: dict[str, Client]) -> None:
    for email, prescriber_code, formulation_code, days_ago in PRESCRIPTIONS:
        client = clients.get(email)
        if client is None or Prescription.objects.filter(client=client).exists():
            continue
        services.prescription_record(
            actor=None,
            client=client,
            prescriber=Practitioner.objects.get(code=prescriber_code),
            formulation=Formulation.objects.get(code=formulation_code),
            consultation_at=clock.now() - dt.timedelta(days=days_ago),
            notes="Face-to-face consultation; suitable for MesoTox (demo).",
        )


def _load_toxin_history(clients: dict[str, Client]) -> None:
    for email, days_ago, product in TOXIN_HISTORY:
        client = clients.get(email)
        if client is None or ToxinAdministration.objects.filter(client=client).exists():
            continue
        services.toxin_history_record(
            actor=None,
            client=client,
            administered_on=clock.today() - dt.timedelta(days=days_ago),
            product_name=product,
        )
