"""The records pages: the record form, signing, recall, stock, outcomes, Yellow Card."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from PIL import Image
from tests.records.factories import receive, record_body

from mesoclinic.people.models import Client
from mesoclinic.records.models import (
    AssessmentPhoto,
    FollowUp,
    RecallContact,
    TreatmentRecord,
)


def _browser(username: str) -> HttpClient:
    browser = HttpClient()
    assert browser.login(username=username, password="mesoclinic-demo")
    return browser


@pytest.fixture
def doctor(demo):
    return _browser("dr-patel")


def _form(lot="T-REV-FRESH", chart=None, action="draft"):
    return {
        "product-0-formulation": "revitalise-cocktail",
        "product-0-lot": lot,
        "product-0-volume_ml": "2",
        "area-0-area": "forehead",
        "area-0-technique": "nappage",
        "area-0-points": "2",
        "area-0-volume_ml": "2",
        "area-0-chart": json.dumps(chart or [{"x": 0.3, "y": 0.2, "volume_ml": "0.05"}]),
        "numbing_used": "on",
        "reactions": ["purple_dots", "redness"],
        "action": action,
    }


def test_record_form_shows_the_chart_lots_and_expected_effects(appointment, fresh_batch, doctor):
    # when
    response = doctor.get(f"/appointments/{appointment.pk}/record/")

    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="chart-map"' in content
    assert '<option value="T-REV-FRESH">' in content
    assert "Tiny purple dots" in content


def test_record_form_saves_a_draft_with_chart_points(
    appointment, fresh_batch, doctor, after_session
):
    # when
    response = doctor.post(f"/appointments/{appointment.pk}/record/", _form())

    # then
    record = TreatmentRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/records/{record.pk}/"
    area = record.areas.get()
    assert [(p.x, p.y) for p in area.chart_points.all()] == [(0.3, 0.2)]
    assert record.reactions == ["purple_dots", "redness"]
    assert record.signed_at is None


def test_record_form_save_and_sign(appointment, fresh_batch, doctor, after_session):
    # when
    doctor.post(f"/appointments/{appointment.pk}/record/", _form(action="sign"))

    # then
    assert TreatmentRecord.objects.get().signed_at is not None


def test_record_form_shows_a_refusal_next_to_the_form(appointment, doctor):
    # given
    receive("revitalise-cocktail", "T-OLD", expires_in_days=-3)

    # when
    response = doctor.post(f"/appointments/{appointment.pk}/record/", _form(lot="T-OLD"))

    # then
    assert response.status_code == 422
    assert b"batch_expired" in response.content
    assert b'value="T-OLD"' in response.content
    assert TreatmentRecord.objects.count() == 0


def test_record_page_shows_the_chart_read_only_and_signing_locks_it(
    appointment, fresh_batch, doctor, after_session
):
    # given
    doctor.post(f"/appointments/{appointment.pk}/record/", _form())
    record = TreatmentRecord.objects.get()

    # when
    doctor.post(f"/records/{record.pk}/sign/")
    page = doctor.get(f"/records/{record.pk}/").content.decode()
    form = doctor.get(f"/appointments/{appointment.pk}/record/")

    # then
    assert 'class="chart-point"' in page
    assert "Signed" in page
    assert "Add an addendum" in page
    assert form.status_code == 302


def test_addendum_from_the_page(appointment, fresh_batch, doctor, after_session):
    # given
    doctor.post(f"/appointments/{appointment.pk}/record/", _form(action="sign"))
    record = TreatmentRecord.objects.get()

    # when
    doctor.post(f"/records/{record.pk}/addenda/", {"text": "Bruise noted at left temple."})

    # then
    assert "Bruise noted at left temple." in doctor.get(f"/records/{record.pk}/").content.decode()


def test_client_page_shows_the_records_timeline(appointment, fresh_batch, doctor, api_as):
    # given
    api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # when
    page = doctor.get(f"/clients/{appointment.client_id}/").content.decode()

    # then
    assert "Treatment records" in page
    assert "lot T-REV-FRESH" in page
    assert 'class="chart-point"' in page


def test_reception_sees_no_clinical_records_on_the_client_page(appointment, fresh_batch, api_as):
    # given
    api_as("dr-patel").post(f"/appointments/{appointment.pk}/record", record_body())

    # when
    page = _browser("reception").get(f"/clients/{appointment.client_id}/").content.decode()

    # then
    assert "lot T-REV-FRESH" not in page
    assert "Clinical records are visible to practitioners." in page


def test_reception_cannot_open_the_record_form(appointment, demo):
    # when
    response = _browser("reception").get(f"/appointments/{appointment.pk}/record/")

    # then
    assert response.status_code == 403


def test_recall_page_lists_recipients_exports_csv_and_marks_contacted(
    appointment, fresh_batch, api_as, after_session
):
    # given
    api = api_as("dr-patel")
    record_id = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()["id"]
    api.post(f"/records/{record_id}/sign")
    manager = _browser("admin")

    # when
    page = manager.get("/recall/", {"lot": "T-REV-FRESH"}).content.decode()
    csv_text = manager.get("/recall/", {"lot": "T-REV-FRESH", "format": "csv"}).content.decode()
    manager.post("/recall/contact/", {"lot": "T-REV-FRESH", "client": appointment.client_id})

    # then
    assert "Amelia Hart" in page
    assert "amelia.hart@example.com" in page
    assert csv_text.splitlines()[0].startswith("client_id,client,email,phone,administered_at")
    assert "Amelia Hart,amelia.hart@example.com" in csv_text
    assert RecallContact.objects.get().client_id == appointment.client_id


def test_recall_csv_neutralises_formulas_in_names_and_keeps_the_file_name_safe(
    appointment, fresh_batch, api_as, after_session
):
    # given: a client whose name is a spreadsheet formula
    Client.objects.filter(pk=appointment.client_id).update(
        given_name='=HYPERLINK("http://evil.example","x")', family_name="@SUM(A1)"
    )
    api = api_as("dr-patel")
    record_id = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()["id"]
    api.post(f"/records/{record_id}/sign")

    # when
    response = _browser("admin").get("/recall/", {"lot": "T-REV-FRESH", "format": "csv"})

    # then
    import csv

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","x") @SUM(A1)'
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert response["Content-Disposition"] == 'attachment; filename="recall-T-REV-FRESH.csv"'


def test_dashboard_warns_about_stock_expiring_within_30_days(demo):
    # given
    receive("hair-scalp", "HS-SOON", expires_in_days=10)

    # when
    page = _browser("admin").get("/").content.decode()

    # then
    assert "Stock expiring within 30 days" in page
    assert "lot HS-SOON" in page


def test_stock_page_and_discard(demo):
    # given
    batch = receive("hair-scalp", "HS-PAGE", quantity="5")
    manager = _browser("admin")

    # when
    manager.post(f"/stock/{batch.pk}/discard/", {"quantity": "1", "reason": "Cracked vial"})

    # then
    assert "HS-PAGE" in manager.get("/stock/").content.decode()
    assert _browser("reception").get("/stock/").status_code == 403
    ledger = manager.get(f"/stock/{batch.pk}/").content.decode()
    assert "Cracked vial" in ledger
    batch.refresh_from_db()
    assert str(batch.quantity_on_hand) == "4.00"


def test_assessment_form_scores_and_uploads_a_photo(demo, doctor, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    client = Client.objects.get(email="amelia.hart@example.com")
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "tan").save(buffer, format="JPEG")

    # when
    response = doctor.post(
        f"/clients/{client.pk}/assessments/new/",
        {
            "scale": "gais",
            "c-score": "2",
            "treatment": "face-revitalise",
            "rated_by": "practitioner",
            "view": "front",
            "photos": SimpleUploadedFile("a.jpg", buffer.getvalue(), content_type="image/jpeg"),
        },
    )

    # then
    assert response.status_code == 302
    outcomes = doctor.get(f"/clients/{client.pk}/outcomes/").content.decode()
    assert '<svg class="outcome-chart"' in outcomes
    photo = AssessmentPhoto.objects.get()
    assert f"/photos/{photo.pk}/" in outcomes
    assert doctor.get(f"/photos/{photo.pk}/").status_code == 200
    assert _browser("reception").get(f"/photos/{photo.pk}/").status_code == 403


def test_assessment_form_components_swap_for_htmx(demo, doctor):
    # given
    client = Client.objects.get(email="amelia.hart@example.com")

    # when
    response = doctor.get(
        f"/clients/{client.pk}/assessments/new/",
        {"scale": "hexsel-css"},
        headers={"HX-Request": "true"},
    )

    # then
    assert b'name="c-depressions"' in response.content
    assert b"<html" not in response.content


def test_yellow_card_page_is_printable_and_anonymous(
    appointment, fresh_batch, api_as, doctor, after_session
):
    # given
    api = api_as("dr-patel")
    record_id = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()["id"]
    api.post(f"/records/{record_id}/sign")
    event = api.post(
        "/adverse-events",
        {
            "client": str(appointment.client_id),
            "onset": "2026-01-02",
            "description": "Nodules",
            "products": [{"lot": "T-REV-FRESH"}],
            "seriousness": [],
            "outcome": "recovered",
        },
    ).json()

    # when
    page = doctor.get(f"/adverse-events/{event['id']}/yellow-card/").content.decode()

    # then
    assert "MHRA Yellow Card" in page
    assert "T-REV-FRESH" in page
    assert "Hart" not in page.split("<main", 1)[1]
    assert '<button type="button" data-print>Print</button>' in page  # web/page.js prints


def test_follow_up_page_records_an_outcome(appointment, fresh_batch, api_as, doctor, after_session):
    # given
    api = api_as("dr-patel")
    record_id = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()["id"]
    api.post(f"/records/{record_id}/sign")
    follow_up = FollowUp.objects.get(kind="48h")

    # when
    listing = doctor.get("/follow-ups/").content.decode()
    doctor.post(f"/follow-ups/{follow_up.pk}/complete/", {"outcome": "no_adverse_event"})

    # then
    assert "Amelia Hart" in listing
    follow_up.refresh_from_db()
    assert follow_up.outcome == "no_adverse_event"


def test_editing_a_draft_starts_from_everything_it_holds(appointment, fresh_batch, doctor):
    # given a draft with lot, 2 mL, forehead, two chart points and reactions
    chart = [{"x": 0.3, "y": 0.2, "volume_ml": "0.05"}, {"x": 0.4, "y": 0.25, "volume_ml": ""}]
    doctor.post(f"/appointments/{appointment.pk}/record/", _form(chart=chart))
    record = TreatmentRecord.objects.get()

    # when the draft is opened again, and saved without a change
    page = doctor.get(f"/appointments/{appointment.pk}/record/").content.decode()
    from mesoclinic.records.forms import post_data_of

    again = dict(post_data_of(record).lists()) | {"action": "draft"}
    doctor.post(f"/appointments/{appointment.pk}/record/", again)

    # then the form showed it all, and saving kept it all
    assert 'name="product-0-lot" list="lots" value="T-REV-FRESH"' in page
    assert 'value="forehead"' in page
    assert 'value="purple_dots" checked' in page
    assert "0.25" in page
    record = TreatmentRecord.objects.get()
    assert [(use.batch.lot, str(use.volume_ml)) for use in record.products.all()] == [
        ("T-REV-FRESH", "2.00")
    ]
    area = record.areas.get()
    assert (area.area, [(p.x, p.y) for p in area.chart_points.all()]) == (
        "forehead",
        [(0.3, 0.2), (0.4, 0.25)],
    )
    assert record.reactions == ["purple_dots", "redness"]


def test_chart_points_without_an_area_name_are_asked_about_not_dropped(appointment, doctor):
    # given chart points placed in a row whose area has no name
    form = _form()
    form["area-0-area"] = ""

    # when
    response = doctor.post(f"/appointments/{appointment.pk}/record/", form)

    # then
    assert response.status_code == 400
    assert "Name area 1: its 1 chart point(s) need an area" in response.content.decode()
    assert TreatmentRecord.objects.count() == 0
