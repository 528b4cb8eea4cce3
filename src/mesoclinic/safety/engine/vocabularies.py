"""The screening engine's vocabularies: severities, outcomes, reason codes, condition codes
and professions, with their precedence orders and the two fixed constants (``ADULT_AGE``,
``UNDER_EYE_AREA``). Everything else in the engine speaks in these terms; this module
imports nothing from the rest of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

ADULT_AGE = 18
"""Age below which injectables and toxin are refused. Set by law, so not configurable."""

UNDER_EYE_AREA = "under-eye"


class Severity(StrEnum):
    """How serious a reason is; see ``SEVERITY_PRECEDENCE`` for the order."""

    REFUSE = "refuse"
    MISSING = "missing"
    OVERRIDE = "override"
    PRESCRIBER = "prescriber"
    WARN = "warn"


class Outcome(StrEnum):
    """What screening concludes; one per severity, plus ``allowed``."""

    REFUSED = "refused"
    INCOMPLETE = "incomplete"
    NEEDS_OVERRIDE = "needs_override"
    NEEDS_PRESCRIBER = "needs_prescriber"
    ALLOWED_WITH_WARNINGS = "allowed_with_warnings"
    ALLOWED = "allowed"


SEVERITY_PRECEDENCE: tuple[Severity, ...] = tuple(Severity)
"""Severities from highest to lowest precedence."""

OUTCOME_PRECEDENCE: tuple[Outcome, ...] = tuple(Outcome)
"""Outcomes from highest to lowest precedence (``refused`` first, ``allowed`` last)."""

_OUTCOME_FOR_SEVERITY: Mapping[Severity, Outcome] = MappingProxyType(
    {
        Severity.REFUSE: Outcome.REFUSED,
        Severity.MISSING: Outcome.INCOMPLETE,
        Severity.OVERRIDE: Outcome.NEEDS_OVERRIDE,
        Severity.PRESCRIBER: Outcome.NEEDS_PRESCRIBER,
        Severity.WARN: Outcome.ALLOWED_WITH_WARNINGS,
    }
)


class ReasonCode(StrEnum):
    """Every reason code of domain.md §4."""

    UNDER_18 = "under_18"
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    INGREDIENT_ALLERGY = "ingredient_allergy"
    ACTIVE_INFECTION_AT_SITE = "active_infection_at_site"
    PRACTITIONER_NOT_QUALIFIED = "practitioner_not_qualified"
    PRACTITIONER_REGISTRATION_EXPIRED = "practitioner_registration_expired"
    TOXIN_NEUROMUSCULAR_DISORDER = "toxin_neuromuscular_disorder"
    PACEMAKER = "pacemaker"
    QUESTIONNAIRE_MISSING = "questionnaire_missing"
    ANTICOAGULANTS = "anticoagulants"
    BLEEDING_DISORDER = "bleeding_disorder"
    AUTOIMMUNE_DISEASE = "autoimmune_disease"
    KELOID_HISTORY = "keloid_history"
    ISOTRETINOIN_RECENT = "isotretinoin_recent"
    INSULIN_DEPENDENT_DIABETES = "insulin_dependent_diabetes"
    ACTIVE_CANCER = "active_cancer"
    TOXIN_INTERVAL = "toxin_interval"
    PRESCRIBER_CONSULTATION_REQUIRED = "prescriber_consultation_required"
    CONSENT_MISSING = "consent_missing"
    COOLING_OFF = "cooling_off"
    PRONE_TO_UNDER_EYE_SWELLING = "prone_to_under_eye_swelling"
    SWELLING_EXPECTED = "swelling_expected"
    INSURANCE_EXPIRED = "insurance_expired"


class Condition(StrEnum):
    """Questionnaire condition codes (api-contract.md, questionnaires)."""

    ACTIVE_INFECTION_AT_SITE = "active_infection_at_site"
    ANTICOAGULANTS = "anticoagulants"
    BLEEDING_DISORDER = "bleeding_disorder"
    AUTOIMMUNE_DISEASE = "autoimmune_disease"
    KELOID_HISTORY = "keloid_history"
    ISOTRETINOIN_RECENT = "isotretinoin_recent"
    INSULIN_DEPENDENT_DIABETES = "insulin_dependent_diabetes"
    ACTIVE_CANCER = "active_cancer"
    NEUROMUSCULAR_DISORDER = "neuromuscular_disorder"
    PACEMAKER = "pacemaker"
    PRONE_TO_UNDER_EYE_SWELLING = "prone_to_under_eye_swelling"


CONDITION_CODES: frozenset[str] = frozenset(Condition)


class Profession(StrEnum):
    """Practitioner professions (domain.md §3)."""

    DOCTOR = "doctor"
    NURSE = "nurse"
    DENTIST = "dentist"
    PHARMACIST = "pharmacist"
    THERAPIST = "therapist"
