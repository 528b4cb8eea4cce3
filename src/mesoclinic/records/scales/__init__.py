"""Outcome and baseline scales (domain.md §6) as data, with pure scoring.

Every scale the product knows is a :class:`ScaleDefinition`: its code, name, description,
source, the components an assessment stores (keys exactly as in api-contract.md), the
direction of improvement and whether it is a baseline descriptor rather than an outcome.
:func:`score` validates an assessment's components and computes the total and its band;
:func:`ordinal_rank` turns a value of an ordinal scale into a comparable position.

Decisions worth knowing:

- Sub-scores are validated strictly. A boolean is never a number (``True`` is not ``1``);
  numeric components take ints, floats or Decimals (a whole number where the scale is
  whole-numbered, so ``2.0`` is ``2`` but ``2.5`` is refused); numeric strings are refused,
  converting form or CSV input is the caller's job.
- Ordinal scales written in roman numerals (Fitzpatrick, Glogau, Ludwig, Nürnberger-Müller,
  Hamilton-Norwood) take the numeral as a string, case-insensitively and ignoring spaces,
  hyphens and underscores (``"iii vertex"`` is ``"III-vertex"``), or its arabic form
  (``3`` or ``"3a"`` for ``"IIIa"``). Results always carry the canonical spelling.
- MASI and mMASI are computed with :class:`~decimal.Decimal` and quantised to one decimal
  place (half-up). With whole-number sub-scores and weights 0.3 / 0.1 the exact total already
  has one decimal, so the rounding never changes a value; it fixes the representation
  (``Decimal("48.0")``, never ``Decimal("48.00")``).
- Published bands exist for GAIS, Hexsel CSS, Goodman-Baron, the wrinkle scale and VAS pain;
  MASI, mMASI and hair density have no agreed bands and report ``band=None``.

The package's modules, each importing only those above it:

- ``definitions``: the types (scales, components, bands, results) and ``ScaleError``;
- ``registry``: every scale as data (``SCALES``) and the primary scale per indication;
- ``validation``: checking one component's value and writing it canonically;
- ``scoring``: looking a scale up, scoring an assessment, ranking an ordinal value.

Import from ``mesoclinic.records.scales``, which re-exports the public names.
Nothing here imports Django: this package is plain data and small pure functions.
"""

from __future__ import annotations

from mesoclinic.records.scales.definitions import (
    AllowedValue,
    Band,
    ComponentDefinition,
    ComponentKind,
    ComponentValue,
    Direction,
    ScaleDefinition,
    ScaleError,
    ScaleErrorCode,
    ScaleResult,
    ScoreValue,
)
from mesoclinic.records.scales.registry import (
    MASI_REGIONS,
    PRIMARY_SCALE_BY_INDICATION,
    SCALES,
)
from mesoclinic.records.scales.scoring import (
    get_scale,
    normalise_components,
    ordinal_rank,
    primary_scale_for,
    score,
)

__all__ = [
    "MASI_REGIONS",
    "PRIMARY_SCALE_BY_INDICATION",
    "SCALES",
    "AllowedValue",
    "Band",
    "ComponentDefinition",
    "ComponentKind",
    "ComponentValue",
    "Direction",
    "ScaleDefinition",
    "ScaleError",
    "ScaleErrorCode",
    "ScaleResult",
    "ScoreValue",
    "get_scale",
    "normalise_components",
    "ordinal_rank",
    "primary_scale_for",
    "score",
]
