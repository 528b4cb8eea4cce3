"""Spotting medicines that matter for screening in a client's free-text medication list.

Clients list medicines by generic or brand name ("Eliquis 5mg", "aspirin 75 mg daily").
The engine turns the ones below into the same reasons as the matching questionnaire
conditions (``anticoagulants``, ``isotretinoin_recent``), so a client who ticks no box
but writes "warfarin" is still caught. The lists are illustrative, not a formulary; a
clinic may extend them through ``ScreeningConfig``.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable

from mesoclinic.safety.text import contains_phrase, normalize_term

ANTICOAGULANT_TERMS: frozenset[str] = frozenset(
    {
        # vitamin K antagonists
        "warfarin",
        "coumadin",
        "marevan",
        "acenocoumarol",
        "sinthrome",
        "phenindione",
        # direct oral anticoagulants
        "apixaban",
        "eliquis",
        "rivaroxaban",
        "xarelto",
        "edoxaban",
        "lixiana",
        "dabigatran",
        "pradaxa",
        # heparins
        "heparin",
        "enoxaparin",
        "clexane",
        "inhixa",
        "dalteparin",
        "fragmin",
        "tinzaparin",
        "innohep",
        "fondaparinux",
        "arixtra",
        # antiplatelets
        "aspirin",
        "acetylsalicylic acid",
        "clopidogrel",
        "plavix",
        "prasugrel",
        "efient",
        "ticagrelor",
        "brilique",
        "brilinta",
        "dipyridamole",
        "persantin",
        "cilostazol",
    }
)
"""Generic and UK brand names of anticoagulant and antiplatelet medicines."""

ISOTRETINOIN_TERMS: frozenset[str] = frozenset(
    {"isotretinoin", "roaccutane", "accutane", "absorica", "claravis", "amnesteem"}
)
"""Generic and brand names of oral isotretinoin."""


def mentioned_terms(texts: Iterable[str], terms: Iterable[str]) -> tuple[str, ...]:
    """Return the ``terms`` (sorted, normalised) that occur as whole words in ``texts``."""
    normalized_texts = tuple(normalize_term(text) for text in texts)
    found = {
        normalize_term(term)
        for term in terms
        if any(contains_phrase(text, normalize_term(term)) for text in normalized_texts)
    }
    return tuple(sorted(found))
