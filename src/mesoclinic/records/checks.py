"""Checks of a treatment record's session facts before it is written: reactions (with the
bruise size), the device's settings and the technique (freehand / device).

Each returns the value to store or raises the API error (400 ``InvalidInput`` for input
that cannot be read, 422 ``RuleRefused`` for readable input a rule refuses); the pure rules
live in ``records.reactions`` and ``records.device_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.people.models import Device
from mesoclinic.records import reactions as reaction_rules
from mesoclinic.records.device_settings import DeviceSettingError, validate_device_settings
from mesoclinic.records.errors import RecordError
from mesoclinic.records.models import Delivery, Reaction, Technique

NOT_RESERVED_BECAUSE = "not_reserved_because"
"""The key of ``device_settings`` keeping why another device than the reserved one was used."""


class _HasTechnique(Protocol):
    @property
    def technique(self) -> str: ...


def checked_reactions(
    reactions: Sequence[str], pain_vas: int | None, bruise_cm: Decimal | None = None
) -> list[str]:
    """The reaction codes to store: known, de-duplicated, pain added when the VAS says so and
    the bruise size code added from a measured size.

    400 ``unknown_reaction``, ``reaction_none_with_others``, ``bruise_sizes_conflict`` (two
    sizes), ``invalid_input`` (VAS or size out of range); 422 ``bruise_size_mismatch`` (the
    size code disagrees with the size in cm).
    """
    known = set(Reaction.values)
    unknown = [code for code in reactions if code not in known]
    if unknown:
        raise InvalidInput(
            RecordError.UNKNOWN_REACTION,
            f"Unknown reaction {unknown[0]!r}; use {', '.join(Reaction.values)}.",
            details={"reaction": unknown[0], "allowed": list(Reaction.values)},
        )
    unique = list(dict.fromkeys(reactions))
    _none_alone(unique, bool(bruise_cm))
    if pain_vas is not None and not 0 <= pain_vas <= 100:
        raise InvalidInput(
            "invalid_input", "Pain VAS is 0 to 100 mm.", details={"field": "pain_vas"}
        )
    if pain_vas is not None and Reaction.PAIN not in unique and pain_vas > 0:
        unique.append(Reaction.PAIN)
    if bruise_cm is not None:
        unique = _with_bruise_size(unique, bruise_cm)
    sizes = reaction_rules.bruise_sizes(unique)
    if len(sizes) > 1:
        raise InvalidInput(
            RecordError.BRUISE_SIZES_CONFLICT,
            "Record one bruise size: the largest bruise.",
            details={"field": "reactions", "reactions": sizes},
        )
    return unique


def _none_alone(reactions: list[str], bruise_measured: bool) -> None:
    if Reaction.NONE in reactions and (len(reactions) > 1 or bruise_measured):
        raise InvalidInput(
            RecordError.REACTION_NONE_WITH_OTHERS,
            "“none” cannot be recorded together with a reaction.",
            details={"field": "reactions"},
        )


BRUISE_STEP = Decimal("0.1")
"""A bruise is measured to the millimetre: what the database column keeps (one place)."""


def _with_bruise_size(reactions: list[str], bruise_cm: Decimal) -> list[str]:
    """The size band from the size as it will be stored: a finer size would be rounded
    by the column after its band was chosen (3.04 cm stored as a large 3.0 cm bruise) and a
    size under 0.05 cm would be stored as 0, which the column refuses."""
    in_range = Decimal(0) < bruise_cm <= reaction_rules.MAX_BRUISE_CM
    if not in_range or bruise_cm != bruise_cm.quantize(BRUISE_STEP):
        raise InvalidInput(
            "invalid_input",
            f"A bruise's size is more than 0 and at most {reaction_rules.MAX_BRUISE_CM} cm, "
            "to the nearest millimetre (0.1 cm).",
            details={"field": "bruise_cm"},
        )
    band = reaction_rules.bruise_band(bruise_cm)
    given = reaction_rules.bruise_sizes(reactions)
    if given and given != [band]:
        raise RuleRefused(
            RecordError.BRUISE_SIZE_MISMATCH,
            f"A {bruise_cm} cm bruise is {Reaction(band).label.lower()}, not "
            f"{Reaction(given[0]).label.lower()}.",
            details={"field": "bruise_cm", "bruise_cm": str(bruise_cm), "size": band},
        )
    return reactions if given else [*reactions, band]


def checked_device_settings(device: Device | None, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings validated against the device type's schema (``device_settings``); the
    reason another device was used is kept as it is."""
    reason = settings.get(NOT_RESERVED_BECAUSE)
    given = {k: v for k, v in settings.items() if k != NOT_RESERVED_BECAUSE}
    try:
        clean: dict[str, Any] = validate_device_settings(
            device.device_type if device is not None else None, given
        )
    except DeviceSettingError as error:
        refusal = InvalidInput if error.invalid else RuleRefused
        raise refusal(error.code, error.message, details=error.details) from None
    return clean | ({NOT_RESERVED_BECAUSE: reason} if reason else {})


def checked_delivery(
    delivery: str | None, device: Device | None, areas: Sequence[_HasTechnique]
) -> str:
    """Freehand or device: as given, else "device" when a device is recorded. A device
    delivery needs the device (422 ``device_required``); an area given by device technique
    cannot be in a freehand session (422 ``delivery_mismatch``)."""
    if delivery is None or delivery == "":
        delivery = Delivery.DEVICE if device is not None else Delivery.FREEHAND
    if delivery not in Delivery.values:
        raise InvalidInput(
            RecordError.UNKNOWN_DELIVERY,
            f"Unknown technique {delivery!r}; use {', '.join(Delivery.values)}.",
            details={"field": "delivery", "allowed": list(Delivery.values)},
        )
    if delivery == Delivery.DEVICE and device is None:
        raise RuleRefused(
            RecordError.DEVICE_REQUIRED,
            "The session is recorded as given by device: record which device.",
            details={"field": "device"},
        )
    by_device = [i for i, area in enumerate(areas) if area.technique == Technique.DEVICE]
    if delivery == Delivery.FREEHAND and by_device:
        raise RuleRefused(
            RecordError.DELIVERY_MISMATCH,
            "An area is recorded with the device technique but the session as freehand.",
            details={"field": "delivery", "area": by_device[0]},
        )
    return delivery
