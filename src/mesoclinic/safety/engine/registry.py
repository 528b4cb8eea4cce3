"""The registry of screening rules: ``RULES``, every rule with its reason code, severity,
scope, source and check, in the order their reasons are listed within a severity. Some
codes have two rules with different scopes (e.g. ``pregnant`` refuses needle and toxin
treatments but only warns for no-needle ones).
"""

from __future__ import annotations

from .client_rules import (
    _OVERRIDE_ADVICE,
    _check_anticoagulants,
    _check_isotretinoin,
    _check_questionnaire_missing,
    _check_under_18,
    _check_under_18_no_needle,
    _condition_check,
    _questionnaire_flag,
)
from .practitioner_rules import (
    _check_insurance,
    _check_practitioner_qualified,
    _check_prescribing_qualification_current,
    _check_prescription_on_file,
    _check_registration_current,
)
from .rule import (
    Rule,
    _every_treatment,
    _has_formulation,
    _has_practitioner,
    _is_electroporation,
    _is_swelling_expected,
    _is_under_eye,
    _needle_or_toxin_with_practitioner,
    _prescription_only_with_practitioner,
    is_needle_or_toxin_treatment,
    is_no_needle_treatment,
    is_prescription_only_treatment,
    is_toxin_treatment,
)
from .sources import (
    SOURCE_AFTERCARE,
    SOURCE_CHILDREN_ACT,
    SOURCE_CLINIC_POLICY,
    SOURCE_CLINICAL_CONTRAINDICATION,
    SOURCE_CONSENT,
    SOURCE_ELECTROPORATION,
    SOURCE_INSURANCE,
    SOURCE_PRESCRIPTION,
    SOURCE_REGISTRATION,
    SOURCE_RELATIVE_CONTRAINDICATION,
    SOURCE_SCOPE_OF_PRACTICE,
    SOURCE_SPC,
    SOURCE_TOXIN_SPC,
)
from .treatment_rules import (
    _check_consent,
    _check_cooling_off,
    _check_ingredient_allergy,
    _check_swelling_expected,
    _check_toxin_interval,
)
from .vocabularies import Condition, ReasonCode, Severity

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
