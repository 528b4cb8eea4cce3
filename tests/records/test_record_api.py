"""Recording a session through the API: what is stored and every refusal code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.records.factories import book, clear_screening, receive, record_body

from mesoclinic.catalogue.models import Batch
from mesoclinic.core.models import AuditEntry
from mesoclinic.records.models import ChartPoint, ProductUse, TreatmentRecord


def test_record_is_created_with_products_areas_and_chart_points(appointment, fresh_batch, api_as):
    # given
    api = api_as("dr-patel")

    # when
    response = api.post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["products"] == [
        {
            "formulation": "revitalise-cocktail",
            "lot": "T-REV-FRESH",
            "expires_on": fresh_batch.expires_on.isoformat(),
            "volume_ml": 2.5,
            "units": None,
            "dilution_u_per_ml": None,
        }
    ]
    area = body["areas"][0]
    assert (area["area"], area["technique"], area["points"], area["needle_gauge"]) == (
        "forehead",
        "nappage",
        3,
        32,
    )
    assert area["chart_points"] == [
        {"x": 0.4, "y": 0.2, "volume_ml": 0.05},
        {"x": 0.5, "y": 0.22, "volume_ml": None},
        {"x": 0.6, "y": 0.2, "volume_ml": None},
    ]
    assert body["reactions"] == ["purple_dots"]
    assert body["numbing_used"] is True
    assert body["expected_side_effects"][0].startswith("Tiny purple dots")


def test_creating_a_record_is_audited(appointment, fresh_batch, api_as):
    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    entry = AuditEntry.objects.get(action="record.create")
    assert (entry.actor_label, entry.object_id, entry.client_id) == (
        "dr-patel",
        response.json()["id"],
        appointment.client_id,
    )


def test_a_draft_does_not_touch_stock(appointment, fresh_batch, api_as):
    # when
    api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    fresh_batch.refresh_from_db()
    assert fresh_batch.quantity_on_hand == Decimal("10.00")


def test_expired_batch_is_refused(appointment, api_as):
    # given: a batch that expired yesterday (the session is tomorrow)
    receive("revitalise-cocktail", "T-REV-OLD", expires_in_days=-1)

    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(lot="T-REV-OLD")
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_expired"
    assert TreatmentRecord.objects.count() == 0


def test_batch_expiring_on_the_session_day_is_accepted(appointment, api_as):
    # given: the session is tomorrow and the batch expires tomorrow
    receive("revitalise-cocktail", "T-REV-EDGE", expires_in_days=1)

    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(lot="T-REV-EDGE")
    )

    # then
    assert response.status_code == 201


def test_batch_of_another_product_than_planned_is_refused(appointment, api_as):
    # given: a lot of the under-eye product, named as such
    receive("under-eye-light", "T-EYE-1")
    body = record_body()
    body["products"] = [{"formulation": "under-eye-light", "lot": "T-EYE-1", "volume_ml": 1}]

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "batch_mismatch"
    assert error["details"]["planned_formulation"] == "revitalise-cocktail"


def test_lot_of_another_product_named_as_the_planned_one_is_refused(appointment, api_as):
    # given: the lot exists, but as a batch of the under-eye product
    receive("under-eye-light", "T-EYE-2")

    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(lot="T-EYE-2")
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_mismatch"
    assert response.json()["error"]["details"]["batch_formulation"] == "under-eye-light"


def test_batch_with_no_stock_left_is_refused(appointment, api_as):
    # given: 1 mL left, 2.5 mL used
    receive("revitalise-cocktail", "T-REV-LOW", quantity="1")

    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(lot="T-REV-LOW")
    )

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_empty"


def test_unknown_lot_is_refused(appointment, api_as):
    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(lot="NO-SUCH-LOT")
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_batch"


def test_unknown_formulation_is_refused(appointment, api_as):
    # given
    body = record_body()
    body["products"][0]["formulation"] = "snake-oil"

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_formulation"


@pytest.mark.parametrize(
    ("reactions", "code"),
    [(["sneezing"], "unknown_reaction"), (["none", "bruising"], "reaction_none_with_others")],
)
def test_bad_reactions_are_refused(appointment, fresh_batch, api_as, reactions, code):
    # when
    response = api_as("dr-patel").post(
        f"/appointments/{appointment.pk}/record", record_body(reactions=reactions)
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_unknown_technique_is_refused(appointment, fresh_batch, api_as):
    # given
    body = record_body()
    body["areas"][0]["technique"] = "freestyle"

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_technique"


def test_chart_point_outside_the_map_is_refused(appointment, fresh_batch, api_as):
    # given
    body = record_body()
    body["areas"][0]["chart_points"][0]["x"] = 1.2

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 400
    assert ChartPoint.objects.count() == 0


def test_more_chart_points_than_injection_points_is_refused(appointment, fresh_batch, api_as):
    # given
    body = record_body()
    body["areas"][0]["points"] = 2

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_chart_points"


def test_points_may_be_given_as_the_charted_coordinates(appointment, fresh_batch, api_as):
    # given
    body = record_body()
    area = body["areas"][0]
    area["points"] = area.pop("chart_points")

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 201
    assert response.json()["areas"][0]["points"] == 3
    assert len(response.json()["areas"][0]["chart_points"]) == 3


def test_toxin_product_needs_units(demo, api_as):
    # given
    appointment = book(treatment="mesotox", client_email="olivia.brennan@example.com")
    receive("mesotox-blend", "T-TOX-1", quantity="100")
    body = record_body()
    body["products"] = [{"formulation": "mesotox-blend", "lot": "T-TOX-1", "volume_ml": 1}]

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "units_required"


def test_cancelled_appointment_cannot_be_recorded(demo, fresh_batch, api_as):
    # given
    appointment = book(status="cancelled")

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "appointment_not_active"


def test_unknown_appointment_is_404(demo, api_as):
    # when
    response = api_as("dr-patel").post("/appointments/999999/record", record_body())

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "appointment_not_found"


def test_reception_cannot_record(appointment, fresh_batch, api_as):
    # when
    response = api_as("reception").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.status_code == 403


def test_posting_again_replaces_the_draft(appointment, fresh_batch, api_as):
    # given
    api = api_as("dr-patel")
    first = api.post(f"/appointments/{appointment.pk}/record", record_body())

    # when
    second = api.post(f"/appointments/{appointment.pk}/record", record_body(volume="1.5"))

    # then
    assert second.json()["id"] == first.json()["id"]
    assert [float(u.volume_ml) for u in ProductUse.objects.all()] == [1.5]


def test_refused_record_leaves_nothing_behind(appointment, fresh_batch, api_as):
    # given: the second product is expired
    receive("revitalise-cocktail", "T-REV-OLD2", expires_in_days=-10)
    body = record_body()
    body["products"].append(
        {"formulation": "revitalise-cocktail", "lot": "T-REV-OLD2", "volume_ml": 1}
    )

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", body)

    # then
    assert response.status_code == 422
    assert (TreatmentRecord.objects.count(), ProductUse.objects.count()) == (0, 0)
    assert Batch.objects.get(lot="T-REV-FRESH").quantity_on_hand == Decimal("10.00")


def test_screening_runs_at_record_time_and_is_kept(appointment, fresh_batch, api_as):
    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.json()["screening"]["outcome"] in ("allowed", "allowed_with_warnings")


def test_client_with_no_questionnaire_is_refused_with_screening_unresolved(
    demo, fresh_batch, api_as
):
    # given: Lucas Byrne has no health questionnaire on file
    appointment = book(client_email="lucas.byrne@example.com")

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "screening_unresolved"
    assert "questionnaire_missing" in [reason["code"] for reason in error["details"]["reasons"]]
    assert TreatmentRecord.objects.count() == 0


def test_missing_consent_blocks_the_record(demo, fresh_batch, api_as):
    # given: a questionnaire but no consent for the treatment
    clear_screening("noah.fletcher@example.com", treatment="face-revitalise", consent=False)
    appointment = book(client_email="noah.fletcher@example.com")

    # when
    response = api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # then
    assert response.status_code == 422
    codes = [reason["code"] for reason in response.json()["error"]["details"]["reasons"]]
    assert codes == ["consent_missing"]
