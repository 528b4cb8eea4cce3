"""Tests for the pure screening engine (domain.md §3 and §4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.safety.engine import (
    OUTCOME_PRECEDENCE,
    RULES,
    AllergenGroupFacts,
    ClientFacts,
    Condition,
    ConsentFacts,
    FormulationFacts,
    IngredientFacts,
    Outcome,
    PractitionerFacts,
    PrescriptionFacts,
    Profession,
    QuestionnaireFacts,
    Reason,
    ReasonCode,
    ScreeningConfig,
    ScreeningRequest,
    ScreeningResult,
    Severity,
    TreatmentFacts,
    age_on,
    blocks_booking,
    outcome_for,
    screen,
    unresolved_for_treatment,
)

# --- Facts for a client who may have anything ------------------------------------------------

ON = date(2027, 3, 5)  # a Friday
FORM_VERSION = "2"

AMIDE_GROUP = AllergenGroupFacts("amide-local-anaesthetics", "Amide local anaesthetics")
SOY_GROUP = AllergenGroupFacts("soy", "Soy", synonyms=("soya products",))
HYALURONIC_ACID = IngredientFacts(
    "hyaluronic-acid", "Hyaluronic acid", synonyms=("sodium hyaluronate",)
)
LIDOCAINE = IngredientFacts(
    "lidocaine",
    "Lidocaine hydrochloride",
    synonyms=("lignocaine",),
    allergen_groups=(AMIDE_GROUP,),
)
PHOSPHATIDYLCHOLINE = IngredientFacts(
    "phosphatidylcholine", "Phosphatidylcholine", allergen_groups=(SOY_GROUP,)
)
DEOXYCHOLIC_ACID = IngredientFacts("deoxycholic-acid", "Deoxycholic acid")
BOTULINUM_TOXIN = IngredientFacts("botulinum-toxin-a", "Botulinum toxin type A")

FACE_COCKTAIL = FormulationFacts(
    "face-cocktail",
    "Face revitalise cocktail (illustrative)",
    ingredients=(HYALURONIC_ACID, LIDOCAINE),
)
FAT_DISSOLVER = FormulationFacts(
    "fat-dissolver",
    "Fat dissolver (illustrative)",
    ingredients=(PHOSPHATIDYLCHOLINE, DEOXYCHOLIC_ACID),
)
MESOTOX_MIX = FormulationFacts(
    "mesotox-mix",
    "MesoTox mix (illustrative)",
    ingredients=(HYALURONIC_ACID, BOTULINUM_TOXIN),
    contains_toxin=True,
    prescription_only=True,
)
SERUM = FormulationFacts("glow-serum", "Glow serum (illustrative)", ingredients=(HYALURONIC_ACID,))

FACE = TreatmentFacts(
    "face-revitalise", needs_needle=True, areas=("face",), consent_form_version=FORM_VERSION
)
UNDER_EYE = TreatmentFacts(
    "under-eye", needs_needle=True, areas=("under-eye",), consent_form_version=FORM_VERSION
)
CHIN_JOWL = TreatmentFacts(
    "chin-jowl-fat",
    needs_needle=True,
    areas=("chin", "jowl"),
    swelling_expected=True,
    consent_form_version=FORM_VERSION,
)
MESOTOX = TreatmentFacts(
    "mesotox",
    needs_needle=True,
    requires_prescriber=True,
    contains_toxin=True,
    areas=("face", "neck"),
    consent_form_version=FORM_VERSION,
)
NO_NEEDLE = TreatmentFacts(
    "no-needle-infusion",
    needs_needle=False,
    electroporation=True,
    areas=("face",),
    consent_form_version=FORM_VERSION,
)
TREATMENTS = (FACE, UNDER_EYE, CHIN_JOWL, MESOTOX, NO_NEEDLE)
FORMULATION_FOR = {
    FACE.code: FACE_COCKTAIL,
    UNDER_EYE.code: FACE_COCKTAIL,
    CHIN_JOWL.code: FAT_DISSOLVER,
    MESOTOX.code: MESOTOX_MIX,
    NO_NEEDLE.code: SERUM,
}
LONG_AGO = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
FAR_FUTURE = date(2030, 12, 31)

OVERRIDE_CONDITIONS = {
    Condition.ANTICOAGULANTS: ReasonCode.ANTICOAGULANTS,
    Condition.BLEEDING_DISORDER: ReasonCode.BLEEDING_DISORDER,
    Condition.AUTOIMMUNE_DISEASE: ReasonCode.AUTOIMMUNE_DISEASE,
    Condition.KELOID_HISTORY: ReasonCode.KELOID_HISTORY,
    Condition.ISOTRETINOIN_RECENT: ReasonCode.ISOTRETINOIN_RECENT,
    Condition.INSULIN_DEPENDENT_DIABETES: ReasonCode.INSULIN_DEPENDENT_DIABETES,
    Condition.ACTIVE_CANCER: ReasonCode.ACTIVE_CANCER,
}


def consent(treatment: TreatmentFacts, signed_at: datetime = LONG_AGO) -> ConsentFacts:
    return ConsentFacts(treatment.code, FORM_VERSION, signed_at)


def make_client(**changes: Any) -> ClientFacts:
    client = ClientFacts(
        birth_date=date(1990, 6, 15),
        toxin_administrations=(),
        prescriptions=(PrescriptionFacts("dr-patel", MESOTOX_MIX.code, ON - timedelta(days=7)),),
        consents=tuple(consent(treatment) for treatment in TREATMENTS),
    )
    return replace(client, **changes)


def make_questionnaire(**changes: Any) -> QuestionnaireFacts:
    return replace(QuestionnaireFacts(answered_on=ON - timedelta(days=10)), **changes)


def make_practitioner(**changes: Any) -> PractitionerFacts:
    practitioner = PractitionerFacts(
        code="nurse-lewis",
        profession=Profession.NURSE,
        registration_expires_on=FAR_FUTURE,
        prescriber_expires_on=None,
        insurance_expires_on=FAR_FUTURE,
    )
    return replace(practitioner, **changes)


def make_request(treatment: TreatmentFacts = FACE, **changes: Any) -> ScreeningRequest:
    request = ScreeningRequest(
        on=ON,
        client=make_client(),
        treatment=treatment,
        formulation=FORMULATION_FOR[treatment.code],
        practitioner=make_practitioner(),
        questionnaire=make_questionnaire(),
    )
    return replace(request, **changes)


def with_questionnaire(request: ScreeningRequest, **changes: Any) -> ScreeningRequest:
    assert request.questionnaire is not None
    return replace(request, questionnaire=replace(request.questionnaire, **changes))


def with_client(request: ScreeningRequest, **changes: Any) -> ScreeningRequest:
    return replace(request, client=replace(request.client, **changes))


def with_practitioner(request: ScreeningRequest, **changes: Any) -> ScreeningRequest:
    assert request.practitioner is not None
    return replace(request, practitioner=replace(request.practitioner, **changes))


def codes(result: ScreeningResult) -> list[str]:
    return [reason.code for reason in result.reasons]


def only_reason(result: ScreeningResult) -> Reason:
    assert len(result.reasons) == 1, codes(result)
    return result.reasons[0]


# --- Baseline -------------------------------------------------------------------------------


@pytest.mark.parametrize("treatment", TREATMENTS, ids=lambda t: t.code)
def test_clean_request_is_allowed_except_planned_swelling(treatment: TreatmentFacts) -> None:
    # given
    request = make_request(treatment)

    # when
    result = screen(request)

    # then
    if treatment.swelling_expected:
        assert codes(result) == [ReasonCode.SWELLING_EXPECTED]
        assert result.outcome == Outcome.ALLOWED_WITH_WARNINGS
    else:
        assert codes(result) == []
        assert result.outcome == Outcome.ALLOWED
    assert result.overridden == ()


def test_outcome_and_severity_values_match_the_api_contract() -> None:
    # given / when / then
    assert [outcome.value for outcome in OUTCOME_PRECEDENCE] == [
        "refused",
        "incomplete",
        "needs_override",
        "needs_prescriber",
        "allowed_with_warnings",
        "allowed",
    ]
    assert [severity.value for severity in Severity] == [
        "refuse",
        "missing",
        "override",
        "prescriber",
        "warn",
    ]


def test_every_domain_reason_code_has_a_rule_with_a_source_and_scope() -> None:
    # given
    domain_codes = {
        "under_18",
        "pregnant",
        "breastfeeding",
        "ingredient_allergy",
        "active_infection_at_site",
        "practitioner_not_qualified",
        "practitioner_registration_expired",
        "toxin_neuromuscular_disorder",
        "pacemaker",
        "questionnaire_missing",
        "anticoagulants",
        "bleeding_disorder",
        "autoimmune_disease",
        "keloid_history",
        "isotretinoin_recent",
        "insulin_dependent_diabetes",
        "active_cancer",
        "toxin_interval",
        "prescriber_consultation_required",
        "consent_missing",
        "cooling_off",
        "prone_to_under_eye_swelling",
        "swelling_expected",
        "insurance_expired",
    }

    # when
    rule_codes = {rule.code.value for rule in RULES}

    # then
    assert rule_codes == domain_codes
    assert {code.value for code in ReasonCode} == domain_codes
    assert all(rule.source and rule.scope for rule in RULES)


def test_rule_severities_match_the_domain_table() -> None:
    # given
    expected = {
        ReasonCode.INGREDIENT_ALLERGY: {Severity.REFUSE},
        ReasonCode.ACTIVE_INFECTION_AT_SITE: {Severity.REFUSE},
        ReasonCode.PRACTITIONER_NOT_QUALIFIED: {Severity.REFUSE},
        ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED: {Severity.REFUSE},
        ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER: {Severity.REFUSE},
        ReasonCode.PACEMAKER: {Severity.REFUSE},
        ReasonCode.QUESTIONNAIRE_MISSING: {Severity.MISSING},
        ReasonCode.TOXIN_INTERVAL: {Severity.OVERRIDE},
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED: {Severity.PRESCRIBER},
        ReasonCode.CONSENT_MISSING: {Severity.WARN},
        ReasonCode.COOLING_OFF: {Severity.WARN},
        ReasonCode.PRONE_TO_UNDER_EYE_SWELLING: {Severity.WARN},
        ReasonCode.SWELLING_EXPECTED: {Severity.WARN},
        ReasonCode.INSURANCE_EXPIRED: {Severity.WARN},
        ReasonCode.UNDER_18: {Severity.REFUSE, Severity.WARN},
        ReasonCode.PREGNANT: {Severity.REFUSE, Severity.WARN},
        ReasonCode.BREASTFEEDING: {Severity.REFUSE, Severity.WARN},
        **{code: {Severity.OVERRIDE} for code in OVERRIDE_CONDITIONS.values()},
    }

    # when
    actual: dict[ReasonCode, set[Severity]] = {}
    for rule in RULES:
        actual.setdefault(rule.code, set()).add(rule.severity)

    # then
    assert actual == expected


# --- under_18 -------------------------------------------------------------------------------


def test_under_18_refuses_an_injectable_the_day_before_the_18th_birthday() -> None:
    # given
    request = with_client(make_request(FACE), birth_date=date(2009, 3, 6))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.UNDER_18
    assert reason.severity == Severity.REFUSE
    assert reason.source.startswith("Botulinum Toxin and Cosmetic Fillers (Children) Act 2021")
    assert reason.details == {"age": 17, "adult_on": "2027-03-06"}
    assert "do not book" in reason.message
    assert result.outcome == Outcome.REFUSED
    assert blocks_booking(result) is True


def test_client_turning_18_on_the_treatment_date_is_not_under_18() -> None:
    # given
    request = with_client(make_request(FACE), birth_date=date(2009, 3, 5))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED
    assert blocks_booking(result) is False


@pytest.mark.parametrize(
    ("on", "expected_codes"),
    [
        (date(2026, 2, 28), [ReasonCode.UNDER_18]),
        (date(2026, 3, 1), []),
    ],
)
def test_leap_day_birthday_reaches_18_on_1_march_in_a_common_year(
    on: date, expected_codes: list[str]
) -> None:
    # given
    base = make_request(FACE, on=on)
    base = with_questionnaire(base, answered_on=on)
    base = with_client(base, birth_date=date(2008, 2, 29))

    # when
    result = screen(base)

    # then
    assert codes(result) == expected_codes


def test_leap_day_under_18_names_1_march_as_the_18th_birthday() -> None:
    # given
    request = with_client(
        with_questionnaire(make_request(FACE, on=date(2026, 2, 28)), answered_on=date(2026, 2, 1)),
        birth_date=date(2008, 2, 29),
    )

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.details == {"age": 17, "adult_on": "2026-03-01"}


@pytest.mark.parametrize(
    ("birth_date", "on", "age"),
    [
        (date(2000, 2, 29), date(2004, 2, 29), 4),
        (date(2000, 2, 29), date(2003, 2, 28), 2),
        (date(2000, 2, 29), date(2003, 3, 1), 3),
        (date(1990, 12, 31), date(2008, 12, 30), 17),
        (date(1990, 12, 31), date(2008, 12, 31), 18),
    ],
)
def test_age_on_counts_whole_years(birth_date: date, on: date, age: int) -> None:
    # given / when / then
    assert age_on(birth_date, on) == age


def test_under_18_refuses_a_toxin_treatment() -> None:
    # given
    request = with_client(make_request(MESOTOX), birth_date=date(2010, 1, 1))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.UNDER_18]
    assert result.reasons[0].severity == Severity.REFUSE


def test_under_18_only_warns_for_no_needle_with_parental_consent_note() -> None:
    # given
    request = with_client(make_request(NO_NEEDLE), birth_date=date(2010, 1, 1))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.UNDER_18
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is False
    assert "parent or guardian" in reason.message
    assert reason.source == "Clinic policy (configurable)"
    assert result.outcome == Outcome.ALLOWED_WITH_WARNINGS


def test_under_18_for_no_needle_can_be_configured_to_refuse() -> None:
    # given
    request = with_client(
        make_request(
            NO_NEEDLE, config=ScreeningConfig(under_18_no_needle_severity=Severity.REFUSE)
        ),
        birth_date=date(2010, 1, 1),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.UNDER_18]
    assert result.outcome == Outcome.REFUSED


def test_under_18_for_no_needle_can_be_configured_off() -> None:
    # given
    request = with_client(
        make_request(NO_NEEDLE, config=ScreeningConfig(under_18_no_needle_severity=None)),
        birth_date=date(2010, 1, 1),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


# --- pregnant / breastfeeding ---------------------------------------------------------------


@pytest.mark.parametrize("flag", ["pregnant", "breastfeeding"])
@pytest.mark.parametrize("treatment", [FACE, MESOTOX, CHIN_JOWL], ids=lambda t: t.code)
def test_pregnancy_and_breastfeeding_refuse_needle_and_toxin_treatments(
    flag: str, treatment: TreatmentFacts
) -> None:
    # given
    request = with_questionnaire(make_request(treatment), **{flag: True})

    # when
    result = screen(request)

    # then
    assert result.reasons[0].code == flag
    assert result.reasons[0].severity == Severity.REFUSE
    assert result.reasons[0].source == "Product SPC / manufacturer's instructions"
    assert result.outcome == Outcome.REFUSED


@pytest.mark.parametrize("flag", ["pregnant", "breastfeeding"])
def test_pregnancy_and_breastfeeding_only_warn_for_no_needle(flag: str) -> None:
    # given
    request = with_questionnaire(make_request(NO_NEEDLE), **{flag: True})

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == flag
    assert reason.severity == Severity.WARN
    assert result.outcome == Outcome.ALLOWED_WITH_WARNINGS


def test_formulation_with_toxin_makes_a_no_needle_treatment_a_toxin_treatment() -> None:
    # given
    request = with_questionnaire(make_request(NO_NEEDLE, formulation=MESOTOX_MIX), pregnant=True)

    # when
    result = screen(request)

    # then
    assert result.reasons[0].code == ReasonCode.PREGNANT
    assert result.reasons[0].severity == Severity.REFUSE


# --- ingredient_allergy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "declared",
    [
        "lidocaine",
        "  LIDOCAINE  ",
        "Lidocaine Hydrochloride",
        "lignocaine",
        "Allergic to lidocaine",
    ],
)
def test_allergy_naming_the_ingredient_refuses_and_names_it(declared: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=(declared,))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.INGREDIENT_ALLERGY
    assert reason.severity == Severity.REFUSE
    assert reason.details == {
        "ingredient": "lidocaine",
        "ingredient_name": "Lidocaine hydrochloride",
        "allergy": declared.strip(),
        "allergen_group": None,
        "formulation": "face-cocktail",
    }
    assert reason.message == (
        f"The declared allergy '{declared.strip()}' matches Lidocaine hydrochloride in "
        "Face revitalise cocktail (illustrative). Do not use this formulation: choose one "
        "without Lidocaine hydrochloride, or do not treat."
    )
    assert result.outcome == Outcome.REFUSED


@pytest.mark.parametrize(
    "declared", ["Prilocaine", "articaine", "BUPIVACAINE", "xylocaine", "local anaesthetic"]
)
def test_allergy_to_a_group_member_refuses_other_members_of_the_group(declared: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=(declared,))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.INGREDIENT_ALLERGY
    assert reason.details["ingredient"] == "lidocaine"
    assert reason.details["allergen_group"] == "amide-local-anaesthetics"
    assert "Lidocaine hydrochloride (allergen group: Amide local anaesthetics)" in reason.message


@pytest.mark.parametrize(
    "declared",
    ["Amide local anaesthetics", "amide local anaesthetic", "amide-local-anaesthetics"],
)
def test_allergy_naming_the_group_matches_its_members(declared: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=(declared,))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INGREDIENT_ALLERGY]
    assert result.reasons[0].details["ingredient"] == "lidocaine"


@pytest.mark.parametrize("declared", ["soy", "Soya", "soybean", "soy lecithin", "soya products"])
def test_soy_allergy_matches_phosphatidylcholine_of_soy_origin(declared: str) -> None:
    # given
    request = with_questionnaire(make_request(CHIN_JOWL), allergies=(declared,))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INGREDIENT_ALLERGY, ReasonCode.SWELLING_EXPECTED]
    assert result.reasons[0].details["ingredient"] == "phosphatidylcholine"
    assert result.reasons[0].details["allergen_group"] == "soy"
    assert "Phosphatidylcholine (allergen group: Soy)" in result.reasons[0].message


@pytest.mark.parametrize(
    "declared", ["penicillin", "ha", "lido", "caine", "nuts", "acid", "no known allergies"]
)
def test_unrelated_or_partial_allergies_do_not_match(declared: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=(declared,))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_allergy_entries_separated_by_commas_are_each_matched() -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=("penicillin; Sodium Hyaluronate",))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INGREDIENT_ALLERGY]
    assert result.reasons[0].details["ingredient"] == "hyaluronic-acid"
    assert result.reasons[0].details["allergy"] == "Sodium Hyaluronate"


def test_each_matched_ingredient_gets_its_own_reason() -> None:
    # given
    request = with_questionnaire(make_request(FACE), allergies=("lidocaine", "hyaluronic acid"))

    # when
    result = screen(request)

    # then
    assert [reason.details["ingredient"] for reason in result.reasons] == [
        "hyaluronic-acid",
        "lidocaine",
    ]


def test_allergy_is_not_checked_without_a_formulation() -> None:
    # given
    request = with_questionnaire(make_request(FACE, formulation=None), allergies=("lidocaine",))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_allergen_group_members_can_be_extended_by_config() -> None:
    # given
    config = ScreeningConfig(
        allergen_group_members={"amide local anaesthetics": frozenset({"dental numbing"})}
    )
    request = with_questionnaire(make_request(FACE, config=config), allergies=("dental numbing",))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INGREDIENT_ALLERGY]


# --- active infection, neuromuscular disorder, pacemaker ------------------------------------


@pytest.mark.parametrize("treatment", TREATMENTS, ids=lambda t: t.code)
def test_active_infection_at_site_refuses_every_treatment(treatment: TreatmentFacts) -> None:
    # given
    request = with_questionnaire(
        make_request(treatment), conditions=frozenset({Condition.ACTIVE_INFECTION_AT_SITE})
    )

    # when
    result = screen(request)

    # then
    assert result.reasons[0].code == ReasonCode.ACTIVE_INFECTION_AT_SITE
    assert result.reasons[0].severity == Severity.REFUSE
    assert "until it has fully healed" in result.reasons[0].message
    assert result.outcome == Outcome.REFUSED


def test_neuromuscular_disorder_refuses_toxin_treatments() -> None:
    # given
    request = with_questionnaire(
        make_request(MESOTOX), conditions=frozenset({Condition.NEUROMUSCULAR_DISORDER})
    )

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER
    assert reason.severity == Severity.REFUSE
    assert reason.source == "Botulinum toxin type A SPC"


@pytest.mark.parametrize("treatment", [FACE, UNDER_EYE, NO_NEEDLE], ids=lambda t: t.code)
def test_neuromuscular_disorder_does_not_affect_toxin_free_treatments(
    treatment: TreatmentFacts,
) -> None:
    # given
    request = with_questionnaire(
        make_request(treatment), conditions=frozenset({Condition.NEUROMUSCULAR_DISORDER})
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_pacemaker_refuses_electroporation() -> None:
    # given
    request = with_questionnaire(
        make_request(NO_NEEDLE), conditions=frozenset({Condition.PACEMAKER})
    )

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PACEMAKER
    assert reason.severity == Severity.REFUSE
    assert result.outcome == Outcome.REFUSED


@pytest.mark.parametrize("treatment", [FACE, MESOTOX, CHIN_JOWL], ids=lambda t: t.code)
def test_pacemaker_does_not_affect_treatments_without_electroporation(
    treatment: TreatmentFacts,
) -> None:
    # given
    request = with_questionnaire(
        make_request(treatment), conditions=frozenset({Condition.PACEMAKER})
    )

    # when
    result = screen(request)

    # then
    assert ReasonCode.PACEMAKER not in codes(result)


# --- practitioner ---------------------------------------------------------------------------


@pytest.mark.parametrize("treatment", [FACE, MESOTOX], ids=lambda t: t.code)
def test_therapist_is_not_qualified_for_needle_or_toxin_treatments(
    treatment: TreatmentFacts,
) -> None:
    # given
    request = with_practitioner(
        make_request(treatment),
        code="therapist-ng",
        profession=Profession.THERAPIST,
        registration_expires_on=None,
    )

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PRACTITIONER_NOT_QUALIFIED
    assert reason.severity == Severity.REFUSE
    assert reason.message == (
        f"therapist-ng is a therapist; {treatment.code} must be given by a doctor or nurse. "
        "Choose a qualified practitioner."
    )
    assert reason.details == {"profession": "therapist", "allowed": ("doctor", "nurse")}


def test_therapist_may_do_no_needle_treatments() -> None:
    # given
    request = with_practitioner(
        make_request(NO_NEEDLE), profession=Profession.THERAPIST, registration_expires_on=None
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


@pytest.mark.parametrize("profession", [Profession.DENTIST, Profession.PHARMACIST])
def test_dentists_and_pharmacists_inject_only_when_the_clinic_allows_it(profession: str) -> None:
    # given
    default = with_practitioner(make_request(FACE), profession=profession)
    widened = replace(
        default,
        config=ScreeningConfig(
            injector_professions=frozenset({Profession.DOCTOR, Profession.NURSE, profession})
        ),
    )

    # when
    default_result = screen(default)
    widened_result = screen(widened)

    # then
    assert codes(default_result) == [ReasonCode.PRACTITIONER_NOT_QUALIFIED]
    assert widened_result.outcome == Outcome.ALLOWED


def test_injector_without_registration_on_file_is_not_qualified() -> None:
    # given
    request = with_practitioner(make_request(FACE), registration_expires_on=None)

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PRACTITIONER_NOT_QUALIFIED
    assert "no professional registration on file" in reason.message


def test_registration_expiring_on_the_treatment_date_is_still_valid() -> None:
    # given
    request = with_practitioner(make_request(FACE), registration_expires_on=ON)

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_registration_expired_the_day_before_refuses_injectables() -> None:
    # given
    request = with_practitioner(
        make_request(FACE), code="nurse-hughes", registration_expires_on=ON - timedelta(days=1)
    )

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED
    assert reason.severity == Severity.REFUSE
    assert reason.details == {"qualification": "registration", "expired_on": "2027-03-04"}
    assert reason.message.startswith(
        "nurse-hughes's professional registration expired on 2027-03-04."
    )
    assert result.outcome == Outcome.REFUSED


def test_expired_registration_does_not_block_no_needle_treatments() -> None:
    # given
    request = with_practitioner(make_request(NO_NEEDLE), registration_expires_on=date(2020, 1, 1))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


@pytest.mark.parametrize(
    ("prescriber_expires_on", "expected_codes"),
    [
        (ON, []),
        (ON - timedelta(days=1), [ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED]),
        (None, [ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED]),
    ],
)
def test_prescriber_treating_on_own_prescription_needs_a_current_prescribing_qualification(
    prescriber_expires_on: date | None, expected_codes: list[str]
) -> None:
    # given
    request = with_practitioner(
        make_request(MESOTOX),
        code="dr-patel",
        profession=Profession.DOCTOR,
        prescriber_expires_on=prescriber_expires_on,
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes
    if expected_codes:
        assert result.reasons[0].details["qualification"] == "prescriber"
        assert "prescribing qualification" in result.reasons[0].message


def test_treater_prescribing_qualification_is_irrelevant_if_another_prescribed() -> None:
    # given: the prescription on file is dr-patel's; nurse-lewis administers
    request = with_practitioner(make_request(MESOTOX), prescriber_expires_on=date(2020, 1, 1))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_no_practitioner_skips_practitioner_rules() -> None:
    # given
    request = make_request(FACE, practitioner=None)

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


# --- insurance_expired ----------------------------------------------------------------------


def test_insurance_expired_warns_and_blocks_treatment() -> None:
    # given
    request = with_practitioner(make_request(FACE), insurance_expires_on=ON - timedelta(days=1))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.INSURANCE_EXPIRED
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is True
    assert reason.details == {"expired_on": "2027-03-04"}
    assert result.outcome == Outcome.ALLOWED_WITH_WARNINGS
    assert unresolved_for_treatment(result) == (reason,)


def test_insurance_expiring_on_the_treatment_date_is_still_valid() -> None:
    # given
    request = with_practitioner(make_request(FACE), insurance_expires_on=ON)

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_insurance_not_on_file_is_reported_as_expired() -> None:
    # given
    request = with_practitioner(make_request(NO_NEEDLE), insurance_expires_on=None)

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.INSURANCE_EXPIRED
    assert "is not on file" in reason.message


def test_insurance_expiry_block_at_treatment_is_configurable() -> None:
    # given
    request = with_practitioner(
        make_request(FACE, config=ScreeningConfig(insurance_expired_blocks_treatment=False)),
        insurance_expires_on=ON - timedelta(days=1),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INSURANCE_EXPIRED]
    assert result.reasons[0].blocks_treatment is False
    assert unresolved_for_treatment(result) == ()


# --- questionnaire_missing ------------------------------------------------------------------


def test_no_questionnaire_makes_screening_incomplete() -> None:
    # given
    request = make_request(FACE, questionnaire=None)

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.QUESTIONNAIRE_MISSING
    assert reason.severity == Severity.MISSING
    assert reason.message.startswith("There is no health questionnaire on file.")
    assert result.outcome == Outcome.INCOMPLETE


@pytest.mark.parametrize(
    ("age_days", "expected_codes"),
    [(0, []), (180, []), (181, [ReasonCode.QUESTIONNAIRE_MISSING]), (-30, [])],
)
def test_questionnaire_is_valid_for_180_days(age_days: int, expected_codes: list[str]) -> None:
    # given
    request = with_questionnaire(make_request(FACE), answered_on=ON - timedelta(days=age_days))

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes


def test_stale_questionnaire_reason_gives_its_age() -> None:
    # given
    request = with_questionnaire(make_request(FACE), answered_on=ON - timedelta(days=181))

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.details == {
        "answered_on": "2026-09-05",
        "age_days": 181,
        "validity_days": 180,
    }


def test_questionnaire_validity_is_configurable() -> None:
    # given
    request = with_questionnaire(
        make_request(FACE, config=ScreeningConfig(questionnaire_validity_days=30)),
        answered_on=ON - timedelta(days=31),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.QUESTIONNAIRE_MISSING]


def test_stale_questionnaire_is_still_screened() -> None:
    # given
    request = with_questionnaire(
        make_request(FACE), answered_on=ON - timedelta(days=400), allergies=("lidocaine",)
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.INGREDIENT_ALLERGY, ReasonCode.QUESTIONNAIRE_MISSING]
    assert result.outcome == Outcome.REFUSED


# --- override conditions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "code"), list(OVERRIDE_CONDITIONS.items()), ids=lambda v: str(v)
)
@pytest.mark.parametrize("treatment", [FACE, NO_NEEDLE], ids=lambda t: t.code)
def test_relative_contraindications_need_an_override(
    condition: Condition, code: ReasonCode, treatment: TreatmentFacts
) -> None:
    # given
    request = with_questionnaire(make_request(treatment), conditions=frozenset({condition}))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == code
    assert reason.severity == Severity.OVERRIDE
    assert reason.blocks_treatment is True
    assert "record an override with a justification" in reason.message
    assert result.outcome == Outcome.NEEDS_OVERRIDE


@pytest.mark.parametrize(
    "medication",
    [
        "Warfarin 5mg",
        "apixaban",
        "ELIQUIS 2.5 mg twice daily",
        "rivaroxaban",
        "edoxaban",
        "dabigatran",
        "Clopidogrel",
        "aspirin 75 mg daily",
        "heparin injections",
        "acetylsalicylic acid",
    ],
)
def test_anticoagulant_or_antiplatelet_in_medications_needs_an_override(medication: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), medications=("metformin", medication))

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.ANTICOAGULANTS
    assert reason.severity == Severity.OVERRIDE
    assert reason.details["declared"] is False
    assert reason.details["medications"] != ()


def test_anticoagulant_reason_lists_the_medicines_found() -> None:
    # given
    request = with_questionnaire(
        make_request(FACE),
        medications=("Warfarin 5mg", "aspirin"),
        conditions=frozenset({Condition.ANTICOAGULANTS}),
    )

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.details == {"declared": True, "medications": ("aspirin", "warfarin")}
    assert "(listed: aspirin, warfarin)" in reason.message


@pytest.mark.parametrize("medication", ["Isotretinoin 20mg", "Roaccutane", "accutane"])
def test_isotretinoin_in_medications_needs_an_override(medication: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), medications=(medication,))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.ISOTRETINOIN_RECENT]


@pytest.mark.parametrize("medication", ["paracetamol", "aspirinate", "warfarinish", "tretinoin"])
def test_unrelated_medications_raise_nothing(medication: str) -> None:
    # given
    request = with_questionnaire(make_request(FACE), medications=(medication,))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


@pytest.mark.parametrize(
    ("last_taken_on", "months", "expected_codes"),
    [
        (date(2026, 3, 5), 12, [ReasonCode.ISOTRETINOIN_RECENT]),
        (date(2026, 3, 4), 12, []),
        (date(2026, 9, 5), 6, [ReasonCode.ISOTRETINOIN_RECENT]),
        (date(2026, 9, 4), 6, []),
    ],
)
def test_isotretinoin_last_taken_within_the_lookback_needs_an_override(
    last_taken_on: date, months: int, expected_codes: list[str]
) -> None:
    # given
    request = with_questionnaire(
        make_request(FACE, config=ScreeningConfig(isotretinoin_lookback_months=months)),
        isotretinoin_last_taken_on=last_taken_on,
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes


@pytest.mark.parametrize("months", [5, 13])
def test_isotretinoin_lookback_is_limited_to_6_to_12_months(months: int) -> None:
    # given / when / then
    with pytest.raises(ValueError, match="between 6 and 12"):
        ScreeningConfig(isotretinoin_lookback_months=months)


# --- toxin_interval -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since", "expected_codes"),
    [(83, [ReasonCode.TOXIN_INTERVAL]), (84, []), (0, [ReasonCode.TOXIN_INTERVAL]), (200, [])],
)
def test_toxin_needs_84_days_since_the_last_administration(
    days_since: int, expected_codes: list[str]
) -> None:
    # given
    request = with_client(
        make_request(MESOTOX), toxin_administrations=(ON - timedelta(days=days_since),)
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes


def test_toxin_interval_reason_says_when_to_rebook() -> None:
    # given
    last = ON - timedelta(days=83)
    request = with_client(make_request(MESOTOX), toxin_administrations=(date(2025, 1, 1), last))

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.severity == Severity.OVERRIDE
    assert reason.details == {
        "last_administered_on": "2026-12-12",
        "days_since": 83,
        "interval_days": 84,
        "earliest_on": "2027-03-06",
    }
    assert "Rebook on or after 2027-03-06" in reason.message


def test_toxin_interval_applies_when_only_the_formulation_contains_toxin() -> None:
    # given
    treatment = replace(FACE, code="custom-toxin")
    request = ScreeningRequest(
        on=ON,
        client=make_client(
            toxin_administrations=(ON - timedelta(days=30),),
            consents=(consent(treatment),),
        ),
        treatment=treatment,
        formulation=MESOTOX_MIX,
        practitioner=make_practitioner(),
        questionnaire=make_questionnaire(),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.TOXIN_INTERVAL]


def test_toxin_history_does_not_affect_toxin_free_treatments() -> None:
    # given
    request = with_client(make_request(FACE), toxin_administrations=(ON - timedelta(days=1),))

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_toxin_administrations_after_the_screening_date_are_ignored() -> None:
    # given
    request = with_client(
        make_request(MESOTOX, at=datetime(2027, 3, 5, 10, tzinfo=UTC)),
        toxin_administrations=(ON + timedelta(days=10),),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_toxin_interval_is_configurable() -> None:
    # given
    request = with_client(
        make_request(MESOTOX, config=ScreeningConfig(toxin_interval_days=91)),
        toxin_administrations=(ON - timedelta(days=90),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.TOXIN_INTERVAL]


# --- prescriber_consultation_required -------------------------------------------------------


def test_toxin_without_a_prescription_needs_a_prescriber() -> None:
    # given
    request = with_client(make_request(MESOTOX), prescriptions=())

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED
    assert reason.severity == Severity.PRESCRIBER
    assert reason.details == {"formulation": "mesotox-mix", "validity_days": 90}
    assert reason.message == (
        "mesotox uses a prescription-only medicine and there is no prescription for "
        "MesoTox mix (illustrative) from a face-to-face prescriber consultation in the 90 "
        "days up to 2027-03-05. Book a prescriber consultation first."
    )
    assert result.outcome == Outcome.NEEDS_PRESCRIBER


@pytest.mark.parametrize(
    ("consulted_on", "expected_codes"),
    [
        (ON, []),
        (ON - timedelta(days=90), []),
        (ON - timedelta(days=91), [ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED]),
        (ON + timedelta(days=1), [ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED]),
    ],
)
def test_prescription_is_valid_from_the_consultation_for_90_days(
    consulted_on: date, expected_codes: list[str]
) -> None:
    # given
    request = with_client(
        make_request(MESOTOX),
        prescriptions=(PrescriptionFacts("dr-patel", MESOTOX_MIX.code, consulted_on),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes


def test_prescription_for_another_formulation_does_not_count() -> None:
    # given
    request = with_client(
        make_request(MESOTOX),
        prescriptions=(PrescriptionFacts("dr-patel", "other-toxin", ON - timedelta(days=1)),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED]


def test_prescription_validity_is_configurable() -> None:
    # given
    request = with_client(
        make_request(MESOTOX, config=ScreeningConfig(prescription_validity_days=30)),
        prescriptions=(PrescriptionFacts("dr-patel", MESOTOX_MIX.code, ON - timedelta(days=31)),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED]


def test_prescription_only_formulation_needs_a_prescriber_without_toxin() -> None:
    # given
    belkyra_type = replace(FAT_DISSOLVER, prescription_only=True)
    request = make_request(CHIN_JOWL, formulation=belkyra_type)

    # when
    result = screen(request)

    # then
    assert codes(result) == [
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED,
        ReasonCode.SWELLING_EXPECTED,
    ]


def test_prescription_only_treatment_without_formulation_needs_a_prescriber() -> None:
    # given
    request = make_request(MESOTOX, formulation=None)

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED]
    assert result.reasons[0].details["formulation"] is None


# --- consent_missing and cooling_off --------------------------------------------------------


def test_missing_consent_warns_and_blocks_treatment() -> None:
    # given
    request = with_client(make_request(FACE), consents=())

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.CONSENT_MISSING
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is True
    assert reason.message == (
        "There is no signed consent for face-revitalise at the current form version (2). "
        "The client must sign it before treatment."
    )
    assert result.outcome == Outcome.ALLOWED_WITH_WARNINGS
    assert blocks_booking(result) is False
    assert unresolved_for_treatment(result) == (reason,)


def test_consent_at_an_old_form_version_does_not_count() -> None:
    # given
    request = with_client(make_request(FACE), consents=(ConsentFacts(FACE.code, "1", LONG_AGO),))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.CONSENT_MISSING]


def test_consent_for_another_treatment_does_not_count() -> None:
    # given
    request = with_client(make_request(FACE), consents=(consent(UNDER_EYE),))

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.CONSENT_MISSING]


def test_any_consent_version_counts_when_the_treatment_has_no_current_version() -> None:
    # given
    request = with_client(
        make_request(replace(FACE, consent_form_version=None)),
        consents=(ConsentFacts(FACE.code, "0.9", LONG_AGO),),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_missing_consent_for_a_first_toxin_treatment_mentions_the_cooling_off() -> None:
    # given
    request = with_client(make_request(MESOTOX), consents=())

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.code == ReasonCode.CONSENT_MISSING
    assert reason.message.endswith("It must be signed at least 24 hours before treatment.")
    assert reason.details == {"form_version": "2", "cooling_off_hours": 24}


@pytest.mark.parametrize(
    ("hours_before", "expected_codes"),
    [(23, [ReasonCode.COOLING_OFF]), (24, []), (25, [])],
)
def test_first_toxin_treatment_needs_24_hours_after_consent(
    hours_before: int, expected_codes: list[str]
) -> None:
    # given
    at = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    request = with_client(
        make_request(MESOTOX, at=at),
        consents=(consent(MESOTOX, signed_at=at - timedelta(hours=hours_before)),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == expected_codes


def test_cooling_off_reason_says_when_treatment_may_start() -> None:
    # given
    at = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    request = with_client(
        make_request(MESOTOX, at=at),
        consents=(consent(MESOTOX, signed_at=datetime(2027, 3, 5, 9, 0, tzinfo=UTC)),),
    )

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is True
    assert reason.details == {
        "signed_at": "2027-03-05T09:00:00+00:00",
        "cooling_off_hours": 24,
        "treatable_from": "2027-03-06T09:00:00+00:00",
    }
    assert reason.message == (
        "Consent was signed at 2027-03-05T09:00:00+00:00, less than 24 hours before "
        "treatment. Treat no earlier than 2027-03-06T09:00:00+00:00."
    )


def test_repeat_toxin_treatment_has_no_cooling_off_by_default() -> None:
    # given
    at = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    request = with_client(
        make_request(MESOTOX, at=at),
        toxin_administrations=(ON - timedelta(days=120),),
        consents=(consent(MESOTOX, signed_at=at - timedelta(minutes=5)),),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_without_a_time_cooling_off_is_measured_from_the_start_of_the_day() -> None:
    # given: signed at 23:30 the evening before, treatment date only
    request = with_client(
        make_request(MESOTOX),
        consents=(consent(MESOTOX, signed_at=datetime(2027, 3, 4, 23, 30, tzinfo=UTC)),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.COOLING_OFF]


def test_cooling_off_is_checked_against_aware_times_in_any_zone() -> None:
    # given: signed 09:00 UTC on the 4th; treatment 10:30 on the 5th in UTC+1 (= 09:30 UTC)
    paris = ZoneInfo("Europe/Paris")
    request = with_client(
        make_request(MESOTOX, at=datetime(2027, 3, 5, 10, 30, tzinfo=paris)),
        consents=(consent(MESOTOX, signed_at=datetime(2027, 3, 4, 9, 0, tzinfo=UTC)),),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_cooling_off_uses_the_earliest_current_consent() -> None:
    # given
    at = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    request = with_client(
        make_request(MESOTOX, at=at),
        consents=(
            consent(MESOTOX, signed_at=at - timedelta(hours=1)),
            consent(MESOTOX, signed_at=at - timedelta(hours=48)),
        ),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


@pytest.mark.parametrize(
    ("config", "treatment"),
    [
        (ScreeningConfig(cooling_off_hours=2), FACE),
        (ScreeningConfig(), replace(FACE, cooling_off_hours=2)),
    ],
    ids=["clinic-default", "per-treatment"],
)
def test_cooling_off_for_other_treatments_is_configurable(
    config: ScreeningConfig, treatment: TreatmentFacts
) -> None:
    # given
    at = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    request = with_client(
        make_request(treatment, config=config, at=at),
        consents=(consent(FACE, signed_at=at - timedelta(hours=1)),),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.COOLING_OFF]
    assert result.reasons[0].details["cooling_off_hours"] == 2


def test_naive_datetimes_are_rejected() -> None:
    # given
    naive = datetime(2027, 3, 5, 10, 0)  # noqa: DTZ001 - the point of the test

    # when / then
    with pytest.raises(ValueError, match="timezone-aware"):
        ConsentFacts(FACE.code, FORM_VERSION, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        make_request(FACE, at=naive)


# --- planning warnings ----------------------------------------------------------------------


def test_under_eye_treatment_warns_a_client_prone_to_swelling() -> None:
    # given
    request = with_questionnaire(
        make_request(UNDER_EYE), conditions=frozenset({Condition.PRONE_TO_UNDER_EYE_SWELLING})
    )

    # when
    result = screen(request)

    # then
    reason = only_reason(result)
    assert reason.code == ReasonCode.PRONE_TO_UNDER_EYE_SWELLING
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is False
    assert unresolved_for_treatment(result) == ()


def test_under_eye_is_recognised_by_area_or_code() -> None:
    # given
    by_area = TreatmentFacts("eye-bright", needs_needle=True, areas=("Under Eye",))
    by_code = TreatmentFacts("under-eye", needs_needle=True)

    # when / then
    assert by_area.under_eye is True
    assert by_code.under_eye is True
    assert FACE.under_eye is False


def test_prone_to_under_eye_swelling_does_not_matter_elsewhere() -> None:
    # given
    request = with_questionnaire(
        make_request(FACE), conditions=frozenset({Condition.PRONE_TO_UNDER_EYE_SWELLING})
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED


def test_swelling_expected_suggests_a_friday() -> None:
    # given: 2027-03-02 is a Tuesday
    request = make_request(CHIN_JOWL, on=date(2027, 3, 2))

    # when
    reason = only_reason(screen(request))

    # then
    assert reason.code == ReasonCode.SWELLING_EXPECTED
    assert reason.severity == Severity.WARN
    assert reason.blocks_treatment is False
    assert reason.details == {"weekday": "Tuesday", "suggested_weekday": "Friday"}
    assert reason.message == (
        "Swelling is expected after chin-jowl-fat. Suggest a Friday appointment so the "
        "client is back at work on Monday (booked for a Tuesday)."
    )


# --- precedence, overrides, unresolved reasons ----------------------------------------------


def reason_of(severity: Severity, *, blocks: bool = False) -> Reason:
    return Reason(
        code=ReasonCode.SWELLING_EXPECTED,
        severity=severity,
        message="m",
        source="s",
        blocks_treatment=blocks,
    )


@pytest.mark.parametrize(
    ("severities", "outcome"),
    [
        ([], Outcome.ALLOWED),
        ([Severity.WARN], Outcome.ALLOWED_WITH_WARNINGS),
        ([Severity.WARN, Severity.PRESCRIBER], Outcome.NEEDS_PRESCRIBER),
        ([Severity.PRESCRIBER, Severity.OVERRIDE, Severity.WARN], Outcome.NEEDS_OVERRIDE),
        ([Severity.OVERRIDE, Severity.MISSING], Outcome.INCOMPLETE),
        ([Severity.WARN, Severity.MISSING, Severity.REFUSE], Outcome.REFUSED),
    ],
)
def test_outcome_is_the_highest_precedence_severity(
    severities: list[Severity], outcome: Outcome
) -> None:
    # given
    reasons = [reason_of(severity) for severity in severities]

    # when / then
    assert outcome_for(reasons) == outcome


def test_reasons_are_listed_by_precedence() -> None:
    # given: one reason of every severity
    request = make_request(
        MESOTOX,
        at=datetime(2027, 3, 5, 10, tzinfo=UTC),
        questionnaire=make_questionnaire(
            answered_on=ON - timedelta(days=200),
            pregnant=True,
            conditions=frozenset({Condition.KELOID_HISTORY}),
        ),
        client=make_client(prescriptions=(), consents=()),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [
        ReasonCode.PREGNANT,
        ReasonCode.QUESTIONNAIRE_MISSING,
        ReasonCode.KELOID_HISTORY,
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED,
        ReasonCode.CONSENT_MISSING,
    ]
    assert result.outcome == Outcome.REFUSED


def test_override_clears_an_override_reason() -> None:
    # given
    request = with_questionnaire(
        make_request(FACE, overridden_codes=frozenset({"keloid_history"})),
        conditions=frozenset({Condition.KELOID_HISTORY, Condition.ACTIVE_CANCER}),
    )

    # when
    result = screen(request)

    # then
    assert codes(result) == [ReasonCode.ACTIVE_CANCER]
    assert [reason.code for reason in result.overridden] == [ReasonCode.KELOID_HISTORY]
    assert result.outcome == Outcome.NEEDS_OVERRIDE


def test_overriding_every_override_reason_allows_the_treatment() -> None:
    # given
    request = with_client(
        make_request(
            MESOTOX,
            overridden_codes=frozenset({ReasonCode.TOXIN_INTERVAL, ReasonCode.ANTICOAGULANTS}),
            questionnaire=make_questionnaire(medications=("warfarin",)),
        ),
        toxin_administrations=(ON - timedelta(days=60),),
    )

    # when
    result = screen(request)

    # then
    assert result.outcome == Outcome.ALLOWED
    assert {reason.code for reason in result.overridden} == {
        ReasonCode.TOXIN_INTERVAL,
        ReasonCode.ANTICOAGULANTS,
    }


@pytest.mark.parametrize(
    ("overridden", "expected_code"),
    [
        ("pregnant", ReasonCode.PREGNANT),
        ("questionnaire_missing", ReasonCode.QUESTIONNAIRE_MISSING),
        ("prescriber_consultation_required", ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED),
        ("consent_missing", ReasonCode.CONSENT_MISSING),
    ],
)
def test_overrides_never_clear_other_severities(overridden: str, expected_code: str) -> None:
    # given
    request = make_request(
        MESOTOX,
        overridden_codes=frozenset({overridden}),
        questionnaire=make_questionnaire(answered_on=ON - timedelta(days=200), pregnant=True),
        client=make_client(prescriptions=(), consents=()),
    )

    # when
    result = screen(request)

    # then
    assert expected_code in codes(result)
    assert result.overridden == ()
    assert result.outcome == Outcome.REFUSED


def test_unresolved_for_treatment_keeps_non_warn_and_blocking_warn_reasons() -> None:
    # given
    request = with_client(
        with_questionnaire(
            make_request(CHIN_JOWL), conditions=frozenset({Condition.KELOID_HISTORY})
        ),
        consents=(),
    )

    # when
    result = screen(request)
    unresolved = unresolved_for_treatment(result)

    # then
    assert codes(result) == [
        ReasonCode.KELOID_HISTORY,
        ReasonCode.CONSENT_MISSING,
        ReasonCode.SWELLING_EXPECTED,
    ]
    assert [reason.code for reason in unresolved] == [
        ReasonCode.KELOID_HISTORY,
        ReasonCode.CONSENT_MISSING,
    ]


def test_every_non_warn_reason_blocks_treatment() -> None:
    # given
    request = make_request(
        MESOTOX,
        questionnaire=make_questionnaire(
            answered_on=ON - timedelta(days=200),
            pregnant=True,
            conditions=frozenset({Condition.KELOID_HISTORY}),
        ),
        client=make_client(prescriptions=()),
    )

    # when
    result = screen(request)

    # then
    assert {reason.severity for reason in result.reasons} == {
        Severity.REFUSE,
        Severity.MISSING,
        Severity.OVERRIDE,
        Severity.PRESCRIBER,
    }
    assert all(reason.blocks_treatment for reason in result.reasons)
    assert unresolved_for_treatment(result) == result.reasons


def test_unknown_questionnaire_condition_is_rejected() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="Unknown questionnaire condition codes: flu"):
        QuestionnaireFacts(answered_on=ON, conditions=frozenset({"flu"}))


def test_every_reason_message_and_source_is_filled() -> None:
    # given: a request that trips as many rules as possible
    request = make_request(
        MESOTOX,
        at=datetime(2027, 3, 5, 10, tzinfo=UTC),
        questionnaire=make_questionnaire(
            answered_on=ON - timedelta(days=200),
            pregnant=True,
            breastfeeding=True,
            allergies=("hyaluronic acid",),
            conditions=frozenset(Condition),
            medications=("warfarin", "roaccutane"),
        ),
        client=make_client(
            birth_date=date(2012, 1, 1),
            toxin_administrations=(ON - timedelta(days=10),),
            prescriptions=(),
            consents=(),
        ),
        practitioner=make_practitioner(
            registration_expires_on=date(2026, 1, 1), insurance_expires_on=date(2026, 1, 1)
        ),
    )

    # when
    result = screen(request)

    # then
    assert set(codes(result)) == {
        ReasonCode.UNDER_18,
        ReasonCode.PREGNANT,
        ReasonCode.BREASTFEEDING,
        ReasonCode.INGREDIENT_ALLERGY,
        ReasonCode.ACTIVE_INFECTION_AT_SITE,
        ReasonCode.PRACTITIONER_REGISTRATION_EXPIRED,
        ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER,
        ReasonCode.QUESTIONNAIRE_MISSING,
        *OVERRIDE_CONDITIONS.values(),
        ReasonCode.TOXIN_INTERVAL,
        ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED,
        ReasonCode.CONSENT_MISSING,
        ReasonCode.INSURANCE_EXPIRED,
    }
    assert all(reason.message.endswith(".") and reason.source for reason in result.reasons)


# --- properties -----------------------------------------------------------------------------

RANK = {outcome: index for index, outcome in enumerate(OUTCOME_PRECEDENCE)}

professions = st.sampled_from(list(Profession))
expiries = st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 1, 1)))
practitioners = st.one_of(
    st.none(),
    st.builds(
        PractitionerFacts,
        code=st.sampled_from(["dr-patel", "nurse-lewis"]),
        profession=professions,
        registration_expires_on=expiries,
        prescriber_expires_on=expiries,
        insurance_expires_on=expiries,
    ),
)
questionnaires = st.one_of(
    st.none(),
    st.builds(
        QuestionnaireFacts,
        answered_on=st.dates(min_value=ON - timedelta(days=400), max_value=ON),
        pregnant=st.booleans(),
        breastfeeding=st.booleans(),
        allergies=st.lists(st.sampled_from(["soy", "prilocaine", "penicillin"]), max_size=2).map(
            tuple
        ),
        conditions=st.frozensets(st.sampled_from(list(Condition))),
        medications=st.lists(st.sampled_from(["aspirin", "paracetamol"]), max_size=2).map(tuple),
    ),
)
clients = st.builds(
    ClientFacts,
    birth_date=st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 1, 1)),
    toxin_administrations=st.lists(
        st.dates(min_value=ON - timedelta(days=300), max_value=ON), max_size=2
    ).map(tuple),
    prescriptions=st.lists(
        st.builds(
            PrescriptionFacts,
            prescriber_code=st.sampled_from(["dr-patel", "nurse-okafor"]),
            formulation_code=st.sampled_from([MESOTOX_MIX.code, FAT_DISSOLVER.code]),
            consulted_on=st.dates(min_value=ON - timedelta(days=120), max_value=ON),
        ),
        max_size=2,
    ).map(tuple),
    consents=st.lists(
        st.builds(
            ConsentFacts,
            treatment_code=st.sampled_from([treatment.code for treatment in TREATMENTS]),
            form_version=st.sampled_from(["1", FORM_VERSION]),
            signed_at=st.datetimes(
                min_value=datetime(2027, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
                max_value=datetime(2027, 3, 6),  # noqa: DTZ001
                timezones=st.just(UTC),
            ),
        ),
        max_size=3,
    ).map(tuple),
)


@st.composite
def requests(draw: st.DrawFn) -> ScreeningRequest:
    treatment = draw(st.sampled_from(TREATMENTS))
    return ScreeningRequest(
        on=ON,
        client=draw(clients),
        treatment=treatment,
        formulation=draw(st.sampled_from([FORMULATION_FOR[treatment.code], None, MESOTOX_MIX])),
        practitioner=draw(practitioners),
        questionnaire=draw(questionnaires),
        overridden_codes=draw(st.frozensets(st.sampled_from(list(ReasonCode)), max_size=4)),
        at=draw(st.sampled_from([None, datetime(2027, 3, 5, 10, tzinfo=UTC)])),
    )


def _questionnaire_change(**changes: Any) -> Callable[[ScreeningRequest], ScreeningRequest]:
    def add(request: ScreeningRequest) -> ScreeningRequest:
        if request.questionnaire is None:
            return request
        return with_questionnaire(request, **changes)

    return add


def _add_condition(condition: Condition) -> Callable[[ScreeningRequest], ScreeningRequest]:
    def add(request: ScreeningRequest) -> ScreeningRequest:
        if request.questionnaire is None:
            return request
        return with_questionnaire(
            request, conditions=request.questionnaire.conditions | {condition}
        )

    return add


def _add_text(attribute: str, text: str) -> Callable[[ScreeningRequest], ScreeningRequest]:
    def add(request: ScreeningRequest) -> ScreeningRequest:
        if request.questionnaire is None:
            return request
        existing: tuple[str, ...] = getattr(request.questionnaire, attribute)
        return with_questionnaire(request, **{attribute: (*existing, text)})

    return add


def _expire_practitioner(attribute: str) -> Callable[[ScreeningRequest], ScreeningRequest]:
    def add(request: ScreeningRequest) -> ScreeningRequest:
        if request.practitioner is None:
            return request
        return with_practitioner(request, **{attribute: ON - timedelta(days=1)})

    return add


def _make_minor(request: ScreeningRequest) -> ScreeningRequest:
    return with_client(request, birth_date=date(2012, 1, 1))


def _add_recent_toxin(request: ScreeningRequest) -> ScreeningRequest:
    # Only for clients with toxin history: a first toxin administration also ends the
    # first-treatment cooling-off, so it is not a purely reason-producing fact.
    if not request.client.toxin_administrations:
        return request
    history = (*request.client.toxin_administrations, ON - timedelta(days=10))
    return with_client(request, toxin_administrations=history)


def _age_questionnaire(request: ScreeningRequest) -> ScreeningRequest:
    return _questionnaire_change(answered_on=ON - timedelta(days=181))(request)


FACT_ADDERS: dict[str, Callable[[ScreeningRequest], ScreeningRequest]] = {
    "pregnant": _questionnaire_change(pregnant=True),
    "breastfeeding": _questionnaire_change(breastfeeding=True),
    **{f"condition:{c.value}": _add_condition(c) for c in Condition},
    "allergy:lidocaine": _add_text("allergies", "lidocaine"),
    "allergy:soya": _add_text("allergies", "soya"),
    "allergy:botulinum": _add_text("allergies", "botulinum toxin type a"),
    "medication:warfarin": _add_text("medications", "warfarin"),
    "medication:isotretinoin": _add_text("medications", "isotretinoin"),
    "minor": _make_minor,
    "recent-toxin": _add_recent_toxin,
    "stale-questionnaire": _age_questionnaire,
    "registration-expired": _expire_practitioner("registration_expires_on"),
    "prescriber-expired": _expire_practitioner("prescriber_expires_on"),
    "insurance-expired": _expire_practitioner("insurance_expires_on"),
}


@given(request=requests(), fact=st.sampled_from(sorted(FACT_ADDERS)))
def test_adding_a_reason_producing_fact_never_lowers_the_outcome(
    request: ScreeningRequest, fact: str
) -> None:
    # given
    before = screen(request)

    # when
    after = screen(FACT_ADDERS[fact](request))

    # then
    assert RANK[after.outcome] <= RANK[before.outcome]


@given(request=requests())
def test_outcome_always_matches_the_reasons_and_overrides_never_clear_refusals(
    request: ScreeningRequest,
) -> None:
    # given
    everything_overridden = replace(request, overridden_codes=frozenset(ReasonCode))
    nothing_overridden = replace(request, overridden_codes=frozenset())

    # when
    result = screen(request)
    with_all = screen(everything_overridden)
    with_none = screen(nothing_overridden)

    # then
    assert result.outcome == outcome_for(result.reasons)
    assert all(reason.severity == Severity.OVERRIDE for reason in result.overridden)
    assert [r for r in with_all.reasons if r.severity != Severity.OVERRIDE] == [
        r for r in with_none.reasons if r.severity != Severity.OVERRIDE
    ]
    assert RANK[with_all.outcome] >= RANK[with_none.outcome]
    assert blocks_booking(with_all) == blocks_booking(with_none)


@pytest.mark.parametrize(
    ("offset", "flagged"), [(-56, True), (56, True), (-84, False), (84, False)]
)
def test_toxin_bookings_count_before_and_after(offset: int, flagged: bool) -> None:
    # given: another toxin treatment booked ``offset`` days from the screening date
    request = with_client(make_request(MESOTOX), toxin_bookings=(ON + timedelta(days=offset),))

    # when
    result = screen(request)

    # then
    assert (ReasonCode.TOXIN_INTERVAL in codes(result)) is flagged
    if flagged:
        reason = next(r for r in result.reasons if r.code == ReasonCode.TOXIN_INTERVAL)
        assert reason.details["other_kind"] == "booking"
        assert reason.details["days_apart"] == 56
