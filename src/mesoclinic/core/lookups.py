"""Finding one row by the opaque id or the reference-data code a URL or a payload carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet

from mesoclinic.core.compiled import CompiledQuery
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
        raise _not_found(text, code=code, noun=noun)
    return found


def get_locked(queryset: QuerySet[M], pk: int, *, code: str, noun: str) -> M:
    """The row ``pk`` of ``queryset`` as committed now, locked until the transaction ends,
    or the 404 :func:`get_by_opaque_id` raises. Call inside a transaction.

    The lock is taken on the row alone (``SELECT … FOR UPDATE`` of its table, no joins),
    then the row is read with the queryset's joins. Locked through the joins, a row that
    another transaction had just pointed at a different related row (an appointment moved
    to another room, an offer given a hold) would be re-checked by PostgreSQL, after the
    wait, against the related rows read before it: no row at all for an inner join, no
    related row for an outer one. SQLite needs no row lock: its write lock serialises
    writers."""
    if connection.features.has_select_for_update:
        list(queryset.model._default_manager.select_for_update().filter(pk=pk).values("pk"))
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise _not_found(str(pk), code=code, noun=noun)
    return found


def _not_found(text: str, *, code: str, noun: str) -> NotFound:
    return NotFound(code, f"No {noun} with id {text!r}.")


def get_by_code(queryset: QuerySet[M], code: str, *, error_code: str, noun: str) -> M:
    """The row of ``queryset`` with this reference-data ``code``, or a 400 with
    ``error_code``, "No <noun> with code '…'." and ``{<noun>: code}`` as details (an
    unknown code is bad input, not a missing resource)."""
    found = queryset.filter(code=code).first()
    if found is None:
        raise _unknown_code(code, error_code=error_code, noun=noun)
    return found


def _unknown_code(code: str, *, error_code: str, noun: str) -> InvalidInput:
    return InvalidInput(error_code, f"No {noun} with code {code!r}.", details={noun: code})


class CodeLookup(Generic[M]):
    """:func:`get_by_code` on one fixed queryset, its SQL compiled once (``core.compiled``).

    For the lookups most requests make (a treatment, a site, a practitioner): building the
    SQL of a row took the ORM several times what the database took to answer.
    """

    def __init__(self, queryset: Callable[[], QuerySet[M]], *, error_code: str, noun: str) -> None:
        self._query = CompiledQuery(lambda code: queryset().filter(code=code)[:1])
        self._error_code, self._noun = error_code, noun

    def get(self, code: str) -> M:
        """The row with ``code``, or the 400 :func:`get_by_code` raises."""
        found = self._query.objects(code=code)
        if not found:
            raise _unknown_code(code, error_code=self._error_code, noun=self._noun)
        instance: M = found[0]
        return instance


class IdLookup(Generic[M]):
    """:func:`get_by_opaque_id` on one fixed queryset, its SQL compiled once: for the rows
    most writes start from (the client of a booking or a screening, the appointment to
    move), where building the SQL of a ``select_related`` row took the ORM some 0.7 ms
    and the database a few microseconds."""

    def __init__(self, queryset: Callable[[], QuerySet[M]], *, code: str, noun: str) -> None:
        self._query = CompiledQuery(lambda pk: queryset().filter(pk=pk)[:1])
        self._code, self._noun = code, noun

    def get(self, opaque_id: str | int) -> M:
        """The row with this id, or the 404 :func:`get_by_opaque_id` raises."""
        text = str(opaque_id)
        found = self._query.objects(pk=int(text)) if is_id(text) else []
        if not found:
            raise _not_found(text, code=self._code, noun=self._noun)
        instance: M = found[0]
        return instance
