"""What each device type's settings are, with units and ranges: pure, no Django.

domain.md §1 names the devices a clinic may own; §5 says the record keeps the device and its
settings. Each device type has a schema here: the settings a practitioner records for it,
each with its unit (shown on the page, and the UCUM code the FHIR export sends) and the range
it must fall in. The ranges are a plausible envelope for each kind of device, illustrative
rather than any one maker's figures: a value outside it is refused as a likely typing slip
(0.5 mm typed as 5), not as clinical advice.

:func:`validate_device_settings` checks what the record was given against the schema of the
recorded device's type and returns the settings normalised (numbers as numbers). Besides a
type's own settings every device takes a free-text ``note``; the record keeps
``not_reserved_because`` itself (see ``records.services.validation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

NOTE = "note"
NOTE_MAX = 300


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting of a device type: a number in ``unit`` between ``minimum`` and ``maximum``."""

    key: str
    label: str
    unit: str
    ucum: str
    minimum: Decimal
    maximum: Decimal
    whole: bool = False

    @property
    def range_text(self) -> str:
        return f"{self.minimum}–{self.maximum} {self.unit}"


def _setting(
    key: str, label: str, unit: str, ucum: str, low: str, high: str, *, whole: bool = False
) -> Setting:
    return Setting(key, label, unit, ucum, Decimal(low), Decimal(high), whole)


def _depth(low: str, high: str) -> Setting:
    return _setting("needle_depth_mm", "Needle depth", "mm", "mm", low, high)


def _passes(high: str) -> Setting:
    return _setting("passes", "Passes", "passes", "{passes}", "1", high, whole=True)


SCHEMAS: Mapping[str, tuple[Setting, ...]] = {
    # Suction holds the skin to the multi-needle head; depth and dose per shot are set on it.
    "vital-injector": (
        _depth("0.1", "4.0"),
        _setting("volume_per_shot_ml", "Volume per shot", "mL", "mL", "0.001", "0.1"),
        _setting("suction_kpa", "Suction", "kPa", "kPa", "5", "80"),
        _setting("shots", "Shots", "shots", "{shots}", "1", "2000", whole=True),
    ),
    "collagen-pin": (
        _depth("0.25", "2.5"),
        _setting("speed_hz", "Needle speed", "Hz", "Hz", "25", "150"),
        _passes("6"),
    ),
    "microneedling-roller": (
        _depth("0.2", "1.5"),
        _passes("8"),
    ),
    # Microneedling under vacuum with the serum infused at the same time.
    "dermafrac": (
        _depth("0.25", "1.0"),
        _setting("vacuum_kpa", "Vacuum", "kPa", "kPa", "5", "60"),
        _setting("infusion_ml_per_min", "Infusion rate", "mL/min", "mL/min", "0.1", "5"),
        _passes("6"),
    ),
    "mesotherapy-gun": (
        _depth("0.5", "4.0"),
        _setting("volume_per_shot_ml", "Volume per shot", "mL", "mL", "0.005", "0.2"),
        _setting("rate_hz", "Firing rate", "shots/s", "Hz", "1", "10"),
    ),
    "electroporation-wand": (
        _setting("voltage_v", "Voltage", "V", "V", "1", "30"),
        _setting("pulse_ms", "Pulse width", "ms", "ms", "0.1", "20"),
        _setting("duration_min", "Time", "min", "min", "1", "60"),
    ),
}
"""The settings of each device type (keys are ``people.models.DeviceType`` values)."""


def all_settings() -> dict[str, Setting]:
    """Every setting key in use, once (a key means the same thing for every type)."""
    return {s.key: s for settings in SCHEMAS.values() for s in settings}


def schema_for(device_type: str) -> tuple[Setting, ...]:
    return SCHEMAS.get(device_type, ())


class DeviceSettingError(ValueError):
    """A setting the schema refuses: ``code`` is the API error code, ``invalid`` says whether
    the input was unreadable (400) rather than readable but not allowed (422)."""

    def __init__(self, code: str, message: str, *, invalid: bool, details: dict[str, Any]):
        super().__init__(message)
        self.code = code
        self.message = message
        self.invalid = invalid
        self.details = details


def _number(setting: Setting, device_type: str, raw: object) -> Decimal:
    field = f"device_settings.{setting.key}"
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise DeviceSettingError(
            "invalid_device_setting",
            f"{setting.label} must be a number in {setting.unit}.",
            invalid=True,
            details={"field": field, "device_type": device_type},
        ) from None
    if not value.is_finite() or (setting.whole and value != value.to_integral_value()):
        raise DeviceSettingError(
            "invalid_device_setting",
            f"{setting.label} must be a {'whole ' if setting.whole else ''}number.",
            invalid=True,
            details={"field": field, "device_type": device_type},
        )
    if not setting.minimum <= value <= setting.maximum:
        raise DeviceSettingError(
            "device_setting_out_of_range",
            f"{setting.label} {value} {setting.unit} is outside {setting.range_text}.",
            invalid=False,
            details={
                "field": field,
                "device_type": device_type,
                "minimum": str(setting.minimum),
                "maximum": str(setting.maximum),
                "unit": setting.unit,
            },
        )
    return value


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def validate_device_settings(
    device_type: str | None, settings: Mapping[str, Any]
) -> dict[str, int | float | str]:
    """The settings checked against ``device_type``'s schema, normalised; blank ones dropped.

    Raises :class:`DeviceSettingError`: ``device_required`` (settings with no device),
    ``unknown_device_setting`` (a key the type does not have), ``invalid_device_setting``
    (not a number, or not whole) and ``device_setting_out_of_range``.
    """
    given = {key: value for key, value in settings.items() if str(value).strip() != ""}
    if not given:
        return {}
    if device_type is None:
        raise DeviceSettingError(
            "device_required",
            "Device settings were given but no device is recorded: record the device used.",
            invalid=False,
            details={"field": "device"},
        )
    schema = {setting.key: setting for setting in schema_for(device_type)}
    clean: dict[str, int | float | str] = {}
    for key, raw in given.items():
        if key == NOTE:
            clean[NOTE] = " ".join(str(raw).split())[:NOTE_MAX]
            continue
        setting = schema.get(key)
        if setting is None:
            raise DeviceSettingError(
                "unknown_device_setting",
                f"A {device_type} has no setting {key!r}; its settings are "
                f"{', '.join([*schema, NOTE])}.",
                invalid=True,
                details={
                    "field": f"device_settings.{key}",
                    "device_type": device_type,
                    "allowed": [*schema, NOTE],
                },
            )
        clean[key] = _json_number(_number(setting, device_type, raw))
    return clean


@dataclass(frozen=True, slots=True)
class ShownSetting:
    """A recorded setting as a page shows it."""

    key: str
    label: str
    value: str
    unit: str


def shown_settings(device_type: str | None, settings: Mapping[str, Any]) -> list[ShownSetting]:
    """The recorded settings in schema order with labels and units (unknown keys last, as
    they were kept; ``not_reserved_because`` is left to the page)."""
    known = all_settings()
    order = [s.key for s in schema_for(device_type or "")]
    keys = [k for k in order if k in settings] + [
        k for k in settings if k not in order and k != "not_reserved_because"
    ]
    shown = []
    for key in keys:
        setting = known.get(key)
        if key == NOTE or setting is None:
            shown.append(
                ShownSetting(key, key.replace("_", " ").capitalize(), str(settings[key]), "")
            )
        else:
            shown.append(ShownSetting(key, setting.label, str(settings[key]), setting.unit))
    return shown
