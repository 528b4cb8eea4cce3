"""Scoring an assessment: look a scale up, validate and normalise its components, compute
the total (MASI and mMASI by formula) and its band, and rank an ordinal value."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from mesoclinic.records.scales.definitions import (
    ComponentValue,
    ScaleDefinition,
    ScaleError,
    ScaleErrorCode,
    ScaleResult,
    ScoreValue,
)
from mesoclinic.records.scales.registry import MASI_REGIONS, PRIMARY_SCALE_BY_INDICATION, SCALES
from mesoclinic.records.scales.validation import (
    _error_details,
    _normalise_value,
    _reject_unknown_keys,
)

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
