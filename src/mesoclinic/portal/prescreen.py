"""The public pre-screening: the staff questionnaire's questions, answered by a visitor.

Before a client record exists, the answers go straight to the pure screening engine
(``safety.engine.screen``) with the treatment and its default formulation. The engine's
outcome is then said in plain, kind words — never its clinical messages or reason codes:

- ``refused`` → "this treatment isn't possible for you right now", with why in plain words;
- ``needs_override`` / ``needs_prescriber`` → "please book a free consultation first";
- anything else → fine to book, with a friendly note for expected swelling and the like.

Practitioner and consent rules are not part of this check (no practitioner is chosen yet
and consent is signed later): they are screened again at booking and at the visit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mesoclinic.catalogue.models import Treatment
from mesoclinic.safety import engine
from mesoclinic.safety.facts import formulation_facts, treatment_facts

# The same condition codes as the staff questionnaire, asked in everyday words.
CONDITION_QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        engine.Condition.ACTIVE_INFECTION_AT_SITE,
        "A cold sore, infection, rash or broken skin where you want treatment",
    ),
    (
        engine.Condition.ANTICOAGULANTS,
        "You take blood-thinning medicine (for example warfarin, apixaban, clopidogrel or "
        "daily aspirin)",
    ),
    (engine.Condition.BLEEDING_DISORDER, "You bleed or bruise very easily"),
    (
        engine.Condition.AUTOIMMUNE_DISEASE,
        "An immune-system condition (such as lupus) or medicine that lowers your immunity",
    ),
    (engine.Condition.KELOID_HISTORY, "You tend to get raised, thick scars"),
    (
        engine.Condition.ISOTRETINOIN_RECENT,
        "You have taken isotretinoin (acne tablets such as Roaccutane) in the last year",
    ),
    (engine.Condition.INSULIN_DEPENDENT_DIABETES, "You use insulin for diabetes"),
    (engine.Condition.ACTIVE_CANCER, "You are being treated for cancer"),
    (
        engine.Condition.NEUROMUSCULAR_DISORDER,
        "A condition that weakens your muscles (such as myasthenia gravis)",
    ),
    (engine.Condition.PACEMAKER, "A pacemaker or another implanted electrical device"),
    (
        engine.Condition.PRONE_TO_UNDER_EYE_SWELLING,
        "Your eyes often look puffy or swollen",
    ),
)

NOT_POSSIBLE_WORDS: dict[str, str] = {
    engine.ReasonCode.UNDER_18: (
        "This treatment is only for adults. By law we cannot book or give it to anyone under 18."
    ),
    engine.ReasonCode.PREGNANT: (
        "We don't give this treatment during pregnancy, to keep you and your baby safe. "
        "We'd love to see you once your baby has arrived and you have stopped breastfeeding."
    ),
    engine.ReasonCode.BREASTFEEDING: (
        "We don't give this treatment while you are breastfeeding, to keep your baby safe. "
        "You are very welcome to book once you have stopped."
    ),
    engine.ReasonCode.INGREDIENT_ALLERGY: (
        "This treatment contains something you told us you are allergic to, so it wouldn't "
        "be safe for you."
    ),
    engine.ReasonCode.ACTIVE_INFECTION_AT_SITE: (
        "We can't treat skin with a cold sore, infection or rash. Once it has fully healed, "
        "you are welcome to book."
    ),
    engine.ReasonCode.TOXIN_NEUROMUSCULAR_DISORDER: (
        "This treatment isn't suitable with the muscle condition you told us about."
    ),
    engine.ReasonCode.PACEMAKER: (
        "This treatment uses a gentle electrical current, which isn't safe with a pacemaker "
        "or implanted device."
    ),
}

CONSULTATION_WORDS: dict[str, str] = {
    engine.ReasonCode.ANTICOAGULANTS: "you take a blood-thinning medicine",
    engine.ReasonCode.BLEEDING_DISORDER: "you bleed or bruise easily",
    engine.ReasonCode.AUTOIMMUNE_DISEASE: "you have an immune-system condition",
    engine.ReasonCode.KELOID_HISTORY: "you tend to get raised scars",
    engine.ReasonCode.ISOTRETINOIN_RECENT: "you have taken isotretinoin recently",
    engine.ReasonCode.INSULIN_DEPENDENT_DIABETES: "you use insulin",
    engine.ReasonCode.ACTIVE_CANCER: "you are being treated for cancer",
    engine.ReasonCode.TOXIN_INTERVAL: "you had a similar treatment recently",
    engine.ReasonCode.PRESCRIBER_CONSULTATION_REQUIRED: (
        "this treatment includes a prescription medicine, so a prescriber must see you face "
        "to face first"
    ),
}

NOTE_WORDS: dict[str, str] = {
    engine.ReasonCode.SWELLING_EXPECTED: (
        "Some swelling is expected for a few days. Many clients choose a Friday so they can "
        "rest over the weekend."
    ),
    engine.ReasonCode.PRONE_TO_UNDER_EYE_SWELLING: (
        "As your eyes tend to puff up, expect some swelling under them for a day or two."
    ),
    engine.ReasonCode.UNDER_18: (
        "As you are under 18, a parent or guardian must sign for you and come with you."
    ),
    engine.ReasonCode.PREGNANT: (
        "As you are pregnant, please tell the practitioner when you arrive."
    ),
    engine.ReasonCode.BREASTFEEDING: (
        "As you are breastfeeding, please tell the practitioner when you arrive."
    ),
}


@dataclass(frozen=True, slots=True)
class Answers:
    """A visitor's answers to the pre-screening questions."""

    birth_date: dt.date
    pregnant: bool = False
    breastfeeding: bool = False
    allergies: tuple[str, ...] = ()
    conditions: frozenset[str] = frozenset()
    medications: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form, kept in the session and on the pending booking."""
        return {
            "birth_date": self.birth_date.isoformat(),
            "pregnant": self.pregnant,
            "breastfeeding": self.breastfeeding,
            "allergies": list(self.allergies),
            "conditions": sorted(self.conditions),
            "medications": list(self.medications),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Answers:
        """Inverse of :meth:`as_dict`."""
        return cls(
            birth_date=dt.date.fromisoformat(str(data["birth_date"])),
            pregnant=bool(data.get("pregnant")),
            breastfeeding=bool(data.get("breastfeeding")),
            allergies=tuple(str(a) for a in data.get("allergies") or ()),  # type: ignore[attr-defined]
            conditions=frozenset(str(c) for c in data.get("conditions") or ()),  # type: ignore[attr-defined]
            medications=tuple(str(m) for m in data.get("medications") or ()),  # type: ignore[attr-defined]
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the visitor is told. ``status``: ``ok``, ``consultation`` or ``not_possible``."""

    status: str
    headline: str
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    outcome: str = ""

    @property
    def can_book(self) -> bool:
        return self.status == "ok"


def prescreen(*, treatment: Treatment, answers: Answers, on: dt.date) -> Verdict:
    """Screen a visitor's answers for ``treatment`` on ``on`` and say the result kindly."""
    formulation = treatment.default_formulation
    request = engine.ScreeningRequest(
        on=on,
        client=engine.ClientFacts(birth_date=answers.birth_date),
        treatment=treatment_facts(treatment=treatment),
        formulation=formulation_facts(formulation=formulation) if formulation else None,
        questionnaire=engine.QuestionnaireFacts(
            answered_on=on,
            pregnant=answers.pregnant,
            breastfeeding=answers.breastfeeding,
            allergies=answers.allergies,
            conditions=answers.conditions & engine.CONDITION_CODES,
            medications=answers.medications,
        ),
    )
    return verdict_for(engine.screen(request))


def verdict_for(result: engine.ScreeningResult) -> Verdict:
    """Plain words for a screening result (no codes, no clinical messages)."""
    outcome = result.outcome
    if outcome is engine.Outcome.REFUSED:
        reasons = _unique(
            NOT_POSSIBLE_WORDS.get(
                reason.code, "Something you told us means this treatment wouldn't be safe."
            )
            for reason in result.reasons
            if reason.severity is engine.Severity.REFUSE
        )
        return Verdict(
            status="not_possible",
            headline="We're sorry — this treatment isn't possible for you right now.",
            reasons=reasons,
            outcome=outcome.value,
        )
    if outcome in (engine.Outcome.NEEDS_OVERRIDE, engine.Outcome.NEEDS_PRESCRIBER):
        reasons = _unique(
            f"Because {CONSULTATION_WORDS.get(reason.code, 'of something you told us')}, a "
            "practitioner would like to talk it through with you first."
            for reason in result.reasons
            if reason.severity in (engine.Severity.OVERRIDE, engine.Severity.PRESCRIBER)
        )
        return Verdict(
            status="consultation",
            headline="Please book a free consultation first.",
            reasons=reasons,
            outcome=outcome.value,
        )
    notes = _unique(
        NOTE_WORDS[reason.code] for reason in result.reasons if reason.code in NOTE_WORDS
    )
    return Verdict(
        status="ok",
        headline="Good news — you can book this treatment online.",
        notes=notes,
        outcome=outcome.value,
    )


def _unique(texts: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(texts))  # type: ignore[call-overload]
