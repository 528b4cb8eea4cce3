"""The record workflow in the browser: a practitioner keeps a draft (lot, volume, area and
chart points) through an edit, is refused signing a session that has not started, and signs
a past one. Screenshots of the record page, the client page and the screening panel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.e2e.conftest import screenshot
from tests.records.factories import book, clear_screening, receive, session_start

from mesoclinic.people.models import Client
from mesoclinic.records.models import ChartPoint, TreatmentRecord

pytestmark = pytest.mark.e2e

CLICKS = [(0.35, 0.25), (0.5, 0.3), (0.65, 0.25)]


def _fill_and_chart(page, *, lot: str) -> None:
    page.fill("#product-0-lot", lot)
    page.fill("#product-0-volume_ml", "2")
    page.fill("#area-0-area", "forehead")
    page.fill("#area-0-volume_ml", "2")
    chart = page.locator("#chart-map")
    box = chart.bounding_box()
    assert box is not None
    for x, y in CLICKS:
        chart.click(position={"x": box["width"] * x, "y": box["height"] * y})
    assert page.locator("#chart-map .placed").count() == 3


def test_a_draft_keeps_everything_through_an_edit_and_signs_only_once_given(login, live_url):
    # given: Amelia's face session tomorrow, another yesterday, and a batch in stock
    clear_screening(treatment="face-revitalise")
    tomorrow = book()
    yesterday = book(at=session_start(days_ahead=-1, hour=11))
    receive("revitalise-cocktail", "E2E-DRAFT-1")
    page = login("dr-patel")
    page.on("dialog", lambda dialog: dialog.accept())

    # when: a draft with lot, volume, area and three chart points is saved
    page.goto(live_url(f"/appointments/{tomorrow.pk}/record/"))
    _fill_and_chart(page, lot="E2E-DRAFT-1")
    page.click("button[value=draft]")
    page.wait_for_url(live_url("/records/*/"))
    record = TreatmentRecord.objects.get(appointment=tomorrow)

    # and reopened with "Edit draft": everything is there
    page.click("text=Edit draft")
    page.wait_for_url(live_url(f"/appointments/{tomorrow.pk}/record/"))
    assert page.input_value("#product-0-lot") == "E2E-DRAFT-1"
    assert Decimal(page.input_value("#product-0-volume_ml")) == Decimal("2")
    assert page.input_value("#area-0-area") == "forehead"
    assert page.locator("#chart-map .placed").count() == 3

    # and edited (notes added), then saved again
    page.fill("#notes", "Edited after a second look: forehead only.")
    page.click("button[value=draft]")
    page.wait_for_url(live_url(f"/records/{record.pk}/"))

    # then: nothing was lost
    record.refresh_from_db()
    product = record.products.get()
    assert product.batch.lot == "E2E-DRAFT-1"
    assert product.volume_ml == Decimal("2")
    assert list(record.areas.values_list("area", flat=True)) == ["forehead"]
    assert ChartPoint.objects.filter(area__record=record).count() == 3
    assert record.notes == "Edited after a second look: forehead only."
    screenshot(page, "staff-record")

    # when: signing a session that has not started
    page.click("button:has-text('Sign record')")
    page.wait_for_url(live_url(f"/records/{record.pk}/"))
    # then: refused, still a draft
    assert "has not started yet" in page.locator(".messages").inner_text()
    record.refresh_from_db()
    assert record.signed_at is None

    # when: the past session is recorded and signed
    page.goto(live_url(f"/appointments/{yesterday.pk}/record/"))
    _fill_and_chart(page, lot="E2E-DRAFT-1")
    page.click("button[value=sign]")
    page.wait_for_url(live_url("/records/*/"))
    # then: signed
    signed = TreatmentRecord.objects.get(appointment=yesterday)
    assert signed.signed_at is not None
    assert "signed" in page.locator(".messages").inner_text()


def test_client_page_and_screening_panel_screenshots(login, live_url):
    client = Client.objects.get(email="james.whitaker@example.com")
    page = login("dr-patel")
    page.goto(live_url(f"/clients/{client.pk}/"))
    assert page.locator("text=Azzalure (glabella), 50 Speywood units").count() == 1
    page.wait_for_load_state("networkidle")  # the lazily loaded sections
    screenshot(page, "staff-client")
    page.goto(live_url(f"/clients/{client.pk}/screening/"))
    page.select_option("#id_treatment", "mesotox")
    page.click("button:has-text('Screen')")
    page.wait_for_selector(".banner")
    panel = page.locator("#screening-result")
    assert "Too soon after the last toxin" in panel.inner_text()
    assert "dr-patel" not in panel.inner_text()
    screenshot(page, "staff-screening")


def test_the_demo_vital_injector_record_shows_its_device_settings(login, live_url):
    from mesoclinic.demo.records import load_records_demo

    load_records_demo()
    record = TreatmentRecord.objects.get(device__code="vital-injector")
    page = login("dr-patel")
    page.goto(live_url(f"/records/{record.pk}/"))
    facts = page.locator("dl.facts").inner_text()
    assert "Vital Injector" in facts
    assert "Needle depth: 0.6 mm" in facts
    assert "Suction: 30 kPa" in facts
    assert "Under-eye swelling" in facts
    screenshot(page, "staff-record-vital-injector")
