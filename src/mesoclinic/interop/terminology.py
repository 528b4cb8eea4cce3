"""Standard codes the FHIR export uses, and the clinic's own code systems.

Every code here is listed in docs/terminology.md with where it was checked. A concept with
no code we could confirm is sent as text only (``CodeableConcept.text``), never guessed.
The clinic's own codes (treatments, formulations, scales …) live in code systems under the
clinic's public address (``MESOCLINIC["PUBLIC_BASE_URL"]``), so the URL is one the clinic
controls rather than a made-up host, where ``interop.codesystems`` serves each one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"

Coding = dict[str, str]

# Route of administration (SNOMED CT qualifier values).
INTRADERMAL_ROUTE: Coding = {"system": SNOMED, "code": "372464004", "display": "Intradermal route"}
TRANSDERMAL_ROUTE: Coding = {"system": SNOMED, "code": "45890007", "display": "Transdermal route"}

# Procedures (SNOMED CT). There is no concept for mesotherapy itself, microneedling or
# electroporation infusion: needle treatments are intradermal injections, the toxin blend
# an injection of botulinum toxin, and the no-needle infusion is sent as text.
INTRADERMAL_INJECTION: Coding = {
    "system": SNOMED,
    "code": "36673005",
    "display": "Intradermal injection",
}
BOTULINUM_INJECTION: Coding = {
    "system": SNOMED,
    "code": "442695005",
    "display": "Injection of botulinum toxin",
}
TOXIN_TREATMENTS = {"mesotox"}

# Body sites (SNOMED CT body structures), keyed by the clinic's area names.
BODY_SITES: dict[str, Coding] = {
    "face": {"system": SNOMED, "code": "89545001", "display": "Face structure"},
    "scalp": {"system": SNOMED, "code": "41695006", "display": "Scalp structure"},
    "neck": {"system": SNOMED, "code": "45048000", "display": "Neck structure"},
    "forehead": {"system": SNOMED, "code": "52795006", "display": "Forehead structure"},
    "chin": {"system": SNOMED, "code": "30291003", "display": "Chin structure"},
    "thighs": {"system": SNOMED, "code": "68367000", "display": "Thigh structure"},
    "buttocks": {"system": SNOMED, "code": "46862004", "display": "Buttock structure"},
    "abdomen": {"system": SNOMED, "code": "818983003", "display": "Abdomen"},
}

# Reactions seen at the end of a session (SNOMED CT findings); the others go as text.
REACTIONS: dict[str, Coding] = {
    "swelling": {"system": SNOMED, "code": "65124004", "display": "Swelling"},
    "redness": {"system": SNOMED, "code": "247441003", "display": "Erythema"},
    "pain": {"system": SNOMED, "code": "22253000", "display": "Pain"},
}

# Ingredients (WHO ATC, chemical substance level), keyed by the clinic's ingredient codes.
INGREDIENTS: dict[str, Coding] = {
    "botulinum-toxin-a": {"system": ATC, "code": "M03AX01", "display": "botulinum toxin"},
    "lidocaine": {"system": ATC, "code": "N01BB02", "display": "lidocaine"},
    "deoxycholic-acid": {"system": ATC, "code": "D11AX24", "display": "deoxycholic acid"},
    "tranexamic-acid": {"system": ATC, "code": "B02AA02", "display": "tranexamic acid"},
    "hyaluronic-acid": {"system": ATC, "code": "D03AX05", "display": "hyaluronic acid"},
}

# UCUM units. Scale scores are dimensionless: the annotation {score} (UCUM unit 1), as
# LOINC writes scores. Toxin doses are brand-specific biological units, not enzyme units
# (UCUM "U"), so they carry the annotation {units}.
ML: dict[str, str] = {"unit": "mL", "system": UCUM, "code": "mL"}
SCORE: dict[str, str] = {"unit": "score", "system": UCUM, "code": "{score}"}
TOXIN_UNITS: dict[str, str] = {"unit": "units", "system": UCUM, "code": "{units}"}

OBSERVATION_SURVEY: Coding = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "survey",
    "display": "Survey",
}


def public_base() -> str:
    """The clinic's public address, the root of every code system it defines."""
    return str(settings.MESOCLINIC.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def local_system(name: str) -> str:
    """The URL of one of the clinic's own code systems, where the CodeSystem is served
    (``{public}/fhir/r4/CodeSystem/{name}``)."""
    return f"{public_base()}/fhir/r4/CodeSystem/{name}"


def local_coding(system: str, code: str, display: str = "") -> Coding:
    """A coding in one of the clinic's own code systems."""
    coding = {"system": local_system(system), "code": code}
    return coding | ({"display": display} if display else {})


def extension_url(name: str) -> str:
    """The URL of one of the clinic's own extensions (``device-setting``,
    ``delivery-technique``), under its public address like its code systems."""
    return f"{public_base()}/fhir/r4/StructureDefinition/{name}"


def concept(codings: list[Coding], text: str) -> dict[str, Any]:
    """A CodeableConcept: the codings we have (maybe none) and always the text."""
    return ({"coding": codings} if codings else {}) | {"text": text}


def is_local(system: str) -> bool:
    """Whether a coding's system is one of the clinic's own."""
    return system.startswith(f"{public_base()}/fhir/r4/CodeSystem/")
