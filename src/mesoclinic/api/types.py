"""Annotated field types for the API's schemas: the edge rules of
:mod:`mesoclinic.core.validation` as pydantic types, so django-ninja refuses bad input with
400 ``invalid_input`` and the OpenAPI document shows the pattern or range."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from mesoclinic.core import validation
from mesoclinic.core.errors import InvalidInput

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _rule(check: Any) -> AfterValidator:
    def run(value: Any) -> Any:
        try:
            return check(value)
        except InvalidInput as error:
            # pydantic turns a ValueError into a validation error: 400 invalid_input.
            raise ValueError(error.message.partition(": ")[2] or error.message) from None

    return AfterValidator(run)


def _iso_text_only(value: Any) -> Any:
    """A date in JSON is ``"YYYY-MM-DD"`` text: a number (a Unix time) is refused."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("give a date as text, YYYY-MM-DD")
    return value


class InputSchema(Schema):
    """A request body: a field the schema does not name is refused (400), not ignored, so a
    misspelt field never goes silently missing."""

    model_config = ConfigDict(extra="forbid")


Text = Annotated[
    str,
    Field(json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}),
    _rule(lambda v: validation.check_text(v)),
]
"""One line of text: no control characters, no lone surrogates."""
LongText = Annotated[str, _rule(lambda v: validation.check_text(v, multiline=True))]
"""Text that may span lines (tab and newline allowed)."""
Email = Annotated[
    str,
    Field(
        max_length=254,
        json_schema_extra={
            # (the common shape of an address, every one of which the validator takes)
            "pattern": r"^$|^[A-Za-z0-9_%+-]{1,32}(?:\.[A-Za-z0-9_%+-]{1,32}){0,2}@"
            r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,24}$",
            "examples": ["ada@example.com"],
        },
    ),
    _rule(lambda v: validation.check_email(v)),
]
"""An email address (or empty)."""
Phone = Annotated[
    str,
    Field(max_length=40, json_schema_extra={"examples": ["+447700900123"]}),
    _rule(lambda v: validation.check_phone(v)),
]
"""A phone number, UK unless it starts with +country (or empty), kept as typed."""
SaneDate = Annotated[
    dt.date,
    BeforeValidator(_iso_text_only),
    _rule(lambda v: validation.check_date(v)),
    Field(
        json_schema_extra={
            "description": "A date between 1900-01-01 and 2100-12-31.",
            "pattern": "^(19|20)[0-9]{2}-",
        }
    ),
]
"""A date within 1900–2100."""


def _check_moment(value: dt.datetime) -> dt.datetime:
    validation.check_date(value.date(), field="date-time")
    if value.tzinfo is not None:
        validation.check_offset(value.utcoffset(), field="date-time")
    return value


def _iso_moment_only(value: Any) -> Any:
    """A date-time in JSON is ISO 8601 text: a number (a Unix time) is refused."""
    if not isinstance(value, str | dt.datetime):
        raise ValueError("give a date and time as text, e.g. 2027-03-05T10:00:00+00:00")
    return value


SaneDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_iso_moment_only),
    _rule(_check_moment),
    Field(json_schema_extra={"pattern": "^(19|20)[0-9]{2}-"}),
]
"""A date-time within 1900–2100 whose UTC offset is within ±14:00."""
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_moment_only)]
"""A date-time given as ISO 8601 text, whose range the service checks with its own code
(answers and consultations cannot be in the future: ``invalid_date``)."""
IsoDate = Annotated[dt.date, BeforeValidator(_iso_text_only)]
"""A date given as ``YYYY-MM-DD`` text, whose range the service checks with its own code
(a birth date: ``invalid_birth_date``)."""
Id = Annotated[
    str,
    Field(
        pattern=rf"^[0-9]{{1,{validation.MAX_ID_DIGITS}}}$",
        json_schema_extra={"examples": ["1"]},
    ),
]
"""A row id: 1–18 ASCII digits."""


def _whole_number(value: Any) -> Any:
    """A JSON integer, also when written with a zero fraction (``38.0``, an integer to JSON
    Schema); text and booleans are refused (400), not guessed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("give a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("give a whole number")
        return int(value)
    return value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_number)]
"""A whole number given as a JSON number."""

Flag = StrictBool
"""A JSON ``true`` or ``false``: ``0``, ``1`` or ``"yes"`` are refused (400), not guessed."""
