"""Validation at the edge, once (issue 13): the rules every page, form and API schema uses
for text, emails, phone numbers, dates, ids and UTC offsets.

Each ``check_*``/``parse_*`` function returns the clean value or raises
:class:`~mesoclinic.core.errors.InvalidInput` (a 400 with the envelope in the API, a plain
400 page elsewhere). The API wraps the same rules as annotated types (``api/types.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator

from mesoclinic.core.errors import DomainError, InvalidInput, RuleRefused


class ValidationCode(StrEnum):
    """Error codes of the edge rules."""

    INVALID_TEXT = "invalid_text"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_DATE = "invalid_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    RANGE_TOO_LONG = "range_too_long"
    INVALID_ID = "invalid_id"
    INVALID_OFFSET = "invalid_offset"


EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# A date range (a calendar feed, availability, a report) spans at most about two years.
MAX_RANGE_DAYS = 2 * 366
MAX_ID_DIGITS = 18  # fits a signed 64-bit integer: the database's bigint
MAX_OFFSET = dt.timedelta(hours=14)
PHONE_REGION = "GB"

# C0 and C1 controls and DEL; tab and newline are allowed only in multi-line text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")
_email = EmailValidator()


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable text, or None: control characters (tab, CR and
    newline allowed in multi-line text) and lone surrogates (not encodable as UTF-8)."""
    if _SURROGATE.search(value):
        return "contains an invalid character (a lone surrogate)"
    pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
    if multiline:
        value = value.replace("\t", "").replace("\r", "").replace("\n", "")
    if pattern.search(value):
        return "contains a control character"
    return None


def check_text(value: str, *, field: str = "text", multiline: bool = False) -> str:
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise InvalidInput(
            ValidationCode.INVALID_TEXT, f"{field}: {problem}.", details={"field": field}
        )
    return value


def check_email(value: str, *, field: str = "email") -> str:
    """A syntactically valid email address (empty stays empty)."""
    value = check_text(value.strip(), field=field)
    if not value:
        return value
    try:
        _email(value)
    except DjangoValidationError:
        raise InvalidInput(
            ValidationCode.INVALID_EMAIL,
            f"{field}: not a valid email address.",
            details={"field": field},
        ) from None
    return value


def check_phone(value: str, *, field: str = "phone") -> str:
    """A valid phone number, UK by default (``+44…`` or ``07…``), kept as typed (trimmed).
    Empty stays empty."""
    value = check_text(value.strip(), field=field)
    if not value:
        return value
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    # Possible (right length for its country) rather than valid: the numbers Ofcom keeps
    # for fiction (07700 900xxx), used in the demo and tests, are not assigned ranges.
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidInput(
            ValidationCode.INVALID_PHONE,
            f"{field}: not a valid phone number.",
            details={"field": field},
        )
    return value


def date_refusal(value: dt.date) -> type[DomainError]:
    """The error for a date a rule refuses (in the future, too long ago): 400 when it is
    outside the edge range as well (malformed), else 422 (well-formed, refused by a rule)."""
    return InvalidInput if date_problem(value) else RuleRefused


def date_problem(value: dt.date) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        return f"must be between {EARLIEST_DATE.year} and {LATEST_DATE.year}"
    return None


def check_date(value: dt.date, *, field: str = "date") -> dt.date:
    problem = date_problem(value)
    if problem:
        raise InvalidInput(
            ValidationCode.DATE_OUT_OF_RANGE, f"{field}: {problem}.", details={"field": field}
        )
    return value


def parse_date(text: str, *, field: str = "date") -> dt.date:
    """An ISO date (``YYYY-MM-DD``) within 1900–2100."""
    try:
        value = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            ValidationCode.INVALID_DATE,
            f"{field}: not a date (YYYY-MM-DD).",
            details={"field": field},
        ) from None
    return check_date(value, field=field)


def parse_datetime(text: str, *, field: str = "start") -> dt.datetime:
    """An ISO date-time within 1900–2100 (with or without an offset)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            ValidationCode.INVALID_DATE,
            f"{field}: not a date-time (ISO 8601).",
            details={"field": field},
        ) from None
    check_date(value.date(), field=field)
    if value.tzinfo is not None:
        check_offset(value.utcoffset(), field=field)
    return value


def check_range(start: dt.date, end: dt.date, *, field: str = "to") -> None:
    """``end`` is not more than about two years after ``start``."""
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(
            ValidationCode.RANGE_TOO_LONG,
            f"{field}: a range may span at most {MAX_RANGE_DAYS} days.",
            details={"field": field},
        )


def check_offset(offset: dt.timedelta | None, *, field: str = "start") -> None:
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise InvalidInput(
            ValidationCode.INVALID_OFFSET,
            f"{field}: a UTC offset must be within ±14:00.",
            details={"field": field},
        )


def is_id(text: object) -> bool:
    """1–18 ASCII digits: ``³`` passes ``str.isdigit()`` but is no id."""
    return isinstance(text, str | int) and bool(_ID.fullmatch(str(text)))


def parse_id(text: object, *, field: str = "id") -> int:
    """A row id, strictly: 1–18 ASCII digits, else a 400."""
    if not is_id(text):
        raise InvalidInput(
            ValidationCode.INVALID_ID,
            f"{field}: an id is 1 to {MAX_ID_DIGITS} digits.",
            details={"field": field},
        )
    return int(str(text))
