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

Nothing here imports Django: this module is plain data and small pure functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

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


class ScaleErrorCode(StrEnum):
    """Machine codes of :class:`ScaleError`, stable for the API and tests."""

    UNKNOWN_SCALE = "unknown_scale"
    MISSING_COMPONENT = "missing_component"
    UNKNOWN_COMPONENT = "unknown_component"
    COMPONENT_OUT_OF_RANGE = "component_out_of_range"
    COMPONENT_NOT_ALLOWED = "component_not_allowed"
    NOT_ORDINAL = "not_ordinal"


class ScaleError(ValueError):
    """An assessment the scale cannot accept; ``code`` says why, ``message`` says how to fix it."""

    def __init__(
        self,
        code: ScaleErrorCode,
        message: str,
        *,
        scale: str | None = None,
        component: str | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.scale = scale
        self.component = component
        self.details: dict[str, object] = dict(details or {})


class Direction(StrEnum):
    """Which way a scale's score improves."""

    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"
    # A descriptor such as a skin type is neither better nor worse.
    NOT_APPLICABLE = "not_applicable"


class ComponentKind(StrEnum):
    """How a component's value is written and checked."""

    INTEGER = "integer"  # whole number within [minimum, maximum]
    NUMBER = "number"  # any finite number within [minimum, maximum]; maximum may be open
    ORDINAL = "ordinal"  # ordered categories written as strings (roman numerals)
    CHOICE = "choice"  # unordered categories (an area, a timing)
    BOOLEAN = "boolean"


ComponentValue = Decimal | int | str | bool
ScoreValue = Decimal | int | str


@dataclass(frozen=True, slots=True)
class AllowedValue:
    """One category of an ordinal or choice component, with its human label."""

    value: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Band:
    """A named, inclusive range of a scale's score (e.g. Hexsel CSS 6-10 "moderate")."""

    minimum: int
    maximum: int
    label: str


@dataclass(frozen=True, slots=True)
class ComponentDefinition:
    """One sub-score an assessment stores: its key, label and what values it accepts."""

    key: str
    label: str
    kind: ComponentKind
    minimum: int | None = None
    maximum: int | None = None
    allowed_values: tuple[AllowedValue, ...] = ()
    required: bool = True

    @property
    def values(self) -> tuple[str, ...]:
        """The canonical categories of an ordinal or choice component, in order."""
        return tuple(allowed.value for allowed in self.allowed_values)

    def allowed_text(self) -> str:
        """Describe the accepted values in words, for error messages and forms."""
        if self.kind is ComponentKind.BOOLEAN:
            return "true or false"
        if self.kind in (ComponentKind.ORDINAL, ComponentKind.CHOICE):
            return "one of " + ", ".join(self.values)
        noun = "a whole number" if self.kind is ComponentKind.INTEGER else "a number"
        if self.maximum is None:
            return f"{noun} of at least {self.minimum}"
        return f"{noun} from {self.minimum} to {self.maximum}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready description (for ``GET /api/v1/scales``)."""
        described: dict[str, object] = {
            "key": self.key,
            "label": self.label,
            "kind": str(self.kind),
            "required": self.required,
        }
        if self.kind in (ComponentKind.INTEGER, ComponentKind.NUMBER):
            described["minimum"] = self.minimum
            described["maximum"] = self.maximum
        if self.allowed_values:
            described["allowed_values"] = [
                {"value": allowed.value, "label": allowed.label} for allowed in self.allowed_values
            ]
        return described


@dataclass(frozen=True, slots=True)
class ScaleDefinition:
    """A scale as data. ``score_component`` names the component that *is* the score for
    single-valued scales; composite scales (MASI, mMASI, Hexsel CSS) leave it ``None``."""

    code: str
    name: str
    description: str
    source: str
    components: tuple[ComponentDefinition, ...]
    direction: Direction
    is_baseline: bool = False
    is_ordinal: bool = False
    score_component: str | None = None
    score_minimum: int | None = None
    score_maximum: int | None = None
    bands: tuple[Band, ...] = ()

    @property
    def is_outcome(self) -> bool:
        """True for scales that measure response to treatment, False for baseline descriptors."""
        return not self.is_baseline

    def component(self, key: str) -> ComponentDefinition | None:
        """The component with this key, or None."""
        return next((c for c in self.components if c.key == key), None)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready description (for ``GET /api/v1/scales``)."""
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "direction": str(self.direction),
            "is_baseline": self.is_baseline,
            "is_ordinal": self.is_ordinal,
            "score_minimum": self.score_minimum,
            "score_maximum": self.score_maximum,
            "components": [component.as_dict() for component in self.components],
            "bands": [
                {"minimum": b.minimum, "maximum": b.maximum, "label": b.label} for b in self.bands
            ],
        }


@dataclass(frozen=True, slots=True)
class ScaleResult:
    """The outcome of :func:`score`: total, band (or None) and the normalised components."""

    scale: str
    score: ScoreValue
    band: str | None
    components: Mapping[str, ComponentValue]


# --- building blocks for the registry ---------------------------------------------------


def _integer(key: str, label: str, minimum: int, maximum: int) -> ComponentDefinition:
    return ComponentDefinition(key, label, ComponentKind.INTEGER, minimum, maximum)


def _categories(*pairs: tuple[str, str]) -> tuple[AllowedValue, ...]:
    return tuple(AllowedValue(value, label) for value, label in pairs)


def _ordinal(key: str, label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return ComponentDefinition(
        key, label, ComponentKind.ORDINAL, allowed_values=_categories(*pairs)
    )


def _choice(key: str, label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return ComponentDefinition(
        key, label, ComponentKind.CHOICE, allowed_values=_categories(*pairs), required=False
    )


def _bands(*rows: tuple[int, int, str]) -> tuple[Band, ...]:
    return tuple(Band(minimum, maximum, label) for minimum, maximum, label in rows)


MASI_REGIONS: tuple[tuple[str, str, Decimal], ...] = (
    ("forehead", "Forehead", Decimal("0.3")),
    ("left_malar", "Left malar", Decimal("0.3")),
    ("right_malar", "Right malar", Decimal("0.3")),
    ("chin", "Chin", Decimal("0.1")),
)
_AREA_LABEL = "area (0 none, 1 <10%, 2 10-29%, 3 30-49%, 4 50-69%, 5 70-89%, 6 90-100%)"


def _masi_components(*, with_homogeneity: bool) -> tuple[ComponentDefinition, ...]:
    components: list[ComponentDefinition] = []
    for region, region_label, _weight in MASI_REGIONS:
        components.append(_integer(f"{region}_area", f"{region_label} {_AREA_LABEL}", 0, 6))
        components.append(_integer(f"{region}_darkness", f"{region_label} darkness (0-4)", 0, 4))
        if with_homogeneity:
            components.append(
                _integer(f"{region}_homogeneity", f"{region_label} homogeneity (0-4)", 0, 4)
            )
    return tuple(components)


def _roman_ordinal_value(label: str, *pairs: tuple[str, str]) -> ComponentDefinition:
    return _ordinal("value", label, *pairs)


_SCALE_LIST: tuple[ScaleDefinition, ...] = (
    ScaleDefinition(
        code="gais",
        name="Global Aesthetic Improvement Scale",
        description="Improvement compared with before treatment, rated by the practitioner "
        "and by the client: 1 very much improved to 5 worse.",
        source="Narins RS et al., Dermatol Surg 2003;29:588-595",
        components=(_integer("score", "GAIS score (1 very much improved - 5 worse)", 1, 5),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="score",
        score_minimum=1,
        score_maximum=5,
        bands=_bands(
            (1, 1, "very much improved"),
            (2, 2, "much improved"),
            (3, 3, "improved"),
            (4, 4, "no change"),
            (5, 5, "worse"),
        ),
    ),
    ScaleDefinition(
        code="fitzpatrick-phototype",
        name="Fitzpatrick skin phototype",
        description="Sun-reactive skin type I-VI, recorded at baseline.",
        source="Fitzpatrick TB, Arch Dermatol 1988;124:869-871",
        components=(
            _roman_ordinal_value(
                "Skin phototype (I-VI)",
                ("I", "always burns, never tans"),
                ("II", "usually burns, tans minimally"),
                ("III", "sometimes burns, tans gradually"),
                ("IV", "burns minimally, always tans well"),
                ("V", "rarely burns, tans darkly"),
                ("VI", "never burns, deeply pigmented"),
            ),
        ),
        direction=Direction.NOT_APPLICABLE,
        is_baseline=True,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="glogau",
        name="Glogau photoageing classification",
        description="Degree of photoageing I-IV, recorded at baseline.",
        source="Glogau RG, Semin Cutan Med Surg 1996;15:134-138",
        components=(
            _roman_ordinal_value(
                "Photoageing type (I-IV)",
                ("I", "no wrinkles (mild photoageing)"),
                ("II", "wrinkles in motion (moderate photoageing)"),
                ("III", "wrinkles at rest (advanced photoageing)"),
                ("IV", "only wrinkles (severe photoageing)"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_baseline=True,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="masi",
        name="Melasma Area and Severity Index",
        description="0.3·A_f(D_f+H_f) + 0.3·A_lm(D_lm+H_lm) + 0.3·A_rm(D_rm+H_rm) "
        "+ 0.1·A_c(D_c+H_c); 0-48, one decimal place.",
        source="Kimbrough-Green CK et al., Arch Dermatol 1994;130:727-733",
        components=_masi_components(with_homogeneity=True),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=48,
    ),
    ScaleDefinition(
        code="mmasi",
        name="Modified Melasma Area and Severity Index",
        description="MASI without homogeneity: 0.3·A_f·D_f + 0.3·A_lm·D_lm + 0.3·A_rm·D_rm "
        "+ 0.1·A_c·D_c; 0-24, one decimal place.",
        source="Pandya AG et al., J Am Acad Dermatol 2011;64:78-83",
        components=_masi_components(with_homogeneity=False),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=24,
    ),
    ScaleDefinition(
        code="hexsel-css",
        name="Hexsel Cellulite Severity Scale",
        description="Sum of five items each 0-3: number of depressions, depth, raised areas, "
        "laxity/sagging, Nürnberger-Müller grade; 0-15.",
        source="Hexsel DM et al., J Eur Acad Dermatol Venereol 2009;23:523-528",
        components=(
            _integer("depressions", "Number of evident depressions (0-3)", 0, 3),
            _integer("depth", "Depth of depressions (0-3)", 0, 3),
            _integer("raised_areas", "Raised areas / morphological appearance (0-3)", 0, 3),
            _integer("laxity", "Laxity, flaccidity or sagging (0-3)", 0, 3),
            _integer("grade", "Nürnberger-Müller grade (0-3)", 0, 3),
        ),
        direction=Direction.LOWER_IS_BETTER,
        score_minimum=0,
        score_maximum=15,
        bands=_bands((0, 0, "none"), (1, 5, "mild"), (6, 10, "moderate"), (11, 15, "severe")),
    ),
    ScaleDefinition(
        code="nurnberger-muller",
        name="Nürnberger-Müller cellulite grade",
        description="Cellulite grade 0-III by when dimpling shows.",
        source="Nürnberger F, Müller G, J Dermatol Surg Oncol 1978;4:221-229",
        components=(
            _roman_ordinal_value(
                "Cellulite grade (0-III)",
                ("0", "no dimpling"),
                ("I", "dimpling on pinch only"),
                ("II", "dimpling when standing"),
                ("III", "dimpling when standing and lying"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="goodman-baron-qualitative",
        name="Goodman-Baron qualitative acne scar grading",
        description="Acne scarring grade 1 macular, 2 mild, 3 moderate, 4 severe.",
        source="Goodman GJ, Baron JA, Dermatol Surg 2006;32:1458-1466",
        components=(_integer("value", "Scar grade (1 macular - 4 severe)", 1, 4),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=1,
        score_maximum=4,
        bands=_bands((1, 1, "macular"), (2, 2, "mild"), (3, 3, "moderate"), (4, 4, "severe")),
    ),
    ScaleDefinition(
        code="hamilton-norwood",
        name="Hamilton-Norwood male pattern hair loss",
        description="Male pattern hair loss type I to VII with the a and vertex variants, "
        "ordered as listed (variants sit after their base type).",
        source="Norwood OT, South Med J 1975;68:1359-1365; Hamilton JB, Ann N Y Acad Sci "
        "1951;53:708-728",
        components=(
            _roman_ordinal_value(
                "Hamilton-Norwood type",
                *(
                    (value, "")
                    for value in (
                        "I",
                        "II",
                        "IIa",
                        "III",
                        "IIIa",
                        "III-vertex",
                        "IV",
                        "IVa",
                        "V",
                        "Va",
                        "VI",
                        "VII",
                    )
                ),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="ludwig",
        name="Ludwig female pattern hair loss",
        description="Female pattern hair loss grade I-III.",
        source="Ludwig E, Br J Dermatol 1977;97:247-254",
        components=(
            _roman_ordinal_value(
                "Ludwig grade (I-III)",
                ("I", "perceptible thinning of the crown"),
                ("II", "pronounced thinning of the crown"),
                ("III", "full baldness of the crown"),
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
    ),
    ScaleDefinition(
        code="sinclair",
        name="Sinclair female pattern hair loss",
        description="Five-point visual grade of the central parting, 1 normal to 5 advanced.",
        source="Sinclair R et al., J Am Acad Dermatol 2004;51:189-199",
        components=(_integer("value", "Sinclair grade (1-5)", 1, 5),),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=1,
        score_maximum=5,
        bands=_bands(
            (1, 1, "normal"),
            (2, 2, "widened central parting"),
            (3, 3, "widened parting, less hair either side"),
            (4, 4, "diffuse loss over the top of the scalp"),
            (5, 5, "advanced hair loss"),
        ),
    ),
    ScaleDefinition(
        code="hair-density",
        name="Hair density",
        description="Hairs per cm² counted by trichoscopy / phototrichogram; objective.",
        source="Trichoscopic or phototrichogram count (objective measure, no grading source)",
        components=(
            ComponentDefinition(
                "value", "Hairs per cm²", ComponentKind.NUMBER, minimum=0, maximum=None
            ),
        ),
        direction=Direction.HIGHER_IS_BETTER,
        score_component="value",
        score_minimum=0,
    ),
    ScaleDefinition(
        code="wrinkle-0-4",
        name="Five-point photonumeric wrinkle scale",
        description="Wrinkle severity 0 none to 4 very severe, per area (forehead, glabella, "
        "crow's feet), at rest or dynamic.",
        source="Carruthers A et al., Dermatol Surg 2008;34 Suppl 2:S161-S166 and companion "
        "photonumeric scales",
        components=(
            _integer("value", "Wrinkle grade (0 none - 4 very severe)", 0, 4),
            _choice(
                "area",
                "Area rated",
                ("forehead", "forehead lines"),
                ("glabella", "glabellar lines"),
                ("crows_feet", "crow's feet"),
            ),
            _choice(
                "state", "Rated at rest or dynamic", ("rest", "at rest"), ("dynamic", "dynamic")
            ),
        ),
        direction=Direction.LOWER_IS_BETTER,
        is_ordinal=True,
        score_component="value",
        score_minimum=0,
        score_maximum=4,
        bands=_bands(
            (0, 0, "none"),
            (1, 1, "mild"),
            (2, 2, "moderate"),
            (3, 3, "severe"),
            (4, 4, "very severe"),
        ),
    ),
    ScaleDefinition(
        code="vas-pain",
        name="Visual analogue scale for pain",
        description="Pain in whole millimetres on a 100 mm line, during or after the session; "
        "note whether numbing cream was used.",
        source="Hawker GA et al., Arthritis Care Res 2011;63 Suppl 11:S240-S252 (bands)",
        components=(
            _integer("mm", "Pain (0-100 mm)", 0, 100),
            ComponentDefinition(
                "numbing_used", "Numbing cream used", ComponentKind.BOOLEAN, required=False
            ),
            _choice("timing", "When pain was rated", ("during", "during"), ("after", "after")),
        ),
        direction=Direction.LOWER_IS_BETTER,
        score_component="mm",
        score_minimum=0,
        score_maximum=100,
        bands=_bands((0, 4, "no pain"), (5, 44, "mild"), (45, 74, "moderate"), (75, 100, "severe")),
    ),
)

SCALES: Mapping[str, ScaleDefinition] = MappingProxyType({s.code: s for s in _SCALE_LIST})
"""Every scale, keyed by code, in the order of domain.md §6."""

PRIMARY_SCALE_BY_INDICATION: Mapping[str, str] = MappingProxyType(
    {
        # domain.md §1 names these three outright.
        "pigmentation": "mmasi",
        "acne-scars": "goodman-baron-qualitative",
        "body-cellulite": "hexsel-css",
        # Objective and sex-neutral (Hamilton-Norwood / Ludwig / Sinclair depend on sex);
        # higher is better, which maintenance honours through Direction.
        "scalp-hair": "hair-density",
        # Toxin micro-doses act on forehead, glabellar and crow's-feet lines: the wrinkle scale.
        "mesotox": "wrinkle-0-4",
        # Hydration, glow, under-eye hollows and submental fat have no scale in §6: GAIS.
        "face-revitalise": "gais",
        "under-eye": "gais",
        "chin-jowl-fat": "gais",
        "no-needle-infusion": "gais",
    }
)
"""Primary outcome scale per treatment code (the indication), used for adaptive maintenance."""


# --- scoring ------------------------------------------------------------------------------

_ONE_DECIMAL = Decimal("0.1")


def _int(components: Mapping[str, ComponentValue], key: str) -> int:
    value = components[key]
    assert isinstance(value, int)
    assert not isinstance(value, bool)
    return value


def _masi(components: Mapping[str, ComponentValue]) -> Decimal:
    total = Decimal(0)
    for region, _label, weight in MASI_REGIONS:
        severity = _int(components, f"{region}_darkness") + _int(
            components, f"{region}_homogeneity"
        )
        total += weight * _int(components, f"{region}_area") * severity
    return total.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _mmasi(components: Mapping[str, ComponentValue]) -> Decimal:
    total = Decimal(0)
    for region, _label, weight in MASI_REGIONS:
        total += (
            weight * _int(components, f"{region}_area") * _int(components, f"{region}_darkness")
        )
    return total.quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _item_sum(components: Mapping[str, ComponentValue]) -> int:
    return sum(_int(components, key) for key in components)


_FORMULAS: Mapping[str, Callable[[Mapping[str, ComponentValue]], ScoreValue]] = MappingProxyType(
    {"masi": _masi, "mmasi": _mmasi, "hexsel-css": _item_sum}
)


def get_scale(code: str) -> ScaleDefinition:
    """Return the scale with this code; raise ``ScaleError(unknown_scale)`` otherwise."""
    scale = SCALES.get(code) if isinstance(code, str) else None
    if scale is None:
        raise ScaleError(
            ScaleErrorCode.UNKNOWN_SCALE,
            f"Unknown scale {code!r}; known scales: {', '.join(SCALES)}.",
            details={"scale": code if isinstance(code, str) else repr(code)},
        )
    return scale


def primary_scale_for(treatment_code: str) -> ScaleDefinition | None:
    """The primary outcome scale of a treatment, or None when the treatment has none."""
    code = PRIMARY_SCALE_BY_INDICATION.get(treatment_code)
    return None if code is None else SCALES[code]


def score(code: str, components: Mapping[str, object]) -> ScaleResult:
    """Validate an assessment's components and compute its score and band.

    Raises :class:`ScaleError` with ``unknown_scale``, ``unknown_component``,
    ``missing_component``, ``component_not_allowed`` (wrong type, a boolean for a number, a
    category not in the list) or ``component_out_of_range`` (a number outside its range).
    """
    scale = get_scale(code)
    normalised = normalise_components(scale, components)
    total = _total(scale, normalised)
    return ScaleResult(
        scale=scale.code, score=total, band=_band(scale, total), components=normalised
    )


def normalise_components(
    scale: ScaleDefinition, components: Mapping[str, object]
) -> dict[str, ComponentValue]:
    """Check keys and values against the scale and return them in canonical form and order.

    Optional components that were not given are left out.
    """
    _reject_unknown_keys(scale, components)
    normalised: dict[str, ComponentValue] = {}
    for component in scale.components:
        if component.key in components:
            raw = components[component.key]
            normalised[component.key] = _normalise_value(scale.code, component, raw)
        elif component.required:
            raise ScaleError(
                ScaleErrorCode.MISSING_COMPONENT,
                f"{scale.code}: component {component.key!r} is missing; "
                f"it must be {component.allowed_text()}.",
                scale=scale.code,
                component=component.key,
                details=_error_details(component),
            )
    return normalised


def ordinal_rank(code: str, value: object) -> int:
    """Position of ``value`` among an ordinal scale's ordered values, counting from 0.

    The order is the scale's own (domain.md §6), so two ranks of one scale compare the way
    the scale's :class:`Direction` says (e.g. Hamilton-Norwood ``"III"`` < ``"IIIa"``; GAIS
    ``1`` → 0 ... ``5`` → 4). Ranks of different scales are not comparable. Raises
    ``ScaleError(not_ordinal)`` for continuous or composite scales.
    """
    scale = get_scale(code)
    component = scale.component(scale.score_component or "")
    if not scale.is_ordinal or component is None:
        raise ScaleError(
            ScaleErrorCode.NOT_ORDINAL,
            f"{scale.code} is not an ordinal scale; compare its scores directly.",
            scale=scale.code,
        )
    normalised = _normalise_value(scale.code, component, value)
    if isinstance(normalised, str):
        return component.values.index(normalised)
    assert isinstance(normalised, int)
    assert component.minimum is not None
    return normalised - component.minimum


def _total(scale: ScaleDefinition, normalised: Mapping[str, ComponentValue]) -> ScoreValue:
    formula = _FORMULAS.get(scale.code)
    if formula is not None:
        return formula(normalised)
    assert scale.score_component is not None
    value = normalised[scale.score_component]
    assert not isinstance(value, bool)
    return value


def _band(scale: ScaleDefinition, total: ScoreValue) -> str | None:
    if isinstance(total, str):
        component = scale.component(scale.score_component or "")
        assert component is not None
        label = next(a.label for a in component.allowed_values if a.value == total)
        return label or None
    return next((b.label for b in scale.bands if b.minimum <= total <= b.maximum), None)


# --- validating one component ---------------------------------------------------------------


def _reject_unknown_keys(scale: ScaleDefinition, components: Mapping[str, object]) -> None:
    known = {component.key for component in scale.components}
    unknown = [key for key in components if key not in known]
    if unknown:
        key = unknown[0]
        raise ScaleError(
            ScaleErrorCode.UNKNOWN_COMPONENT,
            f"{scale.code}: unknown component {key!r}; expected {', '.join(sorted(known))}.",
            scale=scale.code,
            component=str(key),
            details={"component": str(key), "allowed_components": sorted(known)},
        )


def _normalise_value(scale: str, component: ComponentDefinition, raw: object) -> ComponentValue:
    if component.kind is ComponentKind.BOOLEAN:
        if not isinstance(raw, bool):
            raise _not_allowed(scale, component, raw)
        return raw
    if isinstance(raw, bool):
        raise _not_allowed(scale, component, raw, why="a boolean is not accepted")
    if component.kind in (ComponentKind.ORDINAL, ComponentKind.CHOICE):
        return _as_category(scale, component, raw)
    number = _as_decimal(raw)
    if number is None:
        raise _not_allowed(scale, component, raw)
    if component.kind is ComponentKind.INTEGER:
        if number != number.to_integral_value():
            raise _not_allowed(scale, component, raw, why="not a whole number")
        _check_range(scale, component, number, raw)
        return int(number)
    _check_range(scale, component, number, raw)
    return number


def _as_decimal(raw: object) -> Decimal | None:
    """A finite int, float or Decimal as a Decimal (floats via their shortest repr)."""
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw)) if math.isfinite(raw) else None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    return None


def _check_range(scale: str, component: ComponentDefinition, number: Decimal, raw: object) -> None:
    too_low = component.minimum is not None and number < component.minimum
    too_high = component.maximum is not None and number > component.maximum
    if too_low or too_high:
        raise ScaleError(
            ScaleErrorCode.COMPONENT_OUT_OF_RANGE,
            f"{scale}: component {component.key!r} must be {component.allowed_text()}; "
            f"got {raw!r}.",
            scale=scale,
            component=component.key,
            details=_error_details(component),
        )


_SEPARATORS = re.compile(r"[\s_\-]+")
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10}
_ROMAN_PREFIX = re.compile(r"^([IVX]+)(.*)$")


def _lookup_key(text: str) -> str:
    """Casefold and drop spaces, hyphens and underscores: ``"III-vertex"`` → ``"iiivertex"``."""
    return _SEPARATORS.sub("", text).casefold()


def _roman_to_int(numeral: str) -> int:
    values = [_ROMAN_DIGITS[digit] for digit in numeral]
    return sum(
        -v if v < following else v for v, following in zip(values, [*values[1:], 0], strict=True)
    )


def _arabic_key(canonical: str) -> str | None:
    """``"IIIa"`` → ``"3a"``, ``"III-vertex"`` → ``"3vertex"``; None without a roman numeral.

    Canonical values write the numeral in capitals and any suffix in lower case, which is
    what keeps ``"III-vertex"`` from reading as ``"IIIV"``.
    """
    match = _ROMAN_PREFIX.match(canonical)
    return None if match is None else f"{_roman_to_int(match[1])}{_lookup_key(match[2])}"


def _category_lookup(component: ComponentDefinition) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical in component.values:
        lookup[_lookup_key(canonical)] = canonical
        arabic = _arabic_key(canonical) if component.kind is ComponentKind.ORDINAL else None
        if arabic is not None:
            lookup.setdefault(arabic, canonical)
    return lookup


def _as_category(scale: str, component: ComponentDefinition, raw: object) -> str:
    if isinstance(raw, int) and component.kind is ComponentKind.ORDINAL:
        text = str(raw)
    elif isinstance(raw, str):
        text = raw
    else:
        raise _not_allowed(scale, component, raw)
    canonical = _category_lookup(component).get(_lookup_key(text))
    if canonical is None:
        raise _not_allowed(scale, component, raw)
    return canonical


def _not_allowed(
    scale: str, component: ComponentDefinition, raw: object, *, why: str | None = None
) -> ScaleError:
    because = f" ({why})" if why else ""
    return ScaleError(
        ScaleErrorCode.COMPONENT_NOT_ALLOWED,
        f"{scale}: component {component.key!r} must be {component.allowed_text()}; "
        f"got {raw!r}{because}.",
        scale=scale,
        component=component.key,
        details=_error_details(component),
    )


def _error_details(component: ComponentDefinition) -> dict[str, object]:
    details: dict[str, object] = {"component": component.key, "allowed": component.allowed_text()}
    if component.kind in (ComponentKind.INTEGER, ComponentKind.NUMBER):
        details["minimum"] = component.minimum
        details["maximum"] = component.maximum
    if component.allowed_values:
        details["allowed_values"] = list(component.values)
    return details
