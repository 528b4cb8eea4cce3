"""Parsing the scheduling API's input: dates, moments with an offset, times, weekdays,
and codes resolved to rows (400 for malformed input and unknown codes)."""

from __future__ import annotations

import datetime as dt

from mesoclinic.catalogue.models import Formulation, Protocol
from mesoclinic.core import validation
from mesoclinic.core.errors import InvalidInput
from mesoclinic.core.lookups import get_by_code
from mesoclinic.people.models import Device, Practitioner, Room
from mesoclinic.scheduling import selectors
from mesoclinic.scheduling.errors import SchedulingErrorCode as Code

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_date(value: str | None, field: str) -> dt.date:
    """A ``YYYY-MM-DD`` date, or 400 ``invalid_input``."""
    if not value:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'{field}' is required (YYYY-MM-DD).", details={"field": field}
        )
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"'{field}' must be a date like 2027-03-05.",
            details={"field": field, "value": value[:40]},
        ) from None
    return _in_range(day, field)


def parse_moment(value: str, field: str) -> dt.datetime:
    """An ISO 8601 datetime with an offset, or 400."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            Code.INVALID_INPUT,
            f"'{field}' must be a date and time like 2027-03-05T10:00:00+00:00.",
            details={"field": field, "value": str(value)[:40]},
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            Code.NAIVE_DATETIME,
            f"'{field}' needs a time zone offset, e.g. 2027-03-05T10:00:00+00:00.",
            details={"field": field},
        )
    _in_range(moment.date(), field)
    validation.check_offset(moment.utcoffset(), field=field)
    return moment


def _in_range(day: dt.date, field: str) -> dt.date:
    """Dates outside 1900–2100 are 400 ``invalid_range`` (the scheduling code for a range
    the clinic cannot serve)."""
    problem = validation.date_problem(day)
    if problem:
        raise InvalidInput(Code.INVALID_RANGE, f"'{field}' {problem}.", details={"field": field})
    return day


def _parse_time(value: str | None, field: str) -> dt.time | None:
    if value is None:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Code.INVALID_INPUT, f"'{field}' must be a time like 09:30.", details={"field": field}
        ) from None


def _weekday(value: int | str) -> int:
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    text = str(value).strip().lower()
    for index, name in enumerate(WEEKDAYS):
        if text in (name, name[:3]):
            return index
    raise InvalidInput(
        Code.INVALID_INPUT,
        "Weekdays are 0 (Monday) to 6 (Sunday) or names such as 'friday'.",
        details={"field": "preferences.weekdays", "value": str(value)[:20]},
    )


def _formulation(code: str | None) -> Formulation | None:
    if not code:
        return None
    return get_by_code(
        Formulation.objects.all(), code, error_code=Code.UNKNOWN_FORMULATION, noun="formulation"
    )


def _protocol(code: str | None) -> Protocol | None:
    if not code:
        return None
    return get_by_code(
        Protocol.objects.all(), code, error_code=Code.UNKNOWN_PROTOCOL, noun="protocol"
    )


def _room(code: str | None) -> Room | None:
    if not code:
        return None
    return get_by_code(
        Room.objects.filter(active=True), code, error_code=Code.UNKNOWN_ROOM, noun="room"
    )


def _device(code: str | None) -> Device | None:
    if not code:
        return None
    return get_by_code(
        Device.objects.filter(active=True), code, error_code=Code.UNKNOWN_DEVICE, noun="device"
    )


def _practitioner(code: str | None) -> Practitioner | None:
    return selectors.practitioner_for_code(code) if code else None
