"""The types of the scale registry: scales, their components and bands, scoring results
and ``ScaleError`` with its codes. Plain data, no Django."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


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
