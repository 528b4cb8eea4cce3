"""Batch recall (one indexed query) and the stock API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from tests.records.factories import book, clear_screening, receive, record_body, session_start

from mesoclinic.catalogue.models import StockMovement
from mesoclinic.catalogue.selectors import batches_with_lot
from mesoclinic.records.models import RecallContact
from mesoclinic.records.selectors import lot_exists, recall_recipients


def _record(api, appointment, lot, volume="2.5", sign=True):
    response = api.post(
        f"/appointments/{appointment.pk}/record", record_body(lot=lot, volume=volume)
    )
    assert response.status_code == 201, response.content
    if sign:
        api.post(f"/records/{response.json()['id']}/sign")
    return response.json()["id"]


def _two_recipients(api_as):
    receive("revitalise-cocktail", "T-RECALL", quantity="20")
    receive("revitalise-cocktail", "T-OTHER", quantity="20")
    clear_screening("amelia.hart@example.com", treatment="face-revitalise")
    clear_screening("freya.adeyemi@example.com", treatment="face-revitalise")
    first = book(client_email="amelia.hart@example.com", at=session_start(days_ahead=-10))
    second = book(
        client_email="freya.adeyemi@example.com",
        practitioner="nurse-lewis",
        room="room-2",
        at=first.treatment_start + dt.timedelta(hours=2),
    )
    _record(api_as("dr-patel"), first, "T-RECALL", "2.5")
    _record(api_as("nurse-lewis"), second, "T-RECALL", "1.5")
    third = book(
        client_email="amelia.hart@example.com",
        room="room-3",
        at=first.treatment_start + dt.timedelta(days=7),
    )
    _record(api_as("dr-patel"), third, "T-OTHER", "1")
    return first, second


def test_recipients_of_a_lot_are_listed(demo, api_as):
    # given
    first, second = _two_recipients(api_as)

    # when
    response = api_as("admin").get("/batches/T-RECALL/recipients")

    # then
    assert response.status_code == 200
    rows = [
        {k: row[k] for k in ("client", "appointment", "practitioner", "volume_ml")}
        for row in response.json()
    ]
    assert rows == [
        {
            "client": str(first.client_id),
            "appointment": str(first.pk),
            "practitioner": "dr-patel",
            "volume_ml": 2.5,
        },
        {
            "client": str(second.client_id),
            "appointment": str(second.pk),
            "practitioner": "nurse-lewis",
            "volume_ml": 1.5,
        },
    ]
    assert response.json()[0]["administered_at"].startswith(first.treatment_start.isoformat()[:16])


def test_recall_is_one_query(demo, api_as, django_assert_num_queries):
    # given
    _two_recipients(api_as)

    # when / then
    with django_assert_num_queries(1):
        rows = list(recall_recipients("T-RECALL"))
    assert len(rows) == 2
    with django_assert_num_queries(0):
        assert {r.record.client.email for r in rows} == {
            "amelia.hart@example.com",
            "freya.adeyemi@example.com",
        }
        assert {r.record.practitioner.code for r in rows} == {"dr-patel", "nurse-lewis"}


def test_the_recall_page_export_and_api_read_no_column_per_row(
    demo, api_as, browser_as, django_assert_max_num_queries
):
    # given: two recipients, and a second administration of the lot to one of them
    first, _ = _two_recipients(api_as)
    again = book(
        client_email="amelia.hart@example.com",
        room="room-3",
        at=first.treatment_start + dt.timedelta(days=3),
    )
    _record(api_as("dr-patel"), again, "T-RECALL", "1")
    admin, page = api_as("admin"), browser_as("admin")
    # when / then: a fixed number of queries whatever the rows (only some columns are
    # read: a field the callers show but the query left out would cost one per row)
    with django_assert_max_num_queries(12):
        rows = admin.get("/batches/t-recall/recipients").json()
    with django_assert_max_num_queries(14):
        html = page.get("/recall/", {"lot": "T-RECALL"}).content.decode()
    with django_assert_max_num_queries(12):
        csv = page.get("/recall/", {"lot": "T-RECALL", "format": "csv"}).content.decode()
    assert len(rows) == 3
    assert {row["formulation"] for row in rows} == {"revitalise-cocktail"}
    assert "Dr Asha Patel" in html  # the practitioner's display name: title and names read
    assert "amelia.hart@example.com" in csv
    assert csv.count("T-RECALL") == 3


def test_contacted_compares_the_lot_exactly_not_as_a_pattern(demo, api_as):
    # given: recipients of T-RECALL, and a contact recorded about another lot whose
    # number would match T-RECALL as a LIKE pattern with "_" (any one character)
    first, _ = _two_recipients(api_as)
    RecallContact.objects.create(
        lot="T_RECALL",
        client_id=first.client_id,
        contacted_at=dt.datetime.now(dt.UTC),
        contacted_by_label="admin",
    )
    # when
    rows = recall_recipients("t-recall")
    # then: nobody counts as contacted about T-RECALL
    assert [use.contacted for use in rows] == [False, False]


def test_a_lot_is_found_in_any_case_through_its_upper_case_index(demo):
    # given
    receive("revitalise-cocktail", "Ab-12c")

    # when
    found = [batch.lot for batch in batches_with_lot("aB-12C")]
    plan = batches_with_lot("ab-12c").explain()

    # then: one index probe (W6: LIKE read every batch and misled SQLite's planner)
    assert found == ["Ab-12c"]
    assert lot_exists(" aB-12C ")  # what was typed is stripped at the entry points
    if connection.vendor == "sqlite":
        assert "batch_lot_upper" in plan


def test_recall_of_an_unknown_lot_says_no_such_lot(demo, api_as):
    # when
    response = api_as("admin").get("/batches/NOPE/recipients")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_lot")


def test_a_lot_with_no_recipients_is_an_empty_list(demo, api_as):
    receive("revitalise-cocktail", "T-UNUSED")
    response = api_as("admin").get("/batches/T-UNUSED/recipients")
    assert (response.status_code, response.json()) == (200, [])


def test_recall_matches_the_lot_in_any_case_and_lists_signed_records_only(demo, api_as):
    # given two signed administrations and one unsigned draft for next week
    first, second = _two_recipients(api_as)
    clear_screening("chloe.dawson@example.com", treatment="face-revitalise")
    planned = book(
        client_email="chloe.dawson@example.com",
        at=session_start(days_ahead=7),
        room="room-2",
    )
    draft = api_as("dr-patel").post(f"/appointments/{planned.pk}/record", record_body("T-RECALL"))
    assert draft.status_code == 201

    # when
    listed = api_as("admin").get("/batches/t-recall/recipients").json()
    page = _admin_page("/recall/", {"lot": "t-recall"})

    # then
    assert [row["appointment"] for row in listed] == [str(first.pk), str(second.pk)]
    assert "Drafts naming this lot (not given)" in page
    assert "Chloe Dawson" in page.split("Drafts naming this lot")[1]


def _admin_page(path: str, params: dict) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client as HttpClient

    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="admin"))
    return browser.get(path, params).content.decode()


def test_marking_a_recipient_contacted(demo, api_as):
    # given
    first, _second = _two_recipients(api_as)
    api = api_as("admin")

    # when
    response = api.post("/batches/T-RECALL/contacts", {"client": str(first.client_id)})

    # then
    assert response.status_code == 201
    assert RecallContact.objects.get().client_id == first.client_id
    contacted = {
        row["client"]: row["contacted"] for row in api.get("/batches/T-RECALL/recipients").json()
    }
    assert contacted == {str(first.client_id): True, str(_second.client_id): False}


def test_batch_is_received_through_the_api_with_a_movement(demo, api_as):
    # when
    response = api_as("admin").post(
        "/batches",
        {
            "formulation": "hair-scalp",
            "lot": "HS-NEW",
            "expires_on": "2030-01-31",
            "quantity": "25",
        },
    )

    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["formulation"], body["lot"], body["quantity_on_hand"]) == (
        "hair-scalp",
        "HS-NEW",
        25.0,
    )
    assert StockMovement.objects.get(batch__lot="HS-NEW").quantity_change == Decimal("25.00")


def test_duplicate_lot_is_a_conflict(demo, api_as):
    # given
    body = {"formulation": "hair-scalp", "lot": "HS-DUP", "expires_on": "2030-01-31", "quantity": 5}
    api_as("admin").post("/batches", body)

    # when
    response = api_as("admin").post("/batches", body)

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "batch_exists")


def test_batches_are_listed_by_formulation(demo, api_as):
    # given
    receive("hair-scalp", "HS-LIST")

    # when
    response = api_as("reception").get("/batches", formulation="hair-scalp")

    # then
    assert response.status_code == 200
    assert {row["formulation"] for row in response.json()} == {"hair-scalp"}
    assert "HS-LIST" in [row["lot"] for row in response.json()]


def test_reception_may_view_but_not_receive_stock(demo, api_as):
    # when
    response = api_as("reception").post(
        "/batches",
        {"formulation": "hair-scalp", "lot": "X", "expires_on": "2030-01-01", "quantity": 1},
    )

    # then
    assert response.status_code == 403


def test_discarding_stock_is_a_movement_and_cannot_overdraw(demo, api_as):
    # given
    receive("hair-scalp", "HS-DISC", quantity="5")
    api = api_as("admin")

    # when
    ok = api.post(
        "/batches/HS-DISC/discard",
        {"formulation": "hair-scalp", "quantity": 2, "reason": "Dropped vial"},
    )
    too_much = api.post(
        "/batches/HS-DISC/discard", {"formulation": "hair-scalp", "quantity": 4, "reason": "Again"}
    )

    # then
    assert (ok.status_code, ok.json()["quantity_on_hand"]) == (200, 3.0)
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (422, "batch_empty")
    ledger = api.get("/batches/HS-DISC/movements", formulation="hair-scalp").json()
    assert [(m["kind"], m["quantity_change"], m["note"]) for m in ledger] == [
        ("discarded", -2.0, "Dropped vial"),
        ("received", 5.0, ""),
    ]
