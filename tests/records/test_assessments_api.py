"""Outcome assessments through the API: scores, bands, engine error codes, maintenance."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.records.factories import book

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.records.models import MaintenanceDecision
from mesoclinic.records.selectors import maintenance_interval_for

T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def amelia(demo):
    return Client.objects.get(email="amelia.hart@example.com")


def _mmasi(area: int, darkness: int) -> dict[str, int]:
    return {
        f"{region}_{item}": value
        for region in ("forehead", "left_malar", "right_malar", "chin")
        for item, value in (("area", area), ("darkness", darkness))
    }


def test_scales_are_listed_with_their_components(demo, api_as):
    # when
    response = api_as("reception").get("/scales")

    # then
    assert response.status_code == 200
    codes = [scale["code"] for scale in response.json()]
    assert codes[:4] == ["gais", "fitzpatrick-phototype", "glogau", "masi"]
    assert "vas-pain" in codes
    hexsel = next(s for s in response.json() if s["code"] == "hexsel-css")
    assert [c["key"] for c in hexsel["components"]] == [
        "depressions",
        "depth",
        "raised_areas",
        "laxity",
        "grade",
    ]


def test_hexsel_assessment_returns_score_and_band(amelia, api_as):
    # given
    components = {"depressions": 2, "depth": 2, "raised_areas": 1, "laxity": 1, "grade": 2}

    # when
    response = api_as("dr-patel").post(
        f"/clients/{amelia.pk}/assessments", {"scale": "hexsel-css", "components": components}
    )

    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["scale"], body["score"], body["band"]) == ("hexsel-css", 8, "moderate")
    assert body["id"]


def test_masi_maximum_is_48(amelia, api_as):
    # given
    components = {
        f"{region}_{item}": value
        for region in ("forehead", "left_malar", "right_malar", "chin")
        for item, value in (("area", 6), ("darkness", 4), ("homogeneity", 4))
    }

    # when
    response = api_as("dr-patel").post(
        f"/clients/{amelia.pk}/assessments", {"scale": "masi", "components": components}
    )

    # then
    assert (response.status_code, response.json()["score"], response.json()["band"]) == (
        201,
        48.0,
        None,
    )


def test_mmasi_maximum_is_24(amelia, api_as):
    # when
    response = api_as("dr-patel").post(
        f"/clients/{amelia.pk}/assessments", {"scale": "mmasi", "components": _mmasi(6, 4)}
    )

    # then
    assert response.json()["score"] == 24.0


def test_ordinal_scale_scores_are_written_canonically(amelia, api_as):
    # when
    response = api_as("dr-patel").post(
        f"/clients/{amelia.pk}/assessments",
        {"scale": "hamilton-norwood", "components": {"value": "iii vertex"}},
    )

    # then
    assert response.json()["score"] == "III-vertex"


@pytest.mark.parametrize(
    ("scale", "components", "code"),
    [
        ("gais", {"score": 6}, "component_out_of_range"),
        ("vas-pain", {"mm": 101}, "component_out_of_range"),
        (
            "hexsel-css",
            {"depressions": 4, "depth": 0, "raised_areas": 0, "laxity": 0, "grade": 0},
            "component_out_of_range",
        ),
        ("masi", {"forehead_area": 7}, "component_out_of_range"),
        ("gais", {}, "missing_component"),
        ("gais", {"score": 2, "colour": 1}, "unknown_component"),
        ("gais", {"score": True}, "component_not_allowed"),
        ("no-such-scale", {"value": 1}, "unknown_scale"),
    ],
)
def test_invalid_components_are_400_with_the_engine_code(amelia, api_as, scale, components, code):
    # when
    response = api_as("dr-patel").post(
        f"/clients/{amelia.pk}/assessments", {"scale": scale, "components": components}
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_reception_cannot_record_an_assessment(amelia, api_as):
    # when
    response = api_as("reception").post(
        f"/clients/{amelia.pk}/assessments", {"scale": "gais", "components": {"score": 2}}
    )

    # then
    assert response.status_code == 403


def _assess(api, client, scale, components, *, at, treatment="pigmentation"):
    response = api.post(
        f"/clients/{client.pk}/assessments",
        {
            "scale": scale,
            "components": components,
            "treatment": treatment,
            "assessed_at": at.isoformat(),
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_worsened_primary_score_shortens_maintenance_to_56_days(amelia, api_as):
    # given: mMASI 3.0 at the previous maintenance visit
    api = api_as("dr-patel")
    _assess(api, amelia, "mmasi", _mmasi(1, 3), at=T0)

    # when: it is 6.0 now
    _assess(api, amelia, "mmasi", _mmasi(2, 3), at=T0 + dt.timedelta(days=91))

    # then
    decision = maintenance_interval_for(
        client=amelia, treatment=Treatment.objects.get(code="pigmentation")
    )
    assert (decision.interval_days, decision.shortened, str(decision.reason)) == (
        56,
        True,
        "score_worsened",
    )
    assert (
        decision.message == "Primary score worsened from 3.0 to 6.0: next maintenance in 56 days."
    )


def test_improved_primary_score_keeps_91_days(amelia, api_as):
    # given
    api = api_as("dr-patel")
    _assess(api, amelia, "mmasi", _mmasi(2, 3), at=T0)

    # when
    _assess(api, amelia, "mmasi", _mmasi(1, 3), at=T0 + dt.timedelta(days=91))

    # then
    decision = maintenance_interval_for(
        client=amelia, treatment=Treatment.objects.get(code="pigmentation")
    )
    assert (decision.interval_days, decision.shortened, str(decision.reason)) == (
        91,
        False,
        "score_improved",
    )


@pytest.mark.parametrize("gais", [4, 5])
def test_gais_of_no_response_shortens_maintenance(amelia, api_as, gais):
    # when
    _assess(api_as("dr-patel"), amelia, "gais", {"score": gais}, at=T0, treatment="face-revitalise")

    # then
    decision = maintenance_interval_for(
        client=amelia, treatment=Treatment.objects.get(code="face-revitalise")
    )
    assert (decision.interval_days, str(decision.reason)) == (56, "gais_no_response")


def test_gais_after_a_worsened_score_does_not_undo_the_shortening(amelia, api_as):
    # given
    api = api_as("dr-patel")
    _assess(api, amelia, "mmasi", _mmasi(1, 3), at=T0)
    later = T0 + dt.timedelta(days=91)
    _assess(api, amelia, "mmasi", _mmasi(2, 3), at=later)

    # when: the client rates "much improved" the same day
    _assess(api, amelia, "gais", {"score": 2}, at=later + dt.timedelta(minutes=5))

    # then
    decision = maintenance_interval_for(
        client=amelia, treatment=Treatment.objects.get(code="pigmentation")
    )
    assert decision.interval_days == 56


def test_no_scores_yet_means_the_default_interval(amelia):
    # when
    decision = maintenance_interval_for(
        client=amelia, treatment=Treatment.objects.get(code="pigmentation")
    )

    # then
    assert (decision.interval_days, decision.shortened, str(decision.reason)) == (
        91,
        False,
        "no_comparison",
    )


def test_assessment_without_treatment_uses_the_clients_appointment(amelia, api_as):
    # given: Amelia's pigmentation appointment
    book(treatment="pigmentation")
    api = api_as("dr-patel")

    # when
    api.post(f"/clients/{amelia.pk}/assessments", {"scale": "gais", "components": {"score": 5}})

    # then
    decision = MaintenanceDecision.objects.get()
    assert (decision.treatment.code, decision.interval_days) == ("pigmentation", 56)


def test_maintenance_endpoint_reports_the_decision(amelia, api_as):
    # given
    _assess(api_as("dr-patel"), amelia, "gais", {"score": 4}, at=T0, treatment="face-revitalise")

    # when
    response = api_as("dr-patel").get(
        f"/clients/{amelia.pk}/maintenance", treatment="face-revitalise"
    )

    # then
    assert response.json() == {
        "interval_days": 56,
        "shortened": True,
        "reason": "gais_no_response",
        "message": "GAIS is 4 (no response): next maintenance in 56 days.",
    }


def test_reading_the_maintenance_interval_is_audited(amelia, api_as):
    # when
    response = api_as("dr-patel").get(
        f"/clients/{amelia.pk}/maintenance", treatment="face-revitalise"
    )
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.client_id, entry.role, entry.data) == (
        "maintenance.view",
        amelia.pk,
        "practitioner",
        {"treatment": "face-revitalise", "reason": "no_comparison"},
    )
