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

from mesoclinic.core.errors import InvalidInput
from mesoclinic.records.services import AreaInput, ChartPointInput, ProductInput

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
        if not name:
            continue
        charted = _chart_points(data, prefix + "chart")
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
    """Keyword arguments for ``records.services.record_save`` from the web form."""
    pain = _int(data, "pain_vas")
    return {
        "products": products_from_post(data),
        "areas": areas_from_post(data, chart_map=chart_map),
        "numbing_used": data.get("numbing_used") == "on",
        "reactions": data.getlist("reactions"),
        "pain_vas": pain,
        "device": str(data.get("device", "") or "").strip() or None,
        "device_settings": _device_settings(str(data.get("device_settings", "") or "")),
        "notes": str(data.get("notes", "") or "").strip(),
    }


def _device_settings(text: str) -> dict[str, str]:
    """``depth=0.5 mm; passes=3`` → ``{"depth": "0.5 mm", "passes": "3"}``; free text kept."""
    settings: dict[str, str] = {}
    for part in text.replace("\n", ";").split(";"):
        key, sep, value = part.partition("=")
        if part.strip():
            settings[key.strip() if sep else "note"] = value.strip() if sep else part.strip()
    return settings
