"""Annotated field types for the API's schemas: the edge rules of
:mod:`mesoclinic.core.validation` as pydantic types, so django-ninja refuses bad input with
400 ``invalid_input`` and the OpenAPI document shows the pattern or range."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from mesoclinic.core import validation
from mesoclinic.core.errors import InvalidInput


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
    if not isinstance(value, str | dt.date):
        raise ValueError("give a date as text, YYYY-MM-DD")
    return value


Text = Annotated[str, _rule(lambda v: validation.check_text(v))]
"""One line of text: no control characters, no lone surrogates."""
LongText = Annotated[str, _rule(lambda v: validation.check_text(v, multiline=True))]
"""Text that may span lines (tab and newline allowed)."""
Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email", "examples": ["ada@example.com"]}),
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
    Field(json_schema_extra={"description": "A date between 1900-01-01 and 2100-12-31."}),
]
"""A date within 1900–2100."""
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
