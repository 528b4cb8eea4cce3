"""Aftercare advice in plain words, per treatment: pure, no Django.

The clinic's own text for a treatment (``Treatment.aftercare``) comes first when it has
one; these points are the shared advice every needle treatment needs (domain.md §5: purple
dots, bruising, swelling) plus the weekend-recovery advice for chin and jowl work and the
"when to call us" list, which reaches out to 12 weeks because the rare serious infection
after mesotherapy shows up one to twelve weeks later. Reactions the signed record noted
(under-eye swelling, a bruise by size) add their own advice (``REACTION_ADVICE``).
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
    reactions: tuple[str, ...] = ()
    """Reaction codes the signed record noted (``records.models.Reaction``)."""


REACTION_ADVICE: dict[str, str] = {
    "under_eye_swelling": (
        "We noted some swelling under your eyes at the end of your treatment. Sleep with "
        "your head raised on an extra pillow for two nights and hold a cold pack wrapped in "
        "a cloth there for 10 minutes at a time. It usually settles within two or three "
        "days; call us if it is getting worse after 48 hours or if it affects your sight."
    ),
    "bruise_small": (
        "We noted a small bruise (under 1 cm). It fades within about a week; after 12 "
        "hours, mineral make-up can cover it."
    ),
    "bruise_medium": (
        "We noted a bruise of 1 to 3 cm. Use a cold pack wrapped in a cloth today, then "
        "arnica gel if you like; it can take up to two weeks to fade. Call us if it grows."
    ),
    "bruise_large": (
        "We noted a larger bruise (over 3 cm). We will call you the day after your "
        "treatment rather than after two days, to see how it is. Use a cold pack wrapped in "
        "a cloth today and avoid aspirin and ibuprofen unless a doctor prescribed them. Call "
        "us straight away if it grows, becomes hard, hot or very painful."
    ),
}
"""Advice for a reaction the record noted, in the order of ``REACTION_ADVICE``."""


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
    points += [advice for code, advice in REACTION_ADVICE.items() if code in facts.reactions]
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
