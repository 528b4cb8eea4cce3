"""The clinic's own FHIR code systems, served at the URLs the export's codings name.

A coding's ``system`` should resolve to a definition; the clinic's own codes (treatments,
formulations, scales …) therefore live under ``{PUBLIC_BASE_URL}/fhir/r4/CodeSystem/{name}``
and this module builds the CodeSystem resource for each, from the catalogue and the scale
and screening definitions. They hold reference data only, no personal data.
"""

from __future__ import annotations

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.interop import terminology as terms
from mesoclinic.interop.fhir import Resource
from mesoclinic.records.device_settings import all_settings
from mesoclinic.records.models import Delivery, Seriousness
from mesoclinic.records.scales import SCALES
from mesoclinic.safety.engine import Condition

QUALIFICATIONS = {
    "registration": "Registered with a professional regulator",
    "prescriber": "Qualified to prescribe",
}


def _concepts(name: str) -> list[tuple[str, str]] | None:
    """(code, display) pairs of the code system ``name``; None when there is no such one."""
    if name == "treatment":
        return list(Treatment.objects.order_by("code").values_list("code", "name"))
    if name == "formulation":
        return list(Formulation.objects.order_by("code").values_list("code", "name"))
    if name == "scale":
        return [(code, scale.name) for code, scale in sorted(SCALES.items())]
    if name.startswith("scale-") and name.removeprefix("scale-") in SCALES:
        scale = SCALES[name.removeprefix("scale-")]
        return [(c.key, c.label) for c in scale.components]
    if name == "qualification":
        return list(QUALIFICATIONS.items())
    if name == "condition":
        return [(c.value, c.value.replace("_", " ").capitalize()) for c in Condition]
    if name == "seriousness":
        return [(s.value, str(s.label)) for s in Seriousness]
    if name == "device-setting":
        return sorted((key, setting.label) for key, setting in all_settings().items())
    if name == "delivery-technique":
        return [(d.value, str(d.label)) for d in Delivery]
    return None


def code_system(name: str) -> Resource | None:
    """The CodeSystem resource ``name`` (complete: every code the clinic uses), or None."""
    concepts = _concepts(name)
    if concepts is None:
        return None
    return {
        "resourceType": "CodeSystem",
        "id": name,
        "url": terms.local_system(name),
        "name": "Mesoclinic" + "".join(part.capitalize() for part in name.split("-")),
        "title": f"Mesoclinic {name.replace('-', ' ')} codes",
        "status": "active",
        "experimental": False,
        "publisher": "The clinic running mesoclinic",
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": [{"code": code, "display": display} for code, display in concepts],
    }
