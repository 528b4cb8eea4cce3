"""Aftercare advice in plain words, per treatment: pure, no Django.

The clinic's own text for a treatment (``Treatment.aftercare``) comes first when it has
one; these points are the shared advice every needle treatment needs (domain.md §5: purple
dots, bruising, swelling) plus the weekend-recovery advice for chin and jowl work and the
"when to call us" list, which reaches out to 12 weeks because the rare serious infection
after mesotherapy shows up one to twelve weeks later.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AftercareFacts:
    """What the advice depends on."""

    treatment_name: str
    needs_needle: bool
    swelling_expected: bool
    under_eye: bool
    clinic_text: str = ""
    side_effects: tuple[str, ...] = ()


def aftercare_points(facts: AftercareFacts) -> list[str]:
    """The aftercare advice for one treatment, one point per line, most useful first."""
    points: list[str] = []
    if facts.clinic_text.strip():
        points.append(" ".join(facts.clinic_text.split()))
    if facts.needs_needle:
        points += [
            "Tiny purple dots where the needle went in are normal. They fade within a few days.",
            "Leave your skin bare for 12 hours. After that, mineral make-up can cover the dots.",
            "A little redness, tenderness or a small bruise is common and settles within a "
            "week. A cold pack wrapped in a cloth helps.",
            "For 24 hours: no sauna, steam, swimming, hard exercise or alcohol, and do not "
            "rub the treated skin.",
        ]
    else:
        points.append(
            "Your skin may look a little pink for an hour or two. Use a gentle cleanser and "
            "sunscreen for the next few days."
        )
    if facts.under_eye:
        points.append(
            "Some puffiness under the eyes is expected for a day or two. Sleep with your "
            "head slightly raised."
        )
    if facts.swelling_expected:
        points.append(
            "Swelling under the chin and along the jaw is expected and is usually at its "
            "most on days 2 and 3, settling over about a week. That is why we book this "
            "treatment for a Friday: the weekend lets you rest before work on Monday. Plan "
            "a quiet weekend and avoid tight collars."
        )
    for effect in facts.side_effects:
        if effect.strip():
            points.append(f"You may notice: {effect.strip()}.")
    points.append("Sun protection (SPF 30 or higher) every day helps your results.")
    return points


WHEN_TO_CALL = (
    "Call the clinic straight away if you notice redness or heat that spreads, pus, a fever, "
    "pain that gets worse instead of better, or lumps that grow. Lumps or sores can rarely "
    "appear weeks later — up to 12 weeks after treatment — so please call us then too. "
    "If you have trouble breathing or your face or throat swells, call 999."
)
