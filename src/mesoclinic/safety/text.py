"""Plain-text helpers for matching free text that clients and staff type.

Health questionnaires hold free text ("Lignocaine at the dentist", "Warfarin 5 mg"). The
screening engine compares that text with catalogue terms; these helpers make the
comparison forgiving about case, spacing, hyphens and punctuation, and strict about
whole words, so "aspirin" matches "Aspirin 75mg" but "ha" never matches "pharmacy".
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-_/]+")
_EDGE_PUNCTUATION = " .,;:!?()[]{}'\"*"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def normalize_term(text: str) -> str:
    """Return ``text`` case-folded, trimmed, with hyphens/underscores read as spaces."""
    spaced = _SEPARATORS.sub(" ", text.casefold())
    return " ".join(spaced.split()).strip(_EDGE_PUNCTUATION)


def words(text: str) -> tuple[str, ...]:
    """Return the words of an already normalised text (letters and digits only)."""
    return tuple(_WORD.findall(text))


def contains_phrase(text: str, phrase: str) -> bool:
    """Tell whether normalised ``phrase`` occurs in normalised ``text`` as whole words."""
    phrase_words = words(phrase)
    text_words = words(text)
    size = len(phrase_words)
    if size == 0:
        return False
    return any(
        text_words[start : start + size] == phrase_words
        for start in range(len(text_words) - size + 1)
    )


def same_term(left: str, right: str) -> bool:
    """Tell whether two normalised terms name the same thing, allowing a plural ``s``."""
    return left == right or left == f"{right}s" or right == f"{left}s"
