"""Chart maps (face, scalp, body) and placing a record's points on them for display.

Coordinates are stored normalised to 0-1 on each map; a map's drawing uses a fixed
viewBox, so display multiplies by its width and height. The drawings themselves are
templates (``web/records/maps/<map>.svg.html``) drawn for this project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAP_SIZES: dict[str, tuple[int, int]] = {
    "face": (200, 260),
    "scalp": (200, 220),
    "body": (200, 300),
}
"""viewBox width and height of each map drawing."""

AREA_SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "face": (
        "forehead",
        "glabella",
        "temple-left",
        "temple-right",
        "under-eye",
        "cheek-left",
        "cheek-right",
        "nasolabial",
        "perioral",
        "chin",
        "jowl-left",
        "jowl-right",
        "jawline",
        "neck",
    ),
    "scalp": ("frontal", "mid-scalp", "vertex", "temporal-left", "temporal-right", "occipital"),
    "body": ("abdomen", "flanks", "thigh-left", "thigh-right", "buttock-left", "buttock-right"),
}
BODY_AREAS = frozenset({"thighs", "buttocks", "abdomen", "flanks", "arms"})


def map_for_treatment(areas: Iterable[str]) -> str:
    """The chart a treatment is charted on, from its areas: scalp, body or face."""
    area_set = set(areas)
    if "scalp" in area_set:
        return "scalp"
    if area_set & BODY_AREAS:
        return "body"
    return "face"


@dataclass
class PlacedPoint:
    cx: float
    cy: float
    number: int
    area: str
    volume_ml: Any


@dataclass
class Chart:
    map: str
    width: int
    height: int
    points: list[PlacedPoint] = field(default_factory=list)

    @property
    def template(self) -> str:
        return f"web/records/maps/{self.map}.svg.html"


def charts_for_record(record: Any) -> list[Chart]:
    """One chart per map used in a record, with its points in drawing coordinates."""
    charts: dict[str, Chart] = {}
    number = 0
    for area in record.areas.all():
        points = list(area.chart_points.all())
        if not points:
            continue
        name = area.chart_map or "face"
        width, height = MAP_SIZES.get(name, MAP_SIZES["face"])
        chart = charts.setdefault(name, Chart(map=name, width=width, height=height))
        for point in points:
            number += 1
            chart.points.append(
                PlacedPoint(
                    cx=round(point.x * width, 2),
                    cy=round(point.y * height, 2),
                    number=number,
                    area=area.area,
                    volume_ml=point.volume_ml,
                )
            )
    return list(charts.values())
