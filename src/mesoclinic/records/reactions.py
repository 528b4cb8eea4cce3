"""What a recorded reaction means for the client's follow-up: pure, no Django.

domain.md §5 lists the reactions a session leaves: tiny purple dots (expected), bruising
("uncommon when large"), swelling (under the eyes in prone clients), redness and pain. The
record keeps a bruise by size, small / medium / large, with its size in cm when measured,
and under-eye swelling as its own code. Three things follow from them:

- the size band of a measured bruise (:func:`bruise_band`);
- how soon the first check-in is due: 48 hours, brought forward to 24 hours after a large
  bruise (:func:`first_follow_up_hours`);
- the adverse-event threshold: a large bruise is at it, so the record asks for an adverse
  event report and its follow-ups cannot say "no adverse event"
  (:func:`at_adverse_event_threshold`).

The aftercare text for each reaction is in ``messaging.aftercare``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

UNDER_EYE_SWELLING = "under_eye_swelling"
BRUISE_SMALL = "bruise_small"
BRUISE_MEDIUM = "bruise_medium"
BRUISE_LARGE = "bruise_large"
BRUISE_SIZES = (BRUISE_SMALL, BRUISE_MEDIUM, BRUISE_LARGE)

SMALL_BELOW_CM = Decimal(1)
"""A bruise under 1 cm across is small."""
LARGE_ABOVE_CM = Decimal(3)
"""A bruise over 3 cm across is large; 1 to 3 cm is medium."""
MAX_BRUISE_CM = Decimal(30)

FIRST_FOLLOW_UP_HOURS = 48
EARLY_FOLLOW_UP_HOURS = 24
BRINGS_FOLLOW_UP_FORWARD = frozenset({BRUISE_LARGE})
ADVERSE_EVENT_THRESHOLD = frozenset({BRUISE_LARGE})


def bruise_band(size_cm: Decimal) -> str:
    """The size code of a bruise ``size_cm`` across (the longest diameter)."""
    if size_cm < SMALL_BELOW_CM:
        return BRUISE_SMALL
    if size_cm <= LARGE_ABOVE_CM:
        return BRUISE_MEDIUM
    return BRUISE_LARGE


def bruise_sizes(reactions: Iterable[str]) -> list[str]:
    """The bruise size codes among ``reactions``, in order."""
    return [code for code in reactions if code in BRUISE_SIZES]


def first_follow_up_hours(reactions: Iterable[str]) -> int:
    """Hours after the treatment start when the first check-in is due."""
    if BRINGS_FOLLOW_UP_FORWARD.intersection(reactions):
        return EARLY_FOLLOW_UP_HOURS
    return FIRST_FOLLOW_UP_HOURS


def at_adverse_event_threshold(reactions: Iterable[str]) -> list[str]:
    """The recorded reactions at the adverse-event threshold (empty when none is)."""
    return [code for code in reactions if code in ADVERSE_EVENT_THRESHOLD]
