"""screening_run on the demo clinic: domain.md §4 outcomes from database facts."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.core import clock
from mesoclinic.core.errors import InvalidInput
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Practitioner
from mesoclinic.safety.engine import Outcome
from mesoclinic.safety.models import Override, ToxinAdministration
from mesoclinic.safety.services import screening_as_dict, screening_run


@pytest.fixture
def screen(client_by_email, treatment):
    def run(email, code, practitioner=None, **kwargs):
        return screening_run(
            actor=None,
            client=client_by_email(email),
            treatment=treatment(code),
            practitioner=Practitioner.objects.get(code=practitioner) if practitioner else None,
            **kwargs,
        )

    return run


def codes(result):
    return [reason.code.value for reason in result.reasons]


def test_clean_client_with_consent_is_allowed(screen):
    # when
    result = screen("amelia.hart@example.com", "face-revitalise", "dr-patel")
    # then
    assert (result.outcome, codes(result)) == (Outcome.ALLOWED, [])


def test_pregnant_client_is_refused_needle_treatments(screen):
    result = screen("chloe.dawson@example.com", "face-revitalise", "dr-patel")
    assert result.outcome is Outcome.REFUSED
    assert codes(result) == ["pregnant", "consent_missing"]


def test_pregnant_client_is_only_warned_for_no_needle(screen):
    result = screen("chloe.dawson@example.com", "no-needle-infusion", "therapist-ng")
    assert result.outcome is Outcome.ALLOWED_WITH_WARNINGS
    assert codes(result) == ["pregnant", "consent_missing"]


def test_breastfeeding_client_is_refused(screen):
    result = screen("isla.murray@example.com", "pigmentation", "nurse-lewis")
    assert result.outcome is Outcome.REFUSED
    assert codes(result)[0] == "breastfeeding"


def test_lidocaine_allergy_refuses_a_cocktail_with_lidocaine_and_names_it(screen):
    # when
    result = screen("priya.raman@example.com", "face-revitalise", "dr-patel")
    # then
    assert result.outcome is Outcome.REFUSED
    allergy = result.reasons[0]
    assert allergy.code == "ingredient_allergy"
    assert "Lidocaine hydrochloride" in allergy.message
    assert allergy.details["ingredient"] == "lidocaine"


def test_lidocaine_allergy_does_not_refuse_a_cocktail_without_it(screen):
    result = screen("priya.raman@example.com", "under-eye", "dr-patel")
    assert "ingredient_allergy" not in codes(result)


def test_soy_allergy_matches_soy_derived_phosphatidylcholine(screen):
    result = screen("hannah.osei@example.com", "body-cellulite", "nurse-lewis")
    assert result.outcome is Outcome.REFUSED
    assert result.reasons[0].details["ingredient"] == "phosphatidylcholine-soy"


def test_explicit_formulation_is_screened_instead_of_the_default(screen):
    from mesoclinic.catalogue.models import Formulation

    result = screen(
        "priya.raman@example.com",
        "under-eye",
        "dr-patel",
        formulation=Formulation.objects.get(code="revitalise-cocktail"),
    )
    assert codes(result)[0] == "ingredient_allergy"


def test_therapist_may_not_give_needle_treatments(screen):
    result = screen("amelia.hart@example.com", "face-revitalise", "therapist-ng")
    assert result.outcome is Outcome.REFUSED
    assert codes(result) == ["practitioner_not_qualified"]


def test_therapist_may_give_no_needle_treatments(screen):
    result = screen("zara.qureshi@example.com", "no-needle-infusion", "therapist-ng")
    assert (result.outcome, codes(result)) == (Outcome.ALLOWED, [])


def test_expired_registration_refuses_injectables(screen):
    result = screen("amelia.hart@example.com", "face-revitalise", "nurse-hughes")
    assert result.outcome is Outcome.REFUSED
    assert codes(result) == ["practitioner_registration_expired"]


def test_mesotox_without_prescription_needs_a_prescriber(screen):
    result = screen("amelia.hart@example.com", "mesotox", "dr-patel")
    assert result.outcome is Outcome.NEEDS_PRESCRIBER
    assert codes(result) == ["prescriber_consultation_required", "consent_missing"]


def test_mesotox_with_a_current_prescription_does_not_need_a_prescriber(screen):
    result = screen("sophie.carter@example.com", "mesotox", "dr-patel")
    assert "prescriber_consultation_required" not in codes(result)
    assert result.outcome in {Outcome.ALLOWED, Outcome.ALLOWED_WITH_WARNINGS}


def test_prescription_expires_after_the_validity_window(screen):
    # given the demo prescription was 7 days ago and is valid for 90 days
    on = clock.today() + dt.timedelta(days=84)
    # when
    result = screen("sophie.carter@example.com", "mesotox", "dr-patel", on=on)
    # then
    assert "prescriber_consultation_required" in codes(result)


def test_toxin_sixty_days_ago_needs_an_override(screen):
    # given the dose the demo seeded "60 days ago" (read back, so a run crossing midnight holds)
    last = ToxinAdministration.objects.get(client__email="james.whitaker@example.com")
    # when
    result = screen("james.whitaker@example.com", "mesotox", "dr-patel")
    # then
    assert result.outcome is Outcome.NEEDS_OVERRIDE
    assert codes(result) == ["toxin_interval"]
    assert result.reasons[0].details["days_since"] == (clock.today() - last.administered_on).days


def test_neuromuscular_disorder_refuses_toxin_only(screen):
    toxin = screen("ava.nakamura@example.com", "mesotox", "dr-patel")
    face = screen("ava.nakamura@example.com", "face-revitalise", "dr-patel")
    assert codes(toxin)[0] == "toxin_neuromuscular_disorder"
    assert "toxin_neuromuscular_disorder" not in codes(face)


def test_pacemaker_refuses_electroporation_only(screen):
    wand = screen("noah.fletcher@example.com", "no-needle-infusion", "therapist-ng")
    needle = screen("noah.fletcher@example.com", "face-revitalise", "dr-patel")
    assert wand.outcome is Outcome.REFUSED
    assert codes(wand)[0] == "pacemaker"
    assert "pacemaker" not in codes(needle)


def test_stale_questionnaire_is_incomplete(screen):
    result = screen("grace.lindqvist@example.com", "face-revitalise", "dr-patel")
    assert result.outcome is Outcome.INCOMPLETE
    assert codes(result)[0] == "questionnaire_missing"


def test_no_questionnaire_is_incomplete(screen):
    result = screen("lucas.byrne@example.com", "face-revitalise")
    assert result.outcome is Outcome.INCOMPLETE
    assert codes(result) == ["questionnaire_missing", "consent_missing"]


def test_questionnaire_validity_is_configurable(screen, settings):
    # given the demo questionnaire was answered 20 days ago
    settings.MESOCLINIC = {**settings.MESOCLINIC, "QUESTIONNAIRE_VALID_DAYS": 10}
    # when
    result = screen("amelia.hart@example.com", "face-revitalise", "dr-patel")
    # then
    assert codes(result) == ["questionnaire_missing"]


def test_under_18_is_refused_until_the_eighteenth_birthday(screen):
    # given Mia Fernandes was born on 2009-06-30
    before = screen("mia.fernandes@example.com", "face-revitalise", on=dt.date(2027, 6, 29))
    on_the_day = screen("mia.fernandes@example.com", "face-revitalise", on=dt.date(2027, 6, 30))
    # then
    assert "under_18" in codes(before)
    assert before.outcome is Outcome.REFUSED
    assert "under_18" not in codes(on_the_day)


def test_active_override_clears_only_its_reason_for_its_treatment(screen):
    # given Olivia takes warfarin and dr-patel overrode anticoagulants for face-revitalise
    # when
    face = screen("olivia.brennan@example.com", "face-revitalise", "dr-patel")
    under_eye = screen("olivia.brennan@example.com", "under-eye", "dr-patel")
    # then
    assert (face.outcome, codes(face)) == (Outcome.ALLOWED, [])
    assert [r.code.value for r in face.overridden] == ["anticoagulants"]
    assert under_eye.outcome is Outcome.NEEDS_OVERRIDE
    assert codes(under_eye)[0] == "anticoagulants"


def test_expired_override_no_longer_clears_its_reason(screen, client_by_email):
    # given
    now = dt.datetime.now(dt.UTC)
    Override.objects.filter(client=client_by_email("olivia.brennan@example.com")).update(
        created_at=now - dt.timedelta(days=200), expires_at=now - dt.timedelta(days=20)
    )
    # when
    result = screen("olivia.brennan@example.com", "face-revitalise", "dr-patel")
    # then
    assert result.outcome is Outcome.NEEDS_OVERRIDE


def test_override_does_not_apply_to_a_date_after_it_expires(screen):
    result = screen(
        "olivia.brennan@example.com",
        "face-revitalise",
        "dr-patel",
        on=clock.today() + dt.timedelta(days=400),
    )
    assert "anticoagulants" in codes(result)


def test_prone_to_under_eye_swelling_warns(screen):
    result = screen("emily.sato@example.com", "under-eye", "nurse-lewis")
    assert (result.outcome, codes(result)) == (
        Outcome.ALLOWED_WITH_WARNINGS,
        ["prone_to_under_eye_swelling"],
    )


def test_chin_and_jowl_warns_swelling_expected_and_needs_a_prescriber(screen):
    # the fat-dissolving cocktail is prescription-only (deoxycholic acid), not toxin
    result = screen("zara.qureshi@example.com", "chin-jowl-fat", "dr-patel")
    assert result.outcome is Outcome.NEEDS_PRESCRIBER
    assert codes(result) == [
        "prescriber_consultation_required",
        "consent_missing",
        "swelling_expected",
    ]


def test_a_prescription_only_cocktail_asks_for_a_prescriber_with_a_non_prescriber_too(screen):
    result = screen("zara.qureshi@example.com", "chin-jowl-fat", "nurse-lewis")
    assert result.outcome is Outcome.NEEDS_PRESCRIBER
    assert "prescriber_consultation_required" in codes(result)


def test_first_toxin_consent_signed_today_is_cooling_off_at_the_treatment_moment(screen):
    # given Sophie signed the mesotox consent when the demo was loaded (first toxin: 24 h)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    # when
    result = screen("sophie.carter@example.com", "mesotox", "dr-patel", at=at)
    # then
    assert codes(result) == ["cooling_off"]


def test_screening_is_audited_with_outcome_and_codes(screen, client_by_email):
    # when
    screen("chloe.dawson@example.com", "face-revitalise", "dr-patel")
    # then
    entry = AuditEntry.objects.filter(action="screening.run").latest("id")
    assert entry.client_id == client_by_email("chloe.dawson@example.com").pk
    assert entry.data["outcome"] == "refused"
    assert entry.data["codes"] == ["pregnant", "consent_missing"]
    assert entry.data["treatment"] == "face-revitalise"
    assert entry.data["formulation"] == "revitalise-cocktail"
    assert entry.data["practitioner"] == "dr-patel"


def test_screening_without_audit_writes_no_entry(screen):
    before = AuditEntry.objects.filter(action="screening.run").count()
    screen("amelia.hart@example.com", "face-revitalise", audit=False)
    assert AuditEntry.objects.filter(action="screening.run").count() == before


def test_naive_treatment_moment_is_invalid_input(screen):
    with pytest.raises(InvalidInput) as error:
        screen("amelia.hart@example.com", "face-revitalise", at=dt.datetime(2027, 3, 5, 10))  # noqa: DTZ001
    assert error.value.code == "naive_datetime"


def test_screening_runs_in_a_few_queries(screen, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        screen("olivia.brennan@example.com", "face-revitalise", "dr-patel")


def test_screening_as_dict_has_the_contract_shape(screen):
    # when
    body = screening_as_dict(screen("chloe.dawson@example.com", "face-revitalise", "dr-patel"))
    # then
    assert body["outcome"] == "refused"
    first = body["reasons"][0]
    assert (first["code"], first["severity"]) == ("pregnant", "refuse")
    assert {"code", "severity", "message", "source"} <= set(first)
    assert first["message"].startswith("The client reports being pregnant.")


def _groups_sorted(facts):
    """The facts with each ingredient's allergen groups in code order."""
    ingredients = [
        (
            ingredient.code,
            ingredient.name,
            ingredient.synonyms,
            sorted(ingredient.allergen_groups, key=lambda group: group.code),
        )
        for ingredient in facts.ingredients
    ]
    return (facts.code, facts.name, facts.contains_toxin, facts.prescription_only, ingredients)


def test_the_compiled_formulation_read_gives_what_the_orm_gives(demo):
    """The booking path's one-query, compiled formulation read agrees with the plain ORM
    read for every demo formulation, twice (compiled once, then reused)."""
    from mesoclinic.catalogue.models import Formulation
    from mesoclinic.safety.facts import formulation_facts, formulation_facts_by_id

    formulations = list(Formulation.objects.all())
    assert any(len(f.ingredients.all()) > 1 for f in formulations)
    for _ in range(2):
        for formulation in formulations:
            assert _groups_sorted(formulation_facts_by_id(formulation.pk)) == _groups_sorted(
                formulation_facts(formulation=formulation)
            )
