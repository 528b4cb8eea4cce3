"""The default consent form text for a treatment, listing the risks of domain.md §1 and §5.

A clinic reviews and republishes its own wording (a new version); this is the starting
point the demo clinic and a treatment without any form use.
"""

from __future__ import annotations

from mesoclinic.catalogue.models import Treatment

_COMMON_RISKS = (
    "Tiny purple dots at the injection points are expected; they usually fade within a day or two.",
    "Bruising can happen; large bruises are uncommon. Blood-thinning medicines make bruising "
    "more likely.",
    "Swelling, redness and tenderness at the treated area for a few hours to a few days.",
    "Rarely, an infection at the injection sites, including atypical mycobacterial infection, "
    "which can appear from 1 to 12 weeks after treatment. Contact the clinic at once if you "
    "notice red, tender or lumpy areas.",
    "Rarely, an allergic reaction to an ingredient.",
)

_NO_NEEDLE_RISKS = (
    "Mild redness, warmth or tingling of the skin during and shortly after treatment.",
    "Rarely, irritation or an allergic reaction to a serum.",
)


def default_consent_title(treatment: Treatment) -> str:
    """The form's title, e.g. 'Consent to Face revitalise'."""
    return f"Consent to {treatment.name}"


def default_consent_body(treatment: Treatment) -> str:
    """Plain-text consent wording for ``treatment``: what it is, risks, course, expectations."""
    risks = list(_COMMON_RISKS if treatment.needs_needle else _NO_NEEDLE_RISKS)
    if treatment.code == "under-eye" or "under-eye" in (treatment.areas or []):
        risks.append("Under-eye swelling can last several days, especially if you are prone to it.")
    if treatment.swelling_expected:
        risks.append(
            "Swelling is expected and may last several days; plan time off if you need it "
            "(many clients choose a Friday appointment)."
        )
    if treatment.contains_toxin or treatment.requires_prescriber:
        risks.append(
            "This treatment uses a prescription-only medicine (botulinum toxin). A prescriber "
            "must see you face to face first. Rarely, temporary weakness or drooping of nearby "
            "muscles, headache or flu-like symptoms."
        )
    lines = [
        f"Treatment: {treatment.name}.",
        (treatment.description or "").strip(),
        "",
        "Possible side effects and risks:",
        *[f"- {risk}" for risk in risks],
        "",
        "A course, not a single visit: results build over a course of sessions, followed by "
        "maintenance sessions. One session alone is unlikely to give the full result.",
        "Realistic expectations: results vary from person to person and cannot be guaranteed; "
        "some people see little change.",
        "",
        "I have told the clinic about my health, medicines and allergies truthfully, I have had "
        "the chance to ask questions, and I understand that I can withdraw my consent at any "
        "time before or during treatment.",
    ]
    return "\n".join(line for line in lines if line is not None).strip() + "\n"
