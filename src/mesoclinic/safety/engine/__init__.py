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

Layout
------
Imports flow one way: ``vocabularies`` (codes, severities, outcomes) and ``sources`` →
``facts`` (the request and its config) and ``output`` (reasons and the result) → ``rule``
(``Rule``, ``Finding`` and the scopes) → ``client_rules``, ``practitioner_rules`` and
``treatment_rules`` (the checks) → ``registry`` (``RULES``) → this package, which holds
``screen`` and the other public functions and re-exports every public name. Import from
``mesoclinic.safety.engine``, not from its submodules.
"""

from __future__ import annotations

from collections.abc import Iterable

from mesoclinic.safety.allergens import AllergenGroupFacts, IngredientFacts

from .client_rules import age_on, birthday_in_year, subtract_months
from .facts import (
    DEFAULT_CONFIG,
    ClientFacts,
    ConsentFacts,
    FormulationFacts,
    PractitionerFacts,
    PrescriptionFacts,
    QuestionnaireFacts,
    ScreeningConfig,
    ScreeningRequest,
    TreatmentFacts,
)
from .output import DetailValue as DetailValue
from .output import Reason, ScreeningResult
from .practitioner_rules import is_prescription_valid, latest_valid_prescription
from .registry import RULES
from .rule import Check as Check
from .rule import (
    Finding,
    Rule,
    is_needle_or_toxin_treatment,
    is_no_needle_treatment,
    is_prescription_only_treatment,
    is_toxin_treatment,
)
from .rule import Scope as Scope
from .sources import SOURCE_AFTERCARE as SOURCE_AFTERCARE
from .sources import SOURCE_CHILDREN_ACT as SOURCE_CHILDREN_ACT
from .sources import SOURCE_CLINIC_POLICY as SOURCE_CLINIC_POLICY
from .sources import SOURCE_CLINICAL_CONTRAINDICATION as SOURCE_CLINICAL_CONTRAINDICATION
from .sources import SOURCE_CONSENT as SOURCE_CONSENT
from .sources import SOURCE_ELECTROPORATION as SOURCE_ELECTROPORATION
from .sources import SOURCE_INSURANCE as SOURCE_INSURANCE
from .sources import SOURCE_PRESCRIPTION as SOURCE_PRESCRIPTION
from .sources import SOURCE_REGISTRATION as SOURCE_REGISTRATION
from .sources import SOURCE_RELATIVE_CONTRAINDICATION as SOURCE_RELATIVE_CONTRAINDICATION
from .sources import SOURCE_SCOPE_OF_PRACTICE as SOURCE_SCOPE_OF_PRACTICE
from .sources import SOURCE_SPC as SOURCE_SPC
from .sources import SOURCE_TOXIN_SPC as SOURCE_TOXIN_SPC
from .treatment_rules import (
    current_consents,
    is_first_toxin_treatment,
    last_toxin_administration,
    required_cooling_off_hours,
    treatment_moment,
)
from .vocabularies import (
    _OUTCOME_FOR_SEVERITY,
    ADULT_AGE,
    CONDITION_CODES,
    OUTCOME_PRECEDENCE,
    SEVERITY_PRECEDENCE,
    Condition,
    Outcome,
    Profession,
    ReasonCode,
    Severity,
)
from .vocabularies import UNDER_EYE_AREA as UNDER_EYE_AREA

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
