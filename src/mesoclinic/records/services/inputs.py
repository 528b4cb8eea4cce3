"""What a record is written from: products, treated areas and their chart points, as
the practitioner entered them (the web form, the API and the demo build these)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class ProductInput:
    """A product as the practitioner entered it: formulation code, lot and amounts."""

    formulation: str
    lot: str
    volume_ml: Decimal
    units: Decimal | None = None
    dilution_u_per_ml: Decimal | None = None


@dataclass(frozen=True)
class ChartPointInput:
    """A point placed on a chart map, normalised 0-1, with its volume if known."""

    x: float
    y: float
    volume_ml: Decimal | None = None


@dataclass(frozen=True)
class AreaInput:
    """An area treated with the injection geometry and optional chart points."""

    area: str
    technique: str
    points: int
    volume_ml: Decimal
    needle_gauge: int | None = None
    needle_length_mm: Decimal | None = None
    angle_deg: int | None = None
    depth_mm: Decimal | None = None
    chart_map: str = ""
    chart_points: Sequence[ChartPointInput] = field(default_factory=tuple)
