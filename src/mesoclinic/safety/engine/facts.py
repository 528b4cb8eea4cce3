"""The screening engine's input facts: what the Django layer knows about the treatment,
formulation, questionnaire, practitioner, prescriptions, consents and client history, the
clinic's ``ScreeningConfig`` (with ``DEFAULT_CONFIG``), and the ``ScreeningRequest`` that
bundles them for one screening. Frozen dataclasses that validate themselves on creation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from mesoclinic.safety.allergens import KNOWN_ALLERGEN_GROUP_MEMBERS, IngredientFacts
from mesoclinic.safety.medications import ANTICOAGULANT_TERMS, ISOTRETINOIN_TERMS
from mesoclinic.safety.text import normalize_term

from .vocabularies import CONDITION_CODES, UNDER_EYE_AREA, Condition, Profession, Severity


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


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
