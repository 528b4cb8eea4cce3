"""Finding one row by the opaque id or the reference-data code a URL or a payload carries."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from mesoclinic.core.errors import InvalidInput, NotFound
from mesoclinic.core.validation import is_id

M = TypeVar("M", bound=Model)


def get_by_opaque_id(queryset: QuerySet[M], opaque_id: str | int, *, code: str, noun: str) -> M:
    """The row of ``queryset`` whose primary key is ``opaque_id``, or a 404 with ``code``
    and "No <noun> with id '…'.".  Anything but 1–18 ASCII digits is simply not found: an id
    is never parsed leniently, and a malformed one never reaches the database."""
    text = str(opaque_id)
    found = queryset.filter(pk=int(text)).first() if is_id(text) else None
    if found is None:
        raise NotFound(code, f"No {noun} with id {text!r}.")
    return found


def get_by_code(queryset: QuerySet[M], code: str, *, error_code: str, noun: str) -> M:
    """The row of ``queryset`` with this reference-data ``code``, or a 400 with
    ``error_code``, "No <noun> with code '…'." and ``{<noun>: code}`` as details (an
    unknown code is bad input, not a missing resource)."""
    found = queryset.filter(code=code).first()
    if found is None:
        raise InvalidInput(error_code, f"No {noun} with code {code!r}.", details={noun: code})
    return found
