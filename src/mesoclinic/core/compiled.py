"""Queries of a fixed shape, compiled to SQL once and run again with new arguments.

Building a queryset with subqueries and annotations and compiling it costs the ORM a few
milliseconds of Python on every call, often far more than the database takes to answer
(issue #17: the booking path's screening read spent 10 of its 11 ms there). A
``CompiledQuery`` builds its queryset once per thread and database, with *marker*
arguments (values no caller passes), compiles it, notes where each marker's value sits
among the SQL parameters, and from then on runs that SQL with the real arguments in those
places, applying the ORM's own converters to the rows. ``rows`` gives the rows (as
``values_list`` does); ``objects`` gives model instances with their ``select_related``
rows joined in, as iterating the queryset does.

Only for querysets whose SQL does not depend on the argument values (no ``None`` that
becomes ``IS NULL``, no lists whose length changes the SQL): the shape is checked when it
is compiled, as every marker must turn up among the parameters.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

_MARKER_BASE = -7_316_000_000
"""Integer markers: ids no row has (negative) and no caller passes."""
_MARKER_EPOCH = dt.datetime(1901, 2, 3, tzinfo=dt.UTC)
"""Datetime markers: whole seconds after a moment no clinic has a record of."""
_MARKER_TEXT = "\x1fcompiled-query-marker-{}\x1f"
"""Text markers: control characters no code, digest or name holds."""


@dataclass(frozen=True, slots=True)
class _Instances:
    """How a row becomes a model instance: what ``ModelIterable`` works out per query."""

    model: type[Model]
    attnames: list[str]
    start: int
    end: int
    populators: list[Any]
    annotations: dict[str, int]

    @classmethod
    def of(cls, compiler: Any, using: str) -> _Instances | None:
        info = compiler.klass_info
        if info is None or compiler.query.values_select:  # values(), values_list(): rows
            return None
        fields = info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return cls(
            model=info["model"],
            attnames=[column[0].target.attname for column in compiler.select[start:end]],
            start=start,
            end=end,
            # django-stubs describe a later Django (fetch_mode); 5.2 takes three arguments
            populators=get_related_populators(info, compiler.select, using),  # type: ignore[call-arg]
            annotations=dict(compiler.annotation_col_map or {}),
        )

    def build(self, row: Any, using: str) -> Model:
        instance = self.model.from_db(using, self.attnames, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, instance)
        for name, position in self.annotations.items():
            setattr(instance, name, row[position])
        return instance


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (parameter position, argument name)
    compiler: Any
    converters: Any
    instances: _Instances | None


class CompiledQuery:
    """``build(**arguments)`` returns the queryset for arguments that are ints, text or
    aware datetimes; ``rows(**arguments)`` and ``objects(**arguments)`` run it. The
    argument *names* are the query's shape: a builder whose SQL varies (one clause per
    placement, say) takes numbered names, and each set of names is compiled once."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._local = threading.local()

    def rows(self, *, using: str = "default", **arguments: Any) -> list[tuple[Any, ...]]:
        """The rows of the queryset built with ``arguments`` (as ``values_list`` gives)."""
        compiled = self._compiled(using, arguments)
        return [tuple(row) for row in self._fetch(compiled, using, arguments)]

    def objects(self, *, using: str = "default", **arguments: Any) -> list[Any]:
        """The model instances of the queryset built with ``arguments``, each with the
        rows its ``select_related`` joins in (as iterating the queryset gives)."""
        compiled = self._compiled(using, arguments)
        if compiled.instances is None:
            raise TypeError("objects() runs a queryset of model instances; use rows()")
        instances = compiled.instances
        return [instances.build(row, using) for row in self._fetch(compiled, using, arguments)]

    @staticmethod
    def _fetch(compiled: _Compiled, using: str, arguments: dict[str, Any]) -> list[Any]:
        connection = connections[using]
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = _adapt(connection, arguments[name])
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = list(compiled.compiler.apply_converters(rows, compiled.converters))
        return rows

    def _compiled(self, using: str, arguments: dict[str, Any]) -> _Compiled:
        cache: dict[tuple[str, frozenset[str]], _Compiled] = self._local.__dict__.setdefault(
            "cache", {}
        )
        key = (using, frozenset(arguments))
        compiled = cache.get(key)
        if compiled is None:
            compiled = cache[key] = self._compile(using, arguments)
        return compiled

    def _compile(self, using: str, arguments: dict[str, Any]) -> _Compiled:
        connection = connections[using]
        markers = {
            name: _marker(arguments[name], index) for index, name in enumerate(sorted(arguments))
        }
        compiler = self._build(**markers).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        adapted = {name: _adapt(connection, value) for name, value in markers.items()}
        slots = tuple(
            (position, name)
            for position, param in enumerate(params)
            for name, marker in adapted.items()
            if type(param) is type(marker) and param == marker
        )
        missing = set(markers) - {name for _, name in slots}
        if missing:
            raise ValueError(f"arguments not found in the compiled SQL: {sorted(missing)}")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        return _Compiled(
            sql, tuple(params), slots, compiler, converters, _Instances.of(compiler, using)
        )


def _marker(value: Any, index: int) -> Any:
    """A value of ``value``'s type that no caller passes."""
    if isinstance(value, dt.datetime):
        return _MARKER_EPOCH + dt.timedelta(seconds=index + 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return _MARKER_BASE - index
    if isinstance(value, str):
        return _MARKER_TEXT.format(index)
    raise TypeError(f"a compiled query takes ints, text and datetimes, not {type(value).__name__}")


def _adapt(connection: Any, value: Any) -> Any:
    """A value as the compiler puts it among the parameters."""
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
