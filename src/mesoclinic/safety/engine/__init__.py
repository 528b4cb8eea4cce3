"""The screening engine: may this client have this treatment, now, from this practitioner?

Implements domain.md §3 (who may treat) and §4 (who may be treated). It is pure Python
over frozen dataclasses — no Django, no database, no clock — so the same call serves
booking, check-in and signing a treatment record, and can be tested exhaustively.

How it works
------------
The Django layer builds a ``ScreeningRequest`` (facts about the client, treatment,
formulation, practitioner, questionnaire, history and the clinic's ``ScreeningConfig``)
and calls ``screen``. Every rule in ``RULES`` whose scope covers the treatment looks at
the facts and may produce ``Reason`` objects. The outcome is the highest-precedence
severity among the reasons: refuse > missing > override > prescriber > warn.

Rules are data: each ``Rule`` carries its reason code, severity, scope (which treatments,
as a description and a predicate), source, and a small check function. Some codes have two
rules with different scopes, e.g. ``pregnant`` refuses needle and toxin treatments but
only warns for no-needle ones.

Decisions worth knowing
-----------------------
- Dates are calendar dates at the clinic (the caller converts to the site's time zone).
  Expiry dates are inclusive: a registration expiring on the treatment date is still valid.
- A stale questionnaire (older than the validity window) produces ``questionnaire_missing``
  *and* is still screened: a declared allergy or condition does not stop mattering
  because the form is old.
- Cooling-off is measured from the earliest consent signed at the current form version to
  the treatment moment: ``ScreeningRequest.at`` when given (pass the appointment's
  treatment start), otherwise the start of ``on`` in UTC — the earliest possible moment
  that day, so the check errs on the side of reporting a cooling-off.
- Clinician overrides clear ``override`` reasons only. An override on a ``refuse`` (or any
  other) code is ignored. Cleared reasons are returned in ``ScreeningResult.overridden``
  so screens can show what was overridden.
- The caller passes history *other than* the session being screened (e.g. when a
  treatment record is signed, leave its own toxin administration out).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from mesoclinic.safety.allergens import (
    KNOWN_ALLERGEN_GROUP_MEMBERS,
    AllergenGroupFacts,
    IngredientFacts,
    find_allergy_matches,
)
from mesoclinic.safety.medications import (
    ANTICOAGULANT_TERMS,
    ISOTRETINOIN_TERMS,
    mentioned_terms,
)
from mesoclinic.safety.text import normalize_term

__all__ = [
    "ADULT_AGE",
    "CONDITION_CODES",
    "DEFAULT_CONFIG",
    "OUTCOME_PRECEDENCE",
    "RULES",
    "SEVERITY_PRECEDENCE",
    "AllergenGroupFacts",
    "ClientFacts",
    "Condition",
    "ConsentFacts",
    "Finding",
    "FormulationFacts",
    "IngredientFacts",
    "Outcome",
    "PractitionerFacts",
    "PrescriptionFacts",
    "Profession",
    "QuestionnaireFacts",
    "Reason",
    "ReasonCode",
    "Rule",
    "ScreeningConfig",
    "ScreeningRequest",
    "ScreeningResult",
    "Severity",
    "TreatmentFacts",
    "age_on",
    "birthday_in_year",
    "blocks_booking",
    "current_consents",
    "is_first_toxin_treatment",
    "is_needle_or_toxin_treatment",
    "is_no_needle_treatment",
    "is_prescription_only_treatment",
    "is_prescription_valid",
    "is_toxin_treatment",
    "last_toxin_administration",
    "latest_valid_prescription",
    "outcome_for",
    "required_cooling_off_hours",
    "screen",
    "subtract_months",
    "treatment_moment",
    "unresolved_for_treatment",
]

ADULT_AGE = 18
"""Age below which injectables and toxin are refused. Set by law, so not configurable."""

UNDER_EYE_AREA = "under-eye"


# --- Vocabularies -------------------------------------------------------------------------


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


# --- Sources --------------------------------------------------------------------------------

SOURCE_CHILDREN_ACT = (
    "Botulinum Toxin and Cosmetic Fillers (Children) Act 2021; "
    "product SPCs (not licensed for use in children)"
)
SOURCE_CLINIC_POLICY = "Clinic policy (configurable)"
SOURCE_SPC = "Product SPC / manufacturer's instructions"
SOURCE_TOXIN_SPC = "Botulinum toxin type A SPC"
SOURCE_CLINICAL_CONTRAINDICATION = "Clinical contraindication (domain reference §4)"
SOURCE_RELATIVE_CONTRAINDICATION = (
    "Relative contraindication: clinician judgement, recorded as an override"
)
SOURCE_SCOPE_OF_PRACTICE = (
    "Scope of practice: injectables by a licensed doctor or nurse (JCCP, Society of "
    "Mesotherapy UK); clinic policy (configurable)"
)
SOURCE_REGISTRATION = (
    "Professional registration (GMC, NMC, GDC, GPhC) and independent-prescriber qualification"
)
SOURCE_PRESCRIPTION = (
    "Human Medicines Regulations 2012 (prescription-only medicines); GMC and NMC guidance: "
    "face-to-face consultation before prescribing cosmetic injectables"
)
SOURCE_ELECTROPORATION = "Electroporation device contraindications (manufacturer)"
SOURCE_CONSENT = "Informed consent (GMC and NMC professional standards); clinic policy"
SOURCE_INSURANCE = "Professional indemnity requirement; clinic policy (configurable)"
SOURCE_AFTERCARE = "Clinical guidance: counselling and aftercare planning"


# --- Input facts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreatmentFacts:
    """The treatment to screen, as the catalogue describes it.

    ``needs_needle``: an injectable (or microneedling) treatment. ``contains_toxin`` and
    ``requires_prescriber`` (prescription-only medicine) may also come from the formulation.
    ``electroporation``: delivered with an electroporation wand. ``cooling_off_hours``
    overrides ``ScreeningConfig.cooling_off_hours`` for this treatment. ``consent_form_version``
    is the current consent form version; ``None`` accepts a consent at any version.
    ``consultation``: a consultation, not a treatment: nothing is given, so only the
    practitioner rules apply, and the practitioner must be a current prescriber.
    """

    code: str
    needs_needle: bool
    requires_prescriber: bool = False
    contains_toxin: bool = False
    electroporation: bool = False
    areas: tuple[str, ...] = ()
    swelling_expected: bool = False
    cooling_off_hours: int | None = None
    consent_form_version: str | None = None
    consultation: bool = False

    @property
    def under_eye(self) -> bool:
        """Whether the treatment works under the eyes (an ``under-eye`` area or code)."""
        wanted = normalize_term(UNDER_EYE_AREA)
        return any(normalize_term(term) == wanted for term in (self.code, *self.areas))


@dataclass(frozen=True, slots=True)
class FormulationFacts:
    """The product or cocktail to be used, with its ingredients."""

    code: str
    name: str
    ingredients: tuple[IngredientFacts, ...] = ()
    contains_toxin: bool = False
    prescription_only: bool = False


@dataclass(frozen=True, slots=True)
class QuestionnaireFacts:
    """The client's latest health questionnaire.

    ``conditions`` are ``Condition`` codes; an unknown code raises ``ValueError`` rather
    than being silently ignored. ``allergies`` and ``medications`` are free text.
    ``isotretinoin_last_taken_on`` is optional extra precision for ``isotretinoin_recent``.
    """

    answered_on: date
    pregnant: bool = False
    breastfeeding: bool = False
    allergies: tuple[str, ...] = ()
    conditions: frozenset[str] = frozenset()
    medications: tuple[str, ...] = ()
    isotretinoin_last_taken_on: date | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.conditions) - CONDITION_CODES)
        if unknown:
            raise ValueError(f"Unknown questionnaire condition codes: {', '.join(unknown)}")

    def has(self, condition: Condition) -> bool:
        """Whether the client declared ``condition``."""
        return condition in self.conditions


@dataclass(frozen=True, slots=True)
class PractitionerFacts:
    """Who would treat, with the expiry dates of their credentials.

    ``profession`` is a ``Profession`` value. ``registration_expires_on`` is ``None`` when
    there is no professional registration (therapists). ``prescriber_expires_on`` is ``None``
    when the practitioner holds no prescribing qualification. ``insurance_expires_on`` is
    ``None`` when no indemnity insurance is recorded.
    """

    code: str
    profession: str
    registration_expires_on: date | None = None
    prescriber_expires_on: date | None = None
    insurance_expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class PrescriptionFacts:
    """A prescription on file, from a face-to-face consultation on ``consulted_on``."""

    prescriber_code: str
    formulation_code: str
    consulted_on: date


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    """A signed consent on file. ``signed_at`` must be timezone-aware."""

    treatment_code: str
    form_version: str
    signed_at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.signed_at, "ConsentFacts.signed_at")


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """The client's age and history as far as screening needs it.

    ``toxin_administrations`` holds the dates of every botulinum toxin administration on
    record (any brand, any area, MesoTox included); a client with none on or before the
    screening date is having a *first* toxin treatment. ``toxin_bookings`` holds the
    days of the client's other active toxin bookings (not the one being screened, and,
    when an existing booking is screened, only those booked before it: the one booked
    second carries the reason). Both count for ``toxin_interval``, before or after.
    """

    birth_date: date
    toxin_administrations: tuple[date, ...] = ()
    toxin_bookings: tuple[date, ...] = ()
    prescriptions: tuple[PrescriptionFacts, ...] = ()
    consents: tuple[ConsentFacts, ...] = ()


def _frozen_mapping(
    mapping: Mapping[str, frozenset[str]],
) -> Callable[[], Mapping[str, frozenset[str]]]:
    return lambda: MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class ScreeningConfig:
    """Every configurable parameter of domain.md §3 and §4, with the shipped defaults.

    Absolute rules have no switch here: a clinic can tune a configurable rule's parameters
    but never silently remove an absolute one.
    """

    questionnaire_validity_days: int = 180
    prescription_validity_days: int = 90
    isotretinoin_lookback_months: int = 12
    toxin_interval_days: int = 84
    under_18_no_needle_severity: Severity | None = Severity.WARN
    cooling_off_hours: int = 0
    first_toxin_cooling_off_hours: int = 24
    injector_professions: frozenset[str] = frozenset({Profession.DOCTOR, Profession.NURSE})
    no_needle_professions: frozenset[str] = frozenset(Profession)
    insurance_expired_blocks_treatment: bool = True
    allergen_group_members: Mapping[str, frozenset[str]] = field(
        default_factory=_frozen_mapping(KNOWN_ALLERGEN_GROUP_MEMBERS), hash=False
    )
    anticoagulant_terms: frozenset[str] = ANTICOAGULANT_TERMS
    isotretinoin_terms: frozenset[str] = ISOTRETINOIN_TERMS

    def __post_init__(self) -> None:
        for name in (
            "questionnaire_validity_days",
            "prescription_validity_days",
            "cooling_off_hours",
            "first_toxin_cooling_off_hours",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.toxin_interval_days < 1:
            raise ValueError("toxin_interval_days must be at least 1")
        if not 6 <= self.isotretinoin_lookback_months <= 12:
            raise ValueError("isotretinoin_lookback_months must be between 6 and 12")


DEFAULT_CONFIG = ScreeningConfig()


@dataclass(frozen=True, slots=True)
class ScreeningRequest:
    """Everything one screening looks at.

    ``on`` is the treatment (or booking) date; ``at`` optionally the treatment moment
    (timezone-aware), used for cooling-off. ``formulation``, ``practitioner`` and
    ``questionnaire`` are optional: rules that need them are skipped when absent, except
    that a missing questionnaire is itself a reason. ``overridden_codes`` are the reason
    codes a clinician has overridden for this client and treatment.
    """

    on: date
    client: ClientFacts
    treatment: TreatmentFacts
    formulation: FormulationFacts | None = None
    practitioner: PractitionerFacts | None = None
    questionnaire: QuestionnaireFacts | None = None
    overridden_codes: frozenset[str] = frozenset()
    at: datetime | None = None
    config: ScreeningConfig = DEFAULT_CONFIG

    def __post_init__(self) -> None:
        if self.at is not None:
            _require_aware(self.at, "ScreeningRequest.at")


# --- Output --------------------------------------------------------------------------------

DetailValue = str | int | bool | None | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: what, how serious, what to do next, and on what authority.

    ``blocks_treatment`` is true when the reason must be resolved before a treatment record
    is accepted: every non-warn reason, and the warn reasons ``consent_missing``,
    ``cooling_off`` and (by default) ``insurance_expired``. ``details`` holds
    JSON-friendly values (dates as ISO strings).
    """

    code: ReasonCode
    severity: Severity
    message: str
    source: str
    blocks_treatment: bool
    details: Mapping[str, DetailValue] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The outcome and the reasons behind it, highest precedence first.

    ``overridden`` holds the ``override`` reasons a clinician has already overridden; they
    do not count towards the outcome.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    overridden: tuple[Reason, ...] = ()

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        """The codes of ``reasons``, in order."""
        return tuple(reason.code for reason in self.reasons)


# --- Rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule's check reports; the rule supplies code, source and default severity."""

    message: str
    details: Mapping[str, DetailValue] = field(default_factory=dict, hash=False)
    severity: Severity | None = None
    blocks_treatment: bool | None = None


Check = Callable[[ScreeningRequest], Iterable[Finding]]
Scope = Callable[[ScreeningRequest], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    """One screening rule: a reason code with its severity, scope, source and check.

    ``applies`` decides whether the treatment is in scope (described in words by
    ``scope``); ``check`` looks at the facts and yields findings. ``configurable`` marks
    rules whose parameters come from ``ScreeningConfig``.
    """

    code: ReasonCode
    severity: Severity
    scope: str
    source: str
    applies: Scope
    check: Check
    blocks_treatment: bool = False
    configurable: bool = False

    def evaluate(self, request: ScreeningRequest) -> tuple[Reason, ...]:
        """Run the rule: no reasons when out of scope, else one per finding."""
        if not self.applies(request):
            return ()
        return tuple(self._reason(finding) for finding in self.check(request))

    def _reason(self, finding: Finding) -> Reason:
        severity = finding.severity or self.severity
        blocks = finding.blocks_treatment
        if blocks is None:
            blocks = self.blocks_treatment
        return Reason(
            code=self.code,
            severity=severity,
            message=finding.message,
            source=self.source,
            blocks_treatment=blocks or severity is not Severity.WARN,
            details=MappingProxyType(dict(finding.details)),
        )


# Scopes ---------------------------------------------------------------------------------


def is_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether the treatment or the formulation contains botulinum toxin."""
    formulation = request.formulation
    return request.treatment.contains_toxin or (
        formulation is not None and formulation.contains_toxin
    )


def is_needle_or_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether injector rules apply: an injectable treatment, or any toxin treatment."""
    return request.treatment.needs_needle or is_toxin_treatment(request)


def is_no_needle_treatment(request: ScreeningRequest) -> bool:
    """Whether the treatment has no needle and no toxin (e.g. electroporation)."""
    return not is_needle_or_toxin_treatment(request)


def is_prescription_only_treatment(request: ScreeningRequest) -> bool:
    """Whether a prescription-only medicine is involved (flagged, or toxin)."""
    formulation = request.formulation
    return (
        request.treatment.requires_prescriber
        or (formulation is not None and formulation.prescription_only)
        or is_toxin_treatment(request)
    )


def _every_treatment(request: ScreeningRequest) -> bool:
    return True


def _is_electroporation(request: ScreeningRequest) -> bool:
    return request.treatment.electroporation


def _is_under_eye(request: ScreeningRequest) -> bool:
    return request.treatment.under_eye


def _is_swelling_expected(request: ScreeningRequest) -> bool:
    return request.treatment.swelling_expected


def _has_formulation(request: ScreeningRequest) -> bool:
    return request.formulation is not None


def _has_practitioner(request: ScreeningRequest) -> bool:
    return request.practitioner is not None


def _needle_or_toxin_with_practitioner(request: ScreeningRequest) -> bool:
    return _has_practitioner(request) and is_needle_or_toxin_treatment(request)


def _prescription_only_with_practitioner(request: ScreeningRequest) -> bool:
    return _has_practitioner(request) and is_prescription_only_treatment(request)


# Client age --------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Return the age in whole years on ``on``.

    Someone born on 29 February becomes a year older on 1 March in common years (as in
    English law), because (3, 1) is not before (2, 29).
    """
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def birthday_in_year(birth_date: date, year: int) -> date:
    """Return the birthday in ``year``; 29 February falls on 1 March in common years."""
    if (birth_date.month, birth_date.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def _check_under_18(request: ScreeningRequest) -> Iterable[Finding]:
    age = age_on(request.client.birth_date, request.on)
    if age >= ADULT_AGE:
        return
    adult_on = birthday_in_year(
        request.client.birth_date, request.client.birth_date.year + ADULT_AGE
    )
    yield Finding(
        message=(
            f"The client is {age} on {request.on.isoformat()} and turns {ADULT_AGE} on "
            f"{adult_on.isoformat()}. Injectable and toxin treatments must not be booked or "
            "given to anyone under 18: do not book."
        ),
        details={"age": age, "adult_on": adult_on.isoformat()},
    )


def _check_under_18_no_needle(request: ScreeningRequest) -> Iterable[Finding]:
    severity = request.config.under_18_no_needle_severity
    age = age_on(request.client.birth_date, request.on)
    if severity is None or age >= ADULT_AGE:
        return
    yield Finding(
        message=(
            f"The client is {age} on {request.on.isoformat()}. A no-needle treatment for "
            "someone under 18 needs written consent from a parent or guardian, who should "
            "attend the appointment."
        ),
        details={"age": age},
        severity=severity,
    )


# Questionnaire -----------------------------------------------------------------------------


def _check_questionnaire_missing(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    validity = request.config.questionnaire_validity_days
    if questionnaire is None:
        yield Finding(
            message=(
                "There is no health questionnaire on file. Ask the client to complete one; "
                "screening cannot finish without it."
            ),
            details={"validity_days": validity},
        )
        return
    age_days = (request.on - questionnaire.answered_on).days
    if age_days > validity:
        yield Finding(
            message=(
                f"The latest health questionnaire was answered on "
                f"{questionnaire.answered_on.isoformat()}, {age_days} days before "
                f"{request.on.isoformat()}; it is valid for {validity} days. Ask the client "
                "to complete a new one."
            ),
            details={
                "answered_on": questionnaire.answered_on.isoformat(),
                "age_days": age_days,
                "validity_days": validity,
            },
        )


def _questionnaire_flag(attribute: str, description: str, advice: str) -> Check:
    def check(request: ScreeningRequest) -> Iterable[Finding]:
        questionnaire = request.questionnaire
        if questionnaire is not None and getattr(questionnaire, attribute):
            yield Finding(message=f"The client reports {description}. {advice}")

    return check


def _condition_check(condition: Condition, description: str, advice: str) -> Check:
    def check(request: ScreeningRequest) -> Iterable[Finding]:
        questionnaire = request.questionnaire
        if questionnaire is not None and questionnaire.has(condition):
            yield Finding(
                message=f"The client reports {description}. {advice}",
                details={"condition": condition.value},
            )

    return check


_OVERRIDE_ADVICE = (
    "A clinician must review this and record an override with a justification before proceeding."
)


def _check_anticoagulants(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    if questionnaire is None:
        return
    medicines = mentioned_terms(questionnaire.medications, request.config.anticoagulant_terms)
    declared = questionnaire.has(Condition.ANTICOAGULANTS)
    if not (declared or medicines):
        return
    listed = f" (listed: {', '.join(medicines)})" if medicines else ""
    yield Finding(
        message=(
            f"The client takes anticoagulant or antiplatelet medication{listed}, which raises "
            f"the risk of bruising and haematoma. {_OVERRIDE_ADVICE}"
        ),
        details={"declared": declared, "medications": medicines},
    )


def _check_isotretinoin(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    if questionnaire is None:
        return
    months = request.config.isotretinoin_lookback_months
    medicines = mentioned_terms(questionnaire.medications, request.config.isotretinoin_terms)
    declared = questionnaire.has(Condition.ISOTRETINOIN_RECENT)
    last_taken = questionnaire.isotretinoin_last_taken_on
    taken_recently = last_taken is not None and last_taken >= subtract_months(request.on, months)
    if not (declared or medicines or taken_recently):
        return
    yield Finding(
        message=(
            f"The client has taken isotretinoin in the last {months} months, which slows "
            f"skin healing and raises the risk of scarring. {_OVERRIDE_ADVICE}"
        ),
        details={
            "declared": declared,
            "medications": medicines,
            "last_taken_on": last_taken.isoformat() if last_taken else None,
            "lookback_months": months,
        },
    )


def subtract_months(day: date, months: int) -> date:
    """Return the same day ``months`` earlier, clamped to the end of a shorter month."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


# Formulation -------------------------------------------------------------------------------


def _check_ingredient_allergy(request: ScreeningRequest) -> Iterable[Finding]:
    questionnaire = request.questionnaire
    formulation = request.formulation
    if questionnaire is None or formulation is None:
        return
    matches = find_allergy_matches(
        questionnaire.allergies,
        formulation.ingredients,
        request.config.allergen_group_members,
    )
    for match in matches:
        ingredient = match.ingredient
        via = f" (allergen group: {match.group.name})" if match.group else ""
        yield Finding(
            message=(
                f"The declared allergy '{match.declared}' matches {ingredient.name}{via} in "
                f"{formulation.name}. Do not use this formulation: choose one without "
                f"{ingredient.name}, or do not treat."
            ),
            details={
                "ingredient": ingredient.code,
                "ingredient_name": ingredient.name,
                "allergy": match.declared,
                "allergen_group": match.group.code if match.group else None,
                "formulation": formulation.code,
            },
        )


# Practitioner ------------------------------------------------------------------------------


def _allowed_professions(request: ScreeningRequest) -> frozenset[str]:
    config = request.config
    if is_needle_or_toxin_treatment(request):
        return config.injector_professions
    return config.no_needle_professions


def _check_practitioner_qualified(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    if request.treatment.consultation:
        yield from _check_consulting_prescriber(request, practitioner)
        return
    allowed = _allowed_professions(request)
    allowed_text = " or ".join(sorted(allowed)) or "no profession"
    if practitioner.profession not in allowed:
        yield Finding(
            message=(
                f"{practitioner.code} is a {practitioner.profession}; {request.treatment.code} "
                f"must be given by a {allowed_text}. Choose a qualified practitioner."
            ),
            details={"profession": practitioner.profession, "allowed": tuple(sorted(allowed))},
        )
    elif is_needle_or_toxin_treatment(request) and practitioner.registration_expires_on is None:
        yield Finding(
            message=(
                f"{practitioner.code} has no professional registration on file; injectable "
                "and toxin treatments need a current registration. Record it, or choose "
                "another practitioner."
            ),
            details={"profession": practitioner.profession, "registration_expires_on": None},
        )


def _check_consulting_prescriber(
    request: ScreeningRequest, practitioner: PractitionerFacts
) -> Iterable[Finding]:
    expires_on = practitioner.prescriber_expires_on
    if expires_on is None or expires_on < request.on:
        yield Finding(
            message=(
                f"{practitioner.code} is not a current prescriber; a consultation (which may "
                "lead to a prescription) is with a prescriber. Choose another practitioner."
            ),
            details={"qualification": "prescriber", "expires_on": _iso(expires_on)},
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _check_registration_current(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    expires_on = practitioner.registration_expires_on
    if expires_on is None or expires_on >= request.on:
        return  # none on file is reported as practitioner_not_qualified
    if practitioner.profession not in request.config.injector_professions:
        return  # out of scope entirely: reported as practitioner_not_qualified
    yield Finding(
        message=(
            f"{practitioner.code}'s professional registration expired on "
            f"{expires_on.isoformat()}. They cannot give injectable or toxin treatments "
            "until it is renewed: choose another practitioner."
        ),
        details={"qualification": "registration", "expired_on": expires_on.isoformat()},
    )


def _check_prescribing_qualification_current(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    prescription = latest_valid_prescription(request)
    assert practitioner is not None  # guaranteed by the rule's scope
    if prescription is None or prescription.prescriber_code != practitioner.code:
        return
    expires_on = practitioner.prescriber_expires_on
    if expires_on is not None and expires_on >= request.on:
        return
    expired_text = f"expired on {expires_on.isoformat()}" if expires_on else "is not on file"
    yield Finding(
        message=(
            f"{practitioner.code} wrote the prescription on file (consultation "
            f"{prescription.consulted_on.isoformat()}), but their prescribing qualification "
            f"{expired_text}. A current prescriber must see the client and prescribe, or "
            "choose another practitioner."
        ),
        details={
            "qualification": "prescriber",
            "expired_on": expires_on.isoformat() if expires_on else None,
        },
    )


def _check_insurance(request: ScreeningRequest) -> Iterable[Finding]:
    practitioner = request.practitioner
    assert practitioner is not None  # guaranteed by the rule's scope
    expires_on = practitioner.insurance_expires_on
    if expires_on is not None and expires_on >= request.on:
        return
    state = f"expired on {expires_on.isoformat()}" if expires_on else "is not on file"
    yield Finding(
        message=(
            f"{practitioner.code}'s indemnity insurance {state}. Renew it before treating; "
            "until then the treatment record cannot be accepted."
        ),
        details={"expired_on": expires_on.isoformat() if expires_on else None},
        blocks_treatment=request.config.insurance_expired_blocks_treatment,
    )


# Prescriptions -----------------------------------------------------------------------------


def is_prescription_valid(prescription: PrescriptionFacts, request: ScreeningRequest) -> bool:
    """Whether a prescription covers this formulation on the screening date.

    The consultation must be on or before ``on`` and at most
    ``prescription_validity_days`` before it (inclusive).
    """
    formulation = request.formulation
    age_days = (request.on - prescription.consulted_on).days
    return (
        formulation is not None
        and prescription.formulation_code == formulation.code
        and 0 <= age_days <= request.config.prescription_validity_days
    )


def latest_valid_prescription(request: ScreeningRequest) -> PrescriptionFacts | None:
    """Return the most recent prescription valid for this screening, if any."""
    valid = [p for p in request.client.prescriptions if is_prescription_valid(p, request)]
    return max(valid, key=lambda prescription: prescription.consulted_on, default=None)


def _check_prescription_on_file(request: ScreeningRequest) -> Iterable[Finding]:
    if latest_valid_prescription(request) is not None:
        return
    formulation = request.formulation
    validity = request.config.prescription_validity_days
    product = formulation.name if formulation else "the product (no formulation chosen)"
    yield Finding(
        message=(
            f"{request.treatment.code} uses a prescription-only medicine and there is no "
            f"prescription for {product} from a face-to-face prescriber consultation in the "
            f"{validity} days up to {request.on.isoformat()}. Book a prescriber consultation "
            "first."
        ),
        details={
            "formulation": formulation.code if formulation else None,
            "validity_days": validity,
        },
    )


# Toxin history -----------------------------------------------------------------------------


def last_toxin_administration(request: ScreeningRequest) -> date | None:
    """Return the latest toxin administration on or before the screening date."""
    earlier = (day for day in request.client.toxin_administrations if day <= request.on)
    return max(earlier, default=None)


def is_first_toxin_treatment(request: ScreeningRequest) -> bool:
    """Whether this is a toxin treatment and the client has had no toxin before it."""
    return is_toxin_treatment(request) and last_toxin_administration(request) is None


def _check_toxin_interval(request: ScreeningRequest) -> Iterable[Finding]:
    interval = request.config.toxin_interval_days
    facts = request.client
    near = [
        (abs((day - request.on).days), day, "administration")
        for day in facts.toxin_administrations
        # One given after this date was second: its own screening carried the reason.
        if day <= request.on and (request.on - day).days < interval
    ] + [
        (abs((day - request.on).days), day, "booking")
        for day in facts.toxin_bookings
        if abs((day - request.on).days) < interval
    ]
    if not near:
        return
    last = last_toxin_administration(request)
    if last is not None and (request.on - last).days < interval:
        # The classic case keeps its wording: the last dose before this date.
        days = (request.on - last).days
        next_on = last + timedelta(days=interval)
        yield Finding(
            message=(
                f"The last toxin administration was on {last.isoformat()}, {days} days before "
                f"{request.on.isoformat()}; toxin needs at least {interval} days between "
                f"treatments. Rebook on or after {next_on.isoformat()}, or a clinician must "
                "record an override."
            ),
            details={
                "last_administered_on": last.isoformat(),
                "days_since": days,
                "interval_days": interval,
                "earliest_on": next_on.isoformat(),
            },
        )
        return
    days, other, kind = min(near)
    what = "toxin administration" if kind == "administration" else "toxin treatment booked"
    when = "before" if other <= request.on else "after"
    before_on = [d for _, d, _ in near if d <= request.on]
    after_on = [d for _, d, _ in near if d > request.on]
    earliest_on = max(before_on) + timedelta(days=interval) if before_on else None
    latest_on = min(after_on) - timedelta(days=interval) if after_on else None
    advice = []
    if latest_on is not None:
        advice.append(f"on or before {latest_on.isoformat()}")
    if earliest_on is not None or after_on:
        advice.append(
            f"on or after {(earliest_on or max(after_on) + timedelta(days=interval)).isoformat()}"
        )
    yield Finding(
        message=(
            f"There is a {what} on {other.isoformat()}, {days} days {when} "
            f"{request.on.isoformat()}; toxin needs at least {interval} days between "
            f"treatments. Choose a day {' or '.join(advice)}, or a clinician must record an "
            "override."
        ),
        details={
            "other_on": other.isoformat(),
            "other_kind": kind,
            "days_apart": days,
            "interval_days": interval,
            "earliest_on": (earliest_on or max(after_on) + timedelta(days=interval)).isoformat(),
            "latest_on": latest_on.isoformat() if latest_on else None,
        },
    )


# Consent -----------------------------------------------------------------------------------


def required_cooling_off_hours(request: ScreeningRequest) -> int:
    """Hours that must pass between signing consent and treatment."""
    config = request.config
    hours = request.treatment.cooling_off_hours
    base = config.cooling_off_hours if hours is None else hours
    if is_first_toxin_treatment(request):
        return max(base, config.first_toxin_cooling_off_hours)
    return base


def current_consents(request: ScreeningRequest) -> tuple[ConsentFacts, ...]:
    """Consents on file for this treatment at the current form version."""
    treatment = request.treatment
    version = treatment.consent_form_version
    return tuple(
        consent
        for consent in request.client.consents
        if consent.treatment_code == treatment.code
        and (version is None or consent.form_version == version)
    )


def treatment_moment(request: ScreeningRequest) -> datetime:
    """The moment of treatment: ``at``, or the start of ``on`` in UTC."""
    return request.at or datetime.combine(request.on, time.min, tzinfo=UTC)


def _check_consent(request: ScreeningRequest) -> Iterable[Finding]:
    if current_consents(request):
        return
    treatment = request.treatment
    version = treatment.consent_form_version
    version_text = f" at the current form version ({version})" if version else ""
    hours = required_cooling_off_hours(request)
    cooling_text = (
        f" It must be signed at least {hours} hours before treatment." if hours > 0 else ""
    )
    yield Finding(
        message=(
            f"There is no signed consent for {treatment.code}{version_text}. The client must "
            f"sign it before treatment.{cooling_text}"
        ),
        details={"form_version": version, "cooling_off_hours": hours},
    )


def _check_cooling_off(request: ScreeningRequest) -> Iterable[Finding]:
    consents = current_consents(request)
    hours = required_cooling_off_hours(request)
    if not consents or hours == 0:
        return
    signed_at = min(consent.signed_at for consent in consents)
    treatable_from = signed_at + timedelta(hours=hours)
    if treatment_moment(request) >= treatable_from:
        return
    yield Finding(
        message=(
            f"Consent was signed at {signed_at.isoformat()}, less than {hours} hours before "
            f"treatment. Treat no earlier than {treatable_from.isoformat()}."
        ),
        details={
            "signed_at": signed_at.isoformat(),
            "cooling_off_hours": hours,
            "treatable_from": treatable_from.isoformat(),
        },
    )


# Planning warnings -------------------------------------------------------------------------


def _check_swelling_expected(request: ScreeningRequest) -> Iterable[Finding]:
    weekday = calendar.day_name[request.on.weekday()]
    yield Finding(
        message=(
            f"Swelling is expected after {request.treatment.code}. Suggest a Friday "
            f"appointment so the client is back at work on Monday (booked for a {weekday})."
        ),
        details={"weekday": weekday, "suggested_weekday": "Friday"},
    )


# Registry ----------------------------------------------------------------------------------

_NEEDLE_OR_TOXIN = "injectable and toxin treatments"
_NO_NEEDLE = "no-needle treatments"
_ALL = "all treatments"


def _relative_contraindication(code: ReasonCode, condition: Condition, description: str) -> Rule:
    """An ``override`` rule raised by a declared questionnaire condition, for every treatment."""
    return Rule(
        code,
        Severity.OVERRIDE,
        _ALL,
        SOURCE_RELATIVE_CONTRAINDICATION,
        _every_treatment,
        _condition_check(condition, description, _OVERRIDE_ADVICE),
    )


RULES: tuple[Rule, ...] = (
    Rule(
        ReasonCode.UNDER_18,
        Severity.REFUSE,
        _NEEDLE_OR_TOXIN,
        SOURCE_CHILDREN_ACT,
        is_needle_or_toxin_treatment,
        _check_under_18,
    ),
    Rule(
        ReasonCode.UNDER_18,
        Severity.WARN,
        _NO_NEEDLE,
        SOURCE_CLINIC_POLICY,
        is_no_needle_treatment,
        _check_under_18_no_needle,
        configurable=True,
    ),
    Rule(
        ReasonCode.PREGNANT,
        Severity.REFUSE,
        _NEEDLE_OR_TOXIN,
        SOURCE_SPC,
        is_needle_or_toxin_treatment,
        _questionnaire_flag(
            "pregnant",
            "being pregnant",
            "Needle and toxin treatments must not be booked or given; offer to rebook after "
            "pregnancy and breastfeeding, with a new questionnaire.",
        ),
    ),
    Rule(
        ReasonCode.PREGNANT,
        Severity.WARN,
        _NO_NEEDLE,
        SOURCE_SPC,
        is_no_needle_treatment,
        _questionnaire_flag(
            "pregnant",
            "being pregnant",
            "Before a no-needle treatment, discuss it with the client and check that every "
            "serum is suitable in pregnancy.",
        ),
    ),
    Rule(
        ReasonCode.BREASTFEEDING,
        Severity.REFUSE,
        _NEEDLE_OR_TOXIN,
        SOURCE_SPC,
        is_needle_or_toxin_treatment,
        _questionnaire_flag(
            "breastfeeding",
            "breastfeeding",
            "Needle and toxin treatments must not be booked or given; offer to rebook once "
            "breastfeeding has stopped, with a new questionnaire.",
        ),
    ),
    Rule(
        ReasonCode.BREASTFEEDING,
        Severity.WARN,
        _NO_NEEDLE,
        SOURCE_SPC,
        is_no_needle_treatment,
        _questionnaire_flag(
            "breastfeeding",
            "breastfeeding",
            "Before a no-needle treatment, discuss it with the client and check that every "
            "serum is suitable while breastfeeding.",
        ),
    ),
    Rule(
        ReasonCode.INGREDIENT_ALLERGY,
        Severity.REFUSE,
        "treatments with a formulation",
        SOURCE_SPC,
        _has_formulation,
        _check_ingredient_allergy,
    ),
    Rule(
        ReasonCode.ACTIVE_INFECTION_AT_SITE,
        Severity.REFUSE,
        _ALL,
        SOURCE_CLINICAL_CONTRAINDICATION,
        _every_treatment,
        _condition_check(
            Condition.ACTIVE_INFECTION_AT_SITE,
            "an infection, cold sore or inflamed skin at the treatment area",
            "Do not treat until it has fully healed; screen again then.",
        ),
    ),
    Rule(
        ReasonCode.PRACTITIONER_NOT_QUALIFIED,
        Severity.REFUSE,
        "all treatments with a practitioner",
        SOURCE_SCOPE_OF_PRACTICE,
        _has_practitioner,
        _check_practitioner_qualified,
        configurable=True,
    ),
    Rule(
        ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED,
        Severity.REFUSE,
        f"{_NEEDLE_OR_TOXIN} with a practitioner",
        SOURCE_REGISTRATION,
        _needle_or_toxin_with_practitioner,
        _check_registration_current,
    ),
    Rule(
        ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED,
        Severity.REFUSE,
        "prescription-only treatments where the practitioner wrote the prescription on file",
        SOURCE_REGISTRATION,
        _prescription_only_with_practitioner,
        _check_prescribing_qualification_current,
    ),
    Rule(
        ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER,
        Severity.REFUSE,
        "toxin treatments",
        SOURCE_TOXIN_SPC,
        is_toxin_treatment,
        _condition_check(
            Condition.NEUROMUSCULAR_DISORDER,
            "a neuromuscular disorder (such as myasthenia gravis or Lambert-Eaton syndrome)",
            "Botulinum toxin must not be given; offer a toxin-free treatment.",
        ),
    ),
    Rule(
        ReasonCode.PACEMAKER,
        Severity.REFUSE,
        "electroporation treatments",
        SOURCE_ELECTROPORATION,
        _is_electroporation,
        _condition_check(
            Condition.PACEMAKER,
            "a pacemaker",
            "Electroporation must not be used; offer a treatment without electrical current.",
        ),
    ),
    Rule(
        ReasonCode.QUESTIONNAIRE_MISSING,
        Severity.MISSING,
        _ALL,
        SOURCE_CLINIC_POLICY,
        _every_treatment,
        _check_questionnaire_missing,
        configurable=True,
    ),
    Rule(
        ReasonCode.ANTICOAGULANTS,
        Severity.OVERRIDE,
        _ALL,
        SOURCE_RELATIVE_CONTRAINDICATION,
        _every_treatment,
        _check_anticoagulants,
    ),
    _relative_contraindication(
        ReasonCode.BLEEDING_DISORDER,
        Condition.BLEEDING_DISORDER,
        "a bleeding disorder, which raises the risk of bruising and haematoma",
    ),
    _relative_contraindication(
        ReasonCode.AUTOIMMUNE_DISEASE,
        Condition.AUTOIMMUNE_DISEASE,
        "an autoimmune or connective-tissue disease, or immunosuppression",
    ),
    _relative_contraindication(
        ReasonCode.KELOID_HISTORY, Condition.KELOID_HISTORY, "a history of keloid scarring"
    ),
    Rule(
        ReasonCode.ISOTRETINOIN_RECENT,
        Severity.OVERRIDE,
        _ALL,
        SOURCE_RELATIVE_CONTRAINDICATION,
        _every_treatment,
        _check_isotretinoin,
        configurable=True,
    ),
    _relative_contraindication(
        ReasonCode.INSULIN_DEPENDENT_DIABETES,
        Condition.INSULIN_DEPENDENT_DIABETES,
        "insulin-dependent diabetes, which raises the risk of infection and slow healing",
    ),
    _relative_contraindication(ReasonCode.ACTIVE_CANCER, Condition.ACTIVE_CANCER, "active cancer"),
    Rule(
        ReasonCode.TOXIN_INTERVAL,
        Severity.OVERRIDE,
        "toxin treatments",
        SOURCE_TOXIN_SPC,
        is_toxin_treatment,
        _check_toxin_interval,
    ),
    Rule(
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED,
        Severity.PRESCRIBER,
        "prescription-only (including toxin) treatments",
        SOURCE_PRESCRIPTION,
        is_prescription_only_treatment,
        _check_prescription_on_file,
        configurable=True,
    ),
    Rule(
        ReasonCode.CONSENT_MISSING,
        Severity.WARN,
        _ALL,
        SOURCE_CONSENT,
        _every_treatment,
        _check_consent,
        blocks_treatment=True,
    ),
    Rule(
        ReasonCode.COOLING_OFF,
        Severity.WARN,
        _ALL,
        SOURCE_CLINIC_POLICY,
        _every_treatment,
        _check_cooling_off,
        blocks_treatment=True,
        configurable=True,
    ),
    Rule(
        ReasonCode.PRONE_TO_UNDER_EYE_SWELLING,
        Severity.WARN,
        "under-eye treatments",
        SOURCE_AFTERCARE,
        _is_under_eye,
        _condition_check(
            Condition.PRONE_TO_UNDER_EYE_SWELLING,
            "being prone to under-eye swelling",
            "Warn them that swelling may last several days and plan the appointment around "
            "their commitments.",
        ),
    ),
    Rule(
        ReasonCode.SWELLING_EXPECTED,
        Severity.WARN,
        "treatments flagged swelling-expected",
        SOURCE_AFTERCARE,
        _is_swelling_expected,
        _check_swelling_expected,
    ),
    Rule(
        ReasonCode.INSURANCE_EXPIRED,
        Severity.WARN,
        "all treatments with a practitioner",
        SOURCE_INSURANCE,
        _has_practitioner,
        _check_insurance,
        blocks_treatment=True,
        configurable=True,
    ),
)
"""Every screening rule, in the order their reasons are listed within a severity."""


# --- Public functions ----------------------------------------------------------------------


CONSULTATION_CODES = frozenset(
    {
        ReasonCode.PRACTITIONER_NOT_QUALIFIED,
        ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED,
        ReasonCode.INSURANCE_EXPIRED,
    }
)
"""The rules that apply to a consultation: who may hold it. Nothing is given, so the
client's contraindications, consent and questionnaire wait for the treatment itself."""


def screen(request: ScreeningRequest, rules: Iterable[Rule] = RULES) -> ScreeningResult:
    """Screen a client for a treatment and return the outcome with its reasons.

    Reasons are ordered by severity precedence, then by rule order. ``override`` reasons
    whose code is in ``request.overridden_codes`` move to ``ScreeningResult.overridden``.
    """
    if request.treatment.consultation:
        rules = [rule for rule in rules if rule.code in CONSULTATION_CODES]
    found = [reason for rule in rules for reason in rule.evaluate(request)]
    overridden = tuple(r for r in found if _is_overridden(r, request.overridden_codes))
    remaining = [r for r in found if not _is_overridden(r, request.overridden_codes)]
    reasons = tuple(sorted(remaining, key=lambda r: SEVERITY_PRECEDENCE.index(r.severity)))
    return ScreeningResult(outcome=outcome_for(reasons), reasons=reasons, overridden=overridden)


def outcome_for(reasons: Iterable[Reason]) -> Outcome:
    """Return the outcome of the highest-precedence severity among ``reasons``."""
    severities = {reason.severity for reason in reasons}
    for severity in SEVERITY_PRECEDENCE:
        if severity in severities:
            return _OUTCOME_FOR_SEVERITY[severity]
    return Outcome.ALLOWED


def unresolved_for_treatment(result: ScreeningResult) -> tuple[Reason, ...]:
    """Reasons to resolve before a treatment record is accepted.

    That is every non-warn reason, plus warn reasons that block treatment
    (``consent_missing``, ``cooling_off``, ``insurance_expired`` by default).
    """
    return tuple(
        reason
        for reason in result.reasons
        if reason.severity is not Severity.WARN or reason.blocks_treatment
    )


def blocks_booking(result: ScreeningResult) -> bool:
    """Whether the result forbids even booking (outcome ``refused``)."""
    return result.outcome is Outcome.REFUSED


def _is_overridden(reason: Reason, overridden_codes: frozenset[str]) -> bool:
    return reason.severity is Severity.OVERRIDE and reason.code in overridden_codes


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
