"""Turning the staff web forms' POST data into service inputs.

The web record form posts numbered rows (``product-0-lot``, ``area-1-technique``…) and each
area's chart points as JSON in ``area-N-chart``. Blank rows are skipped. Malformed numbers
become 400 ``invalid_input`` errors naming the field, shown next to the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict

from mesoclinic.core.errors import InvalidInput
from mesoclinic.records.services.inputs import AreaInput, ChartPointInput, ProductInput

PRODUCT_ROWS = 2
AREA_ROWS = 3


def decimal_field(data: Mapping[str, Any], key: str, *, required: bool = False) -> Decimal | None:
    """A non-negative decimal from form data, None when blank (400 when required or bad)."""
    raw = str(data.get(key, "") or "").strip()
    if not raw:
        if required:
            raise InvalidInput(
                "invalid_input", f"{_label(key)} is required.", details={"field": key}
            )
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(
            "invalid_input", f"{_label(key)} must be a number.", details={"field": key}
        ) from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(
            "invalid_input", f"{_label(key)} must be zero or more.", details={"field": key}
        )
    return value


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = decimal_field(data, key)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise InvalidInput(
            "invalid_input", f"{_label(key)} must be a whole number.", details={"field": key}
        )
    return int(value)


def _label(key: str) -> str:
    return key.split("-")[-1].replace("_", " ").capitalize()


def _chart_points(data: Mapping[str, Any], key: str) -> list[ChartPointInput]:
    raw = str(data.get(key, "") or "").strip()
    if not raw:
        return []
    try:
        rows = json.loads(raw)
        return [
            ChartPointInput(
                x=float(row["x"]),
                y=float(row["y"]),
                volume_ml=Decimal(str(row["volume_ml"])) if row.get("volume_ml") else None,
            )
            for row in rows
        ]
    except (ValueError, KeyError, TypeError, InvalidOperation):
        raise InvalidInput(
            "invalid_chart_point", "The chart points could not be read.", details={"field": key}
        ) from None


def products_from_post(data: Mapping[str, Any]) -> list[ProductInput]:
    """The product rows with a lot filled in."""
    products = []
    for row in range(PRODUCT_ROWS):
        prefix = f"product-{row}-"
        lot = str(data.get(prefix + "lot", "") or "").strip()
        if not lot:
            continue
        products.append(
            ProductInput(
                formulation=str(data.get(prefix + "formulation", "")).strip(),
                lot=lot,
                volume_ml=decimal_field(data, prefix + "volume_ml", required=True) or Decimal(0),
                units=decimal_field(data, prefix + "units") or None,
                dilution_u_per_ml=decimal_field(data, prefix + "dilution_u_per_ml") or None,
            )
        )
    return products


def areas_from_post(data: Mapping[str, Any], *, chart_map: str) -> list[AreaInput]:
    """The area rows with an area name filled in, with their chart points."""
    areas = []
    for row in range(AREA_ROWS):
        prefix = f"area-{row}-"
        name = str(data.get(prefix + "area", "") or "").strip()
        charted = _chart_points(data, prefix + "chart")
        if not name and charted:
            raise InvalidInput(
                "area_name_required",
                f"Name area {row + 1}: its {len(charted)} chart point(s) need an area, so "
                "nothing was saved.",
                details={"field": prefix + "area"},
            )
        if not name:
            continue
        points = _int(data, prefix + "points") or 0
        areas.append(
            AreaInput(
                area=name,
                technique=str(data.get(prefix + "technique", "")).strip(),
                points=max(points, len(charted)),
                volume_ml=decimal_field(data, prefix + "volume_ml") or Decimal(0),
                needle_gauge=_int(data, prefix + "needle_gauge"),
                needle_length_mm=decimal_field(data, prefix + "needle_length_mm"),
                angle_deg=_int(data, prefix + "angle_deg"),
                depth_mm=decimal_field(data, prefix + "depth_mm"),
                chart_map=chart_map if charted else "",
                chart_points=charted,
            )
        )
    return areas


def record_kwargs_from_post(data: Any, *, chart_map: str) -> dict[str, Any]:
    """Keyword arguments for ``records.services.treatment_records.record_save`` from the web form."""
    pain = _int(data, "pain_vas")
    return {
        "products": products_from_post(data),
        "areas": areas_from_post(data, chart_map=chart_map),
        "numbing_used": data.get("numbing_used") == "on",
        "reactions": data.getlist("reactions"),
        "pain_vas": pain,
        "bruise_cm": decimal_field(data, "bruise_cm"),
        "device": str(data.get("device", "") or "").strip() or None,
        "device_settings": device_settings_from_post(data),
        "device_reason": str(data.get("device_reason", "") or "").strip(),
        "delivery": str(data.get("delivery", "") or "").strip() or None,
        "notes": str(data.get("notes", "") or "").strip(),
    }


SETTING_PREFIX = "setting-"


def device_settings_from_post(data: Mapping[str, Any]) -> dict[str, str]:
    """The device's settings fields (``setting-needle_depth_mm`` …) that were filled in, as
    typed: the service checks them against the device type's schema."""
    return {
        key.removeprefix(SETTING_PREFIX): str(data.get(key, "") or "").strip()
        for key in data
        if key.startswith(SETTING_PREFIX) and str(data.get(key, "") or "").strip()
    }


def post_data_of(record: Any) -> QueryDict:
    """A saved draft as the form's POST data, so editing it starts from everything it
    holds (products, areas with their chart points, reactions, notes)."""
    data = QueryDict(mutable=True)
    for row, use in enumerate(record.products.select_related("formulation", "batch")):
        prefix = f"product-{row}-"
        data[prefix + "formulation"] = use.formulation.code
        data[prefix + "lot"] = use.batch.lot
        data[prefix + "volume_ml"] = _text(use.volume_ml)
        data[prefix + "units"] = _text(use.units)
        data[prefix + "dilution_u_per_ml"] = _text(use.dilution_u_per_ml)
    for row, area in enumerate(record.areas.prefetch_related("chart_points")):
        prefix = f"area-{row}-"
        for name in ("area", "technique", "needle_gauge", "needle_length_mm", "angle_deg"):
            data[prefix + name] = _text(getattr(area, name))
        data[prefix + "depth_mm"] = _text(area.depth_mm)
        data[prefix + "points"] = _text(area.points)
        data[prefix + "volume_ml"] = _text(area.volume_ml)
        points = [
            {"x": point.x, "y": point.y, "volume_ml": _text(point.volume_ml)}
            for point in area.chart_points.all()
        ]
        data[prefix + "chart"] = json.dumps(points) if points else ""
    if record.numbing_used:
        data["numbing_used"] = "on"
    data.setlist("reactions", list(record.reactions or ()))
    data["pain_vas"] = _text(record.pain_vas)
    data["bruise_cm"] = _text(record.bruise_cm)
    data["device"] = record.device.code if record.device else ""
    data["delivery"] = record.delivery
    for key, value in (record.device_settings or {}).items():
        if key != "not_reserved_because":
            data[SETTING_PREFIX + key] = _text(value)
    data["notes"] = record.notes
    return data


def _text(value: object) -> str:
    return "" if value is None else str(value)
