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

``CompiledInsert`` does the same for the ``INSERT`` of one new model instance, which the
busiest writes (an appointment, an audit entry) run on every booking: ``save`` rebuilds
and recompiles that statement each time.

On PostgreSQL a compiled query is also *prepared* once per connection (psycopg 3,
parameters bound on the server): PostgreSQL then plans it once, where planning the recall
query's seven-table join took 4.2 ms against 0.9 ms to run it (W6). Django keeps
prepared statements off for everything else (connection poolers in transaction mode
need PgBouncer 1.21 or later, with ``max_prepared_statements``, for them).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

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
        with _preparing_cursor(connection) as cursor:
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


def _preparing_cursor(connection: Any) -> Any:
    """A cursor for compiled SQL: on PostgreSQL one that binds parameters on the server
    and prepares each statement once per connection, wrapped as Django wraps its own
    (errors translated); elsewhere, or while Django logs queries (``DEBUG``, a test
    counting them), the usual one, as Django's log cannot show a prepared statement's
    SQL."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(connection.connection))


@functools.cache
def _preparing_cursor_class() -> type[Any]:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        """Django's server-binding psycopg cursor, asking for every statement to be
        prepared (psycopg keeps the prepared statements of a connection by their SQL)."""

        def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
            return super().execute(query, params, **(options | {"prepare": True}))  # type: ignore[misc]

    return PreparingCursor


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


@dataclass(frozen=True, slots=True)
class _Insert:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    returning_params: Any
    returns_pk: bool


class CompiledInsert:
    """``insert(instance)`` writes a new, unsaved ``model`` instance as
    ``instance.save(force_insert=True)`` does (each field's ``pre_save`` and database
    preparation, the primary key set from the database, the instance then marked saved),
    with the statement compiled once per thread and database.

    For models whose rows ``save`` would write with plain parameters: one table (no parent
    model), an automatic primary key, no ``order_with_respect_to``, nothing else the
    database returns, and no ``pre_save``/``post_save`` receivers (none are sent)."""

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        if meta.parents or meta.order_with_respect_to or meta.auto_field is None:
            raise TypeError(f"{model.__name__}: a compiled insert takes a one-table model")
        self._model = model
        self._local = threading.local()

    def insert(self, instance: Model, *, using: str = "default") -> None:
        """Insert ``instance`` (unsaved: its primary key is set from the database)."""
        if instance._state.adding is False or instance.pk is not None:
            raise ValueError("a compiled insert writes new instances only")
        # what save() checks first: no unsaved related object (Django 5.2; not in the stubs)
        instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        compiled = self._compiled(using, instance)
        connection = connections[using]
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for field in compiled.fields
        ]
        meta = self._model._meta
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            if compiled.returns_pk:
                row = connection.ops.fetch_returned_insert_columns(  # type: ignore[attr-defined]
                    cursor, compiled.returning_params
                )
                pk = row[0]
            else:
                pk = connection.ops.last_insert_id(cursor, meta.db_table, str(meta.pk.column))
        setattr(instance, meta.pk.attname, pk)
        instance._state.adding = False
        instance._state.db = using

    def _compiled(self, using: str, instance: Model) -> _Insert:
        compiled: _Insert | None = self._local.__dict__.get(using)
        if compiled is None:
            compiled = self._local.__dict__[using] = self._compile(using, instance)
        return compiled

    def _compile(self, using: str, instance: Model) -> _Insert:
        meta = self._model._meta
        fields = tuple(
            field
            for field in meta.local_concrete_fields
            if not field.generated and field is not meta.auto_field
        )
        if list(meta.db_returning_fields) != [meta.pk]:
            raise TypeError(f"{self._model.__name__}: the database returns more than its key")
        query = InsertQuery(self._model)
        query.insert_values(list(fields), [instance])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = list(meta.db_returning_fields)
        statements = compiler.as_sql()
        ((sql, params),) = statements
        if len(params) != len(fields) or sql.count("%s") != len(fields):
            raise TypeError(f"{self._model.__name__}: a field writes more than a plain parameter")
        return _Insert(
            sql=sql,
            fields=fields,
            returning_params=compiler.returning_params,
            returns_pk=connections[using].features.can_return_columns_from_insert,
        )
