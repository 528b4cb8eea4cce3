"""Charting in the browser: a practitioner places three points on the face chart."""

from __future__ import annotations

import pytest
from tests.records.factories import book, clear_screening, receive

from mesoclinic.records.models import ChartPoint, TreatmentRecord

pytestmark = pytest.mark.e2e

CLICKS = [(0.35, 0.25), (0.5, 0.3), (0.65, 0.25)]


def test_three_points_placed_on_the_face_chart_are_saved(login, live_url):
    # given: Amelia's face session tomorrow and a batch in stock
    clear_screening(treatment="face-revitalise")
    appointment = book()
    receive("revitalise-cocktail", "E2E-REV-1")
    page = login("dr-patel")
    page.goto(live_url(f"/appointments/{appointment.pk}/record/"))
    page.fill("#product-0-lot", "E2E-REV-1")
    page.fill("#product-0-volume_ml", "1.5")
    page.fill("#area-0-area", "forehead")
    page.fill("#area-0-volume_ml", "1.5")

    # when: three clicks on the face chart, then save
    chart = page.locator("#chart-map")
    box = chart.bounding_box()
    assert box is not None
    for x, y in CLICKS:
        chart.click(position={"x": box["width"] * x, "y": box["height"] * y})
    placed = page.locator("#chart-map .placed")
    assert placed.count() == 3
    assert page.locator("#chart-status").inner_text() == "3 points placed."
    assert page.input_value("#area-0-points") == "3"
    page.click("button[value=draft]")
    page.wait_for_url(live_url("/records/*/"))

    # then: saved, and shown again read-only
    record = TreatmentRecord.objects.get(appointment=appointment)
    points = list(ChartPoint.objects.filter(area__record=record).order_by("id"))
    assert len(points) == 3
    for point, (x, y) in zip(points, CLICKS, strict=True):
        assert point.x == pytest.approx(x, abs=0.02)
        assert point.y == pytest.approx(y, abs=0.02)
    assert page.locator(".chart-point circle").count() == 3
    assert page.locator("#areas-table .charted-count").inner_text() == "3"
