"""The allergy check against a real-size cocktail (issue #19, item 3): the demo's illustrative
polyrevitalising complex has 50+ ingredients in several allergen groups, and its page stays
readable at that size (grouped by class, searchable)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient

from mesoclinic.catalogue.models import Formulation
from mesoclinic.core import clock
from mesoclinic.demo import polyrevitalising
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety import services
from mesoclinic.safety.engine import Outcome

CODE = polyrevitalising.FORMULATION_CODE


@pytest.fixture
def cocktail(demo):
    return Formulation.objects.get(code=CODE)


def _screen(allergy: str):
    """Lucas Byrne (no questionnaire in the demo) declares ``allergy``, then is screened for
    face revitalise with the Vital Injector, whose cocktail is the polyrevitalising one."""
    from mesoclinic.catalogue.models import Treatment

    client = Client.objects.get(email="lucas.byrne@example.com")
    services.questionnaire_record(
        actor=None,
        client=client,
        answered_at=clock.now() - dt.timedelta(days=1),
        pregnant=False,
        breastfeeding=False,
        allergies=(allergy,),
        conditions=(),
        medications=(),
        notes="",
    )
    return services.screening_run(
        actor=None,
        client=client,
        treatment=Treatment.objects.get(code="face-revitalise-injector"),
        practitioner=Practitioner.objects.get(code="dr-patel"),
    )


def _allergy_reasons(result):
    return [r for r in result.reasons if r.code == "ingredient_allergy"]


def test_the_cocktail_is_real_size_illustrative_and_in_several_allergen_groups(cocktail):
    ingredients = list(cocktail.ingredients.prefetch_related("allergen_groups"))
    assert len(ingredients) >= 50
    assert cocktail.illustrative
    assert "illustrative" in cocktail.name
    groups = {g.code for i in ingredients for g in i.allergen_groups.all()}
    assert groups == {"hyaluronic-acid", "sulfites", "cobalt", "retinoids", "thiamine"}
    classes = {i.ingredient_class for i in ingredients}
    assert {"vitamin", "amino acid", "mineral", "coenzyme", "nucleic acid base"} <= classes


@pytest.mark.parametrize(
    ("allergy", "ingredients"),
    [
        ("Cobalt (earrings)", {"cyanocobalamin"}),  # by allergen group
        ("vitamin B12 injections", {"cyanocobalamin"}),  # by synonym
        ("Sulphites (wine)", {"menadione", "sodium-metabisulfite"}),  # a group, two members
        ("Thiamine", {"thiamine", "cocarboxylase"}),  # an ingredient and its coenzyme form
        ("L-tryptophan", {"tryptophan"}),  # by name, deep in the list
    ],
)
def test_an_allergy_to_any_of_fifty_ingredients_refuses_and_names_them(
    cocktail, allergy, ingredients
):
    result = _screen(allergy)
    assert result.outcome is Outcome.REFUSED
    assert {r.details["ingredient"] for r in _allergy_reasons(result)} == ingredients


@pytest.mark.parametrize("allergy", ["Lidocaine", "Soya", "Penicillin"])
def test_an_allergy_to_nothing_in_it_does_not_refuse(cocktail, allergy):
    result = _screen(allergy)
    assert _allergy_reasons(result) == []


# --- the formulation page ---------------------------------------------------------------------


@pytest.fixture
def staff(demo):
    browser = HttpClient()
    assert browser.login(username="reception", password="mesoclinic-demo")
    return browser


def test_the_page_groups_every_ingredient_by_class_with_allergen_groups(cocktail, staff):
    page = staff.get(f"/formulations/{CODE}/").content.decode()
    total = cocktail.ingredients.count()
    assert f"All {total} ingredients, by class." in page
    assert page.count('<section class="card" aria-labelledby="class-') == 10  # classes
    assert ">Amino acid <span" in page
    assert "Cyanocobalamin (vitamin B12)" in page
    assert '<span class="badge warn">Cobalt</span>' in page
    assert "illustrative composition" in page


def test_the_page_search_narrows_to_matching_ingredients(cocktail, staff):
    page = staff.get(f"/formulations/{CODE}/", {"q": "cobalt"}).content.decode()
    assert f"1 of {cocktail.ingredients.count()} ingredients match “cobalt”." in page
    assert "Cyanocobalamin" in page
    assert "L-tryptophan" not in page
    empty = staff.get(f"/formulations/{CODE}/", {"q": "penicillin"}).content.decode()
    assert "No ingredient matches “penicillin”." in empty


def test_an_unknown_formulation_is_404(demo, staff):
    assert staff.get("/formulations/nothing-here/").status_code == 404


def test_the_treatment_page_links_to_the_long_list(demo, staff):
    page = staff.get("/treatments/face-revitalise-injector/").content.decode()
    assert f'href="/formulations/{CODE}/"' in page
    assert "<li>L-tryptophan</li>" not in page
