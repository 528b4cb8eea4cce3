"""Validating one component of an assessment: known keys, the value's type and range, and
categories read leniently (case, separators, arabic for roman numerals) and written
canonically. Raises ``ScaleError``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal

from mesoclinic.records.scales.definitions import (
    ComponentDefinition,
    ComponentKind,
    ComponentValue,
    ScaleDefinition,
    ScaleError,
    ScaleErrorCode,
)

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
