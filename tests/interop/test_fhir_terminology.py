"""Every demo client's ``$everything`` Bundle is valid R4 and speaks standard terminology.

Each Bundle is parsed by fhir.resources (R4B, whose resources used here are R4's) and the
R4 invariants of the resources we emit are evaluated with fhirpathpy. ``ele-1`` is checked
structurally (fhirpathpy has no ``hasValue()``): no element may be empty.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client as HttpClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem
from fhirpathpy import evaluate
from fhirpathpy.models import models

from mesoclinic.demo.records import load_records_demo
from mesoclinic.demo.scheduling import load_scheduling_demo
from mesoclinic.interop import terminology
from mesoclinic.interop.selectors import patient_everything
from mesoclinic.people.models import Client

DOCS = Path(__file__).resolve().parents[2] / "docs" / "terminology.md"
R4 = models["r4"]
LOCAL_COUNT, STANDARD_COUNT = 177, 146  # docs/terminology.md "Coding counts"
DEVICE_UNITS = {"mm", "mL/min", "kPa", "Hz", "V", "ms", "min", "{passes}", "{shots}"}
_AIV = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"

# (key, resource type or "*", FHIRPath evaluated on the resource, which must be true)
INVARIANTS: list[tuple[str, str, str]] = [
    ("dom-2", "*", "contained.contained.empty()"),
    (
        "dom-3",
        "*",
        "contained.where((('#'+id in (%resource.descendants().reference"
        " | %resource.descendants().as(canonical) | %resource.descendants().as(uri)"
        " | %resource.descendants().as(url))) or descendants().where(reference = '#')"
        ".exists() or descendants().where(as(canonical) = '#').exists()"
        " or descendants().where(as(canonical) = '#').exists()).not()).trace('unmatched',"
        " id).empty()",
    ),
    ("dom-4", "*", "contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()"),
    ("dom-5", "*", "contained.meta.security.empty()"),
    ("bdl-1", "Bundle", "total.empty() or (type = 'searchset') or (type = 'history')"),
    ("bdl-2", "Bundle", "entry.search.empty() or (type = 'searchset')"),
    (
        "bdl-3",
        "Bundle",
        "entry.all(request.exists() = (%resource.type = 'batch' or %resource.type ="
        " 'transaction' or %resource.type = 'history'))",
    ),
    (
        "bdl-4",
        "Bundle",
        "entry.all(response.exists() = (%resource.type = 'batch-response' or"
        " %resource.type = 'transaction-response' or %resource.type = 'history'))",
    ),
    ("bdl-5", "Bundle", "entry.all(resource.exists() or request.exists() or response.exists())"),
    (
        "bdl-7",
        "Bundle",
        "(type = 'history') or entry.where(fullUrl.exists()).select(fullUrl&iif("
        "resource.meta.versionId.exists(), resource.meta.versionId, '')).isDistinct()",
    ),
    ("bdl-8", "Bundle", "entry.all(fullUrl.contains('/_history/').not())"),
    (
        "pat-1",
        "Patient",
        "contact.all(name.exists() or telecom.exists() or address.exists()"
        " or organization.exists())",
    ),
    (
        "ait-1",
        "AllergyIntolerance",
        f"verificationStatus.coding.where(system = '{_AIV}' and code = 'entered-in-error')"
        ".exists() or clinicalStatus.exists()",
    ),
    (
        "ait-2",
        "AllergyIntolerance",
        f"verificationStatus.coding.where(system = '{_AIV}' and code = 'entered-in-error')"
        ".empty() or clinicalStatus.empty()",
    ),
    ("qrs-1", "QuestionnaireResponse", "item.all((answer.exists() and item.exists()).not())"),
    (
        "qrs-2",
        "QuestionnaireResponse",
        "repeat(answer|item).select(item.linkId.isDistinct()).allTrue()",
    ),
    ("app-1", "Appointment", "participant.all(type.exists() or actor.exists())"),
    ("app-2", "Appointment", "start.exists() = end.exists()"),
    (
        "app-3",
        "Appointment",
        "(start.exists() and end.exists()) or (status in ('proposed' | 'cancelled' | 'waitlist'))",
    ),
    (
        "app-4",
        "Appointment",
        "cancelationReason.exists() implies (status='noshow' or status='cancelled')",
    ),
    ("mad-1", "MedicationAdministration", "dosage.all(dose.exists() or rate.exists())"),
    ("ppc-1", "Consent", "policy.exists() or policyRule.exists()"),
    (
        "ppc-2",
        "Consent",
        f"patient.exists() or scope.coding.where(system='{_CONSENT_SCOPE}' and"
        " code='patient-privacy').exists().not()",
    ),
    (
        "ppc-5",
        "Consent",
        f"patient.exists() or scope.coding.where(system='{_CONSENT_SCOPE}' and"
        " code='treatment').exists().not()",
    ),
    ("obs-6", "Observation", "dataAbsentReason.empty() or value.empty()"),
    (
        "obs-7",
        "Observation",
        "value.empty() or component.code.where(coding.intersect(%resource.code.coding)"
        ".exists()).empty()",
    ),
    ("qty-3", "Observation", "value.ofType(Quantity).all(code.empty() or system.exists())"),
    (
        "qty-3",
        "Observation",
        "component.value.ofType(Quantity).all(code.empty() or system.exists())",
    ),
    ("qty-3", "MedicationAdministration", "dosage.dose.all(code.empty() or system.exists())"),
]


def _empty_elements(node, path="") -> list[str]:
    """ele-1: every element has a value or children (no {}, [], "" or null)."""
    if node in ({}, [], "", None):
        return [path]
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _empty_elements(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _empty_elements(value, f"{path}[{index}]")
    return found


def _codings(node):
    if isinstance(node, dict):
        if "system" in node and "code" in node and "value" not in node:
            yield node
        for value in node.values():
            yield from _codings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _codings(value)


def _quantities(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"valueQuantity", "dose"}:
                yield value
            yield from _quantities(value)
    elif isinstance(node, list):
        for value in node:
            yield from _quantities(value)


@pytest.fixture
def demo_bundles(demo):
    load_records_demo()
    load_scheduling_demo()
    return {
        client.email: patient_everything(client=client, base_url="https://clinic.test/fhir/r4")
        for client in Client.objects.order_by("pk")
    }


def test_every_demo_bundle_parses_as_fhir_r4(demo_bundles):
    # then
    assert len(demo_bundles) == 20
    for bundle in demo_bundles.values():
        parsed = Bundle.model_validate(bundle)
        assert parsed.type == "searchset"
        assert parsed.total == 1


def test_every_demo_bundle_keeps_the_r4_invariants(demo_bundles):
    # given
    failures = []
    checked = set()
    # when
    for email, bundle in demo_bundles.items():
        resources = [bundle] + [entry["resource"] for entry in bundle["entry"]]
        for resource in resources:
            failures += [f"{email} ele-1 {p}" for p in _empty_elements(resource)]
            for key, resource_type, expression in INVARIANTS:
                if resource_type not in ("*", resource["resourceType"]):
                    continue
                result = evaluate(resource, expression, {"resource": resource}, R4)
                checked.add(key)
                if result not in ([True], []):
                    failures.append(f"{email} {resource['resourceType']} {key}: {result}")
    # then
    assert failures == []
    assert {"dom-2", "bdl-1", "obs-7", "qty-3", "app-3", "mad-1", "ppc-1", "ait-1"} <= checked


def test_the_invariant_check_catches_a_broken_resource():
    # given: a quantity with a code but no system, and a component repeating the code
    coding = {"system": "http://example.org", "code": "x"}
    broken = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [coding]},
        "valueQuantity": {"value": 1, "code": "{score}"},
        "component": [{"code": {"coding": [coding]}, "valueInteger": 1}],
    }
    # when
    results = [
        (key, evaluate(broken, expression, {"resource": broken}, R4))
        for key, resource_type, expression in INVARIANTS
        if resource_type == "Observation" and key in {"obs-7", "qty-3"}
    ]
    # then: the value's quantity breaks qty-3; the component has no quantity
    assert results == [("obs-7", [False]), ("qty-3", [False]), ("qty-3", [True])]
    assert _empty_elements({"a": {}, "b": [1, ""]}) == [".a", ".b[1]"]


def test_every_quantity_has_a_ucum_unit(demo_bundles):
    quantities = [q for bundle in demo_bundles.values() for q in _quantities(bundle)]
    assert quantities
    for quantity in quantities:
        assert quantity["system"] == "http://unitsofmeasure.org"
        assert quantity["code"] in {"mL", "{score}"} | DEVICE_UNITS


def test_no_coding_uses_an_invented_host(demo_bundles):
    systems = {c["system"] for b in demo_bundles.values() for c in _codings(b)}
    assert not any(".invalid" in system for system in systems)
    local = {s for s in systems if terminology.is_local(s)}
    assert all(s.startswith("http://127.0.0.1:8000/fhir/r4/CodeSystem/") for s in local)


def test_every_standard_code_sent_is_in_the_terminology_table(demo_bundles):
    # given: the table in docs/terminology.md, one row per code
    table = DOCS.read_text()
    documented = set(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", table, flags=re.M))
    # when
    sent = {
        (coding["system"], coding["code"])
        for bundle in demo_bundles.values()
        for coding in _codings(bundle)
        if coding["system"] in {terminology.SNOMED, terminology.ATC, terminology.LOINC}
    }
    # then
    assert sent
    assert sent <= documented


def test_procedures_medicines_and_sites_carry_standard_codes(demo_bundles):
    bundle = demo_bundles["amelia.hart@example.com"]
    grouped: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        grouped.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    procedure = grouped["Procedure"][0]
    assert procedure["code"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "36673005",
        "display": "Intradermal injection",
    }
    assert procedure["bodySite"][0]["coding"][0]["code"] == "52795006"  # forehead
    ingredients = {
        i["itemCodeableConcept"]["text"]: i["itemCodeableConcept"].get("coding", [])
        for i in grouped["Medication"][0]["ingredient"]
    }
    assert ingredients["Lidocaine hydrochloride"] == [
        {"system": "http://www.whocc.no/atc", "code": "N01BB02", "display": "lidocaine"}
    ]
    assert ingredients["Zinc"] == []  # no confirmed code: text only


def test_standard_and_local_coding_counts_across_the_demo(demo_bundles):
    # the figures reported for issue 13 (before: 157 local, 38 standard)
    codings = [c for b in demo_bundles.values() for c in _codings(b)]
    local = sum(terminology.is_local(c["system"]) for c in codings)
    assert (local, len(codings) - local) == (LOCAL_COUNT, STANDARD_COUNT)


def test_every_local_system_resolves_to_a_code_system_holding_its_codes(demo_bundles):
    # given: every local coding sent, by system
    sent: dict[str, set[str]] = {}
    for bundle in demo_bundles.values():
        for coding in _codings(bundle):
            if terminology.is_local(coding["system"]):
                sent.setdefault(coding["system"], set()).add(coding["code"])
    http = HttpClient()
    # when / then
    assert len(sent) >= 5
    for system, codes in sent.items():
        response = http.get(system.removeprefix("http://127.0.0.1:8000"))
        assert response.status_code == 200, system
        resource = response.json()
        assert CodeSystem.model_validate(resource).url == system
        assert codes <= {concept["code"] for concept in resource["concept"]}, system


def test_an_unknown_code_system_is_404():
    response = HttpClient().get("/fhir/r4/CodeSystem/nothing-here")
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_treatments_map_to_their_procedure_and_route(demo):
    # given
    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.interop import fhir

    # when
    mesotox = fhir.procedure_concept(Treatment.objects.get(code="mesotox"))
    no_needle = Treatment.objects.get(code="no-needle-infusion")
    # then
    assert mesotox["coding"][0]["code"] == "442695005"
    assert fhir.procedure_concept(no_needle)["coding"][0]["system"].endswith("/treatment")
    assert fhir.route(no_needle)["coding"] == [
        {"system": "http://snomed.info/sct", "code": "45890007", "display": "Transdermal route"}
    ]
    assert fhir.route(Treatment.objects.get(code="mesotox"))["coding"][0]["code"] == "372464004"
