"""Matching a client's declared allergies against the ingredients of a formulation.

A client writes what they are allergic to in their own words ("Lignocaine", "soya",
"local anaesthetic from the dentist"). An ingredient is caught when the declared text
names it (by name, code or synonym), names one of its allergen groups, or names another
member of one of its allergen groups: someone allergic to prilocaine is refused
lidocaine, because both are amide local anaesthetics.

Known group members live in ``KNOWN_ALLERGEN_GROUP_MEMBERS``, a small illustrative
table; a clinic may extend it through ``ScreeningConfig.allergen_group_members``. Group
identities are compared with the catalogue's group code, name and synonyms, so a group
stored as ``amide-local-anaesthetics`` / "Amide local anaesthetics" finds its members.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mesoclinic.safety.text import contains_phrase, normalize_term, same_term

# Terms shorter than this are only matched exactly, never found inside a longer text,
# so that a code such as "ha" or "c" cannot match the word "ha" in a sentence.
_MIN_CONTAINED_TERM_LENGTH = 3

AMIDE_LOCAL_ANAESTHETICS = "amide local anaesthetics"
ESTER_LOCAL_ANAESTHETICS = "ester local anaesthetics"
SOY = "soy"

KNOWN_ALLERGEN_GROUP_MEMBERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        AMIDE_LOCAL_ANAESTHETICS: frozenset(
            {
                "lidocaine",
                "lignocaine",
                "xylocaine",
                "prilocaine",
                "articaine",
                "bupivacaine",
                "levobupivacaine",
                "mepivacaine",
                "ropivacaine",
                "emla",
                "local anaesthetic",
                "local anesthetic",
                "amide local anesthetics",
            }
        ),
        ESTER_LOCAL_ANAESTHETICS: frozenset(
            {
                "benzocaine",
                "tetracaine",
                "amethocaine",
                "procaine",
                "novocaine",
                "chloroprocaine",
                "local anaesthetic",
                "local anesthetic",
                "ester local anesthetics",
            }
        ),
        SOY: frozenset({"soy", "soya", "soybean", "soya bean", "soy bean", "lecithin"}),
    }
)
"""Known words for members of allergen groups, keyed by the group's normalised name."""


@dataclass(frozen=True, slots=True)
class AllergenGroupFacts:
    """An allergen group as the catalogue stores it (code, name, other words for it)."""

    code: str
    name: str
    synonyms: tuple[str, ...] = ()

    def terms(self) -> frozenset[str]:
        """Return every normalised word the catalogue uses for this group."""
        return _normalized({self.code, self.name, *self.synonyms})


@dataclass(frozen=True, slots=True)
class IngredientFacts:
    """An ingredient of a formulation, with the allergen groups it belongs to."""

    code: str
    name: str
    synonyms: tuple[str, ...] = ()
    allergen_groups: tuple[AllergenGroupFacts, ...] = ()

    def terms(self) -> frozenset[str]:
        """Return every normalised word the catalogue uses for this ingredient."""
        return _normalized({self.code, self.name, *self.synonyms})


@dataclass(frozen=True, slots=True)
class AllergyMatch:
    """A declared allergy that catches an ingredient; ``group`` is set for group matches."""

    declared: str
    ingredient: IngredientFacts
    group: AllergenGroupFacts | None


def find_allergy_matches(
    declared_allergies: Iterable[str],
    ingredients: Iterable[IngredientFacts],
    group_members: Mapping[str, frozenset[str]] = KNOWN_ALLERGEN_GROUP_MEMBERS,
) -> tuple[AllergyMatch, ...]:
    """Return one match per caught ingredient, in ingredient order.

    ``declared_allergies`` is free text; each entry may list several allergies separated
    by commas or semicolons. Matching ignores case, surrounding spaces and hyphens.
    """
    declared = _declared_entries(declared_allergies)
    matches = (_first_match(declared, ingredient, group_members) for ingredient in ingredients)
    return tuple(match for match in matches if match is not None)


def _first_match(
    declared: tuple[tuple[str, str], ...],
    ingredient: IngredientFacts,
    group_members: Mapping[str, frozenset[str]],
) -> AllergyMatch | None:
    for original, normalized in declared:
        if _names_any(normalized, ingredient.terms()):
            return AllergyMatch(declared=original, ingredient=ingredient, group=None)
        for group in ingredient.allergen_groups:
            words_for_group = group.terms() | _members_of(group, group_members)
            if _names_any(normalized, words_for_group):
                return AllergyMatch(declared=original, ingredient=ingredient, group=group)
    return None


def _members_of(
    group: AllergenGroupFacts, group_members: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    group_terms = group.terms()
    members: set[str] = set()
    for known_group, known_members in group_members.items():
        if _names_any(normalize_term(known_group), group_terms, allow_contained=False):
            members.update(_normalized(known_members))
    return frozenset(members)


def _names_any(declared: str, terms: Iterable[str], *, allow_contained: bool = True) -> bool:
    """Tell whether a declared allergy names one of ``terms``.

    It does when it is the same term (give or take a plural ``s``) or, for terms long
    enough to be meaningful, when the term appears as whole words in the declaration
    ("allergic to lidocaine at the dentist" names "lidocaine").
    """
    return any(
        same_term(declared, term)
        or (
            allow_contained
            and len(term) >= _MIN_CONTAINED_TERM_LENGTH
            and contains_phrase(declared, term)
        )
        for term in terms
    )


def _declared_entries(declared_allergies: Iterable[str]) -> tuple[tuple[str, str], ...]:
    entries: list[tuple[str, str]] = []
    for text in declared_allergies:
        for part in text.replace(";", ",").split(","):
            normalized = normalize_term(part)
            if normalized:
                entries.append((part.strip(), normalized))
    return tuple(entries)


def _normalized(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(term for term in (normalize_term(text) for text in terms) if term)
