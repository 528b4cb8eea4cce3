"""Busy time as arrays: the active appointments that keep practitioners, rooms, devices
and the numbing lounge busy, with their times in integer minutes since the Unix epoch.

Availability searches read them in one of two ways, which give the same rows:

* **from the database**, with the one batched, index-friendly query of the search
  (inside a transaction, which must see its own writes, and for windows that start in
  the past);
* **from memory**: each process keeps the active appointments from three days ago onward
  (``BusyCache``) and, before each use, asks the calendar's revision clock (one indexed
  read) whether anything changed. When it did, it re-reads only the appointments in the
  change log after the revision it holds (migration 0004 writes the log in commit order
  with a database trigger, so no write path can skip it). A search then costs no query
  for busy time at all, however long the history.

Live slot holds (``SlotHold``: a visitor confirming their email, a waiting-list offer) are
busy time too. They are few and short-lived, so they are never cached: every search reads
the live ones with one small indexed query (``hold_rows``), and a hold stops counting the
moment its ``expires_at`` passes, with no write needed. Their rows carry negative ids so
they never meet an appointment's id in ``exclude_ids``.

Busy time read from memory is at most one committed change behind the database: a search
that misses a booking made a moment ago offers a slot that booking then refuses with 409
``slot_unavailable``, because every booking re-checks inside its transaction and the
database's guards refuse overlaps. It can never cause a double booking.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import BigIntegerField, F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from mesoclinic.core import clock
from mesoclinic.scheduling import revisions
from mesoclinic.scheduling.engine.cells import Ints
from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment, HoldStatus, SlotHold

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_APPOINTMENT_SPAN_MINUTES = 24 * 60
"""No appointment (numbing + treatment + buffer) lasts longer: bounds every busy query."""
CACHE_LOOKBACK_MINUTES = 3 * 24 * 60
"""The cache holds appointments starting from this long before the moment it was (re)built."""
NO_DEVICE = -1
MAX_CHANGES_READ = 2_000
"""More changed appointments than this since the last look: reload instead."""
FOLD_AFTER = 512
"""Changed appointments the cache keeps beside its base before merging them into it."""


class EpochMinutes(Func):
    """Whole minutes since the Unix epoch of a datetime column, computed by the database
    (in the SELECT list only, so indexes are unaffected): converting thousands of values
    to Python datetimes and back costs more than the query itself."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores UTC text; the doubled percent survives the qmark conversion.
        template = "(CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / 60)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / 60)::bigint)"
        return self.as_sql(compiler, connection, template=template, **extra)


def minutes_of(moment: dt.datetime) -> int:
    """Whole minutes since the Unix epoch (UTC) of an aware moment (floored)."""
    return int((moment - EPOCH).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class BusyRows:
    """Appointments as parallel integer arrays (``device`` is ``NO_DEVICE`` when none)."""

    ids: Ints
    sites: Ints
    practitioners: Ints
    rooms: Ints
    devices: Ints
    starts: Ints
    treatment_starts: Ints
    busy_untils: Ints

    @classmethod
    def of(cls, rows: Sequence[Sequence[int]]) -> BusyRows:
        """Rows of ``(id, site, practitioner, room, device, start, treatment_start,
        busy_until)``."""
        table = np.array(rows, dtype=np.int64).reshape(-1, 8)
        return cls(*(np.ascontiguousarray(table[:, column]) for column in range(8)))

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: Any) -> BusyRows:
        """The rows ``keep`` selects (a boolean array, or positions in order)."""
        return BusyRows(*(column[keep] for column in self.columns()))

    def sliced(self, low: int, high: int) -> BusyRows:
        """Rows ``low`` to ``high`` (views: no copy)."""
        return BusyRows(*(column[low:high] for column in self.columns()))

    def __add__(self, other: BusyRows) -> BusyRows:
        return BusyRows(
            *(np.concatenate(pair) for pair in zip(self.columns(), other.columns(), strict=True))
        )

    def columns(self) -> tuple[Ints, ...]:
        """Every column, in field order (``ids`` first)."""
        return (
            self.ids,
            self.sites,
            self.practitioners,
            self.rooms,
            self.devices,
            self.starts,
            self.treatment_starts,
            self.busy_untils,
        )


def _fetch(rows: QuerySet[Appointment] | QuerySet[SlotHold]) -> BusyRows:
    """The appointments of ``rows`` as ``BusyRows`` (times converted by the database, rows
    read with the cursor: thousands of them pass through Django's per-row iterator at
    several times the cost of the query)."""
    columns = rows.annotate(
        device_or_none=Coalesce(F("device_id"), Value(NO_DEVICE)),
        start_minute=EpochMinutes("start"),
        treatment_start_minute=EpochMinutes("treatment_start"),
        busy_until_minute=EpochMinutes("busy_until"),
    ).values_list(
        "id",
        "site_id",
        "practitioner_id",
        "room_id",
        "device_or_none",
        "start_minute",
        "treatment_start_minute",
        "busy_until_minute",
    )
    if connection.vendor not in ("sqlite", "postgresql"):
        return BusyRows.of(list(columns))
    sql, params = columns.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return BusyRows.of(cursor.fetchall())


def _active() -> QuerySet[Appointment]:
    return Appointment.objects.filter(status__in=ACTIVE_STATUSES)


def live_holds(*, now: dt.datetime | None = None) -> QuerySet[SlotHold]:
    """Holds that block their slot ``now`` (default: now): ``held`` and not yet expired."""
    return SlotHold.objects.filter(
        status=HoldStatus.HELD, expires_at__gt=now if now is not None else clock.now()
    )


def _window_condition(
    site_id: int,
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
) -> Q:
    earliest = window_start - dt.timedelta(minutes=MAX_APPOINTMENT_SPAN_MINUTES)
    condition = Q(site_id=site_id, start__gte=earliest, start__lt=window_end)
    if practitioner_ids:
        condition |= Q(
            practitioner_id__in=list(practitioner_ids),
            treatment_start__gte=earliest,
            treatment_start__lt=window_end,
        )
    return condition & Q(busy_until__gt=window_start)


def hold_rows(*, window_start: dt.datetime, window_end: dt.datetime) -> BusyRows:
    """Live holds of every site that may be busy during the window, as busy rows with
    negative ids (always from the database, one small query written out like
    ``_rows_sql``: see the module doc; ``selectors`` applies the exact bounds)."""
    if connection.vendor not in _MINUTES:
        rows = _fetch(live_holds().filter(busy_until__gt=window_start, start__lt=window_end))
    else:
        minutes = _MINUTES[connection.vendor].format
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.execute(
                # Column names and constants only: the values travel as parameters.
                "SELECT id, site_id, practitioner_id, room_id, "  # noqa: S608
                f"COALESCE(device_id, {NO_DEVICE}), {minutes('start')}, "
                f"{minutes('treatment_start')}, {minutes('busy_until')} "
                "FROM scheduling_slothold WHERE status = %s AND expires_at > %s "
                "AND busy_until > %s AND start < %s",
                [
                    str(HoldStatus.HELD),
                    adapt(clock.now()),
                    adapt(window_start),
                    adapt(window_end),
                ],
            )
            rows = BusyRows.of(cursor.fetchall())
    return BusyRows(-rows.ids, *rows.columns()[1:])


def fetch_for_window(
    *,
    site_id: int,
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
) -> BusyRows:
    """The one batched query: active appointments that keep the site's rooms, devices or
    lounge, or the given practitioners (anywhere), busy during the window (the site's
    through the ``(site, start)`` index, the practitioners' through
    ``(practitioner, treatment_start)``; both are bounded ranges)."""
    return _fetch(
        _active().filter(_window_condition(site_id, practitioner_ids, window_start, window_end))
    )


def _fetch_starting(first: int, last: int) -> BusyRows:
    """Active appointments of every site starting in ``[first, last)`` (minutes), in start
    order (which keeps the lounge's sorts linear)."""
    from mesoclinic.people.models import Site

    return _fetch(
        _active()
        .filter(
            site_id__in=list(Site.objects.values_list("pk", flat=True)),
            start__gte=EPOCH + dt.timedelta(minutes=first),
            start__lt=EPOCH + dt.timedelta(minutes=last),
        )
        .order_by("start")
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What one process holds: every active appointment starting in ``[first, last)`` as
    of the appointments clock's ``stamp``.

    Kept as a large ``base`` read at some earlier revision, in start order, and a small
    overlay of what changed since: the ids whose ``base`` rows are out of date
    (``changed``) and, of those still active in the span, their current rows (``fresh``).
    A catch-up after one booking then costs the size of the overlay, not of the whole
    calendar; the overlay is folded into the base once it holds ``FOLD_AFTER`` ids."""

    stamp: revisions.Stamp
    first: int
    last: int
    base: BusyRows
    changed: Ints
    fresh: BusyRows

    @classmethod
    def of(cls, stamp: revisions.Stamp, first: int, last: int, base: BusyRows) -> _Snapshot:
        """A snapshot of ``base`` (in start order) with nothing changed since."""
        return cls(stamp, first, last, base, _NO_IDS, _NO_ROWS)

    def between(self, first: int, last: int) -> BusyRows:
        """The rows starting in ``[first, last)``: a slice of the base (binary search on
        its starts), less its changed rows, plus the fresh ones in the span."""
        low, high = np.searchsorted(self.base.starts, (first, last))
        rows = self.base.sliced(int(low), int(high))
        if len(self.changed):
            rows = rows.where(~np.isin(rows.ids, self.changed))
        if len(self.fresh):
            fresh = self.fresh
            rows = rows + fresh.where((fresh.starts >= first) & (fresh.starts < last))
        return rows

    def caught_up(
        self, stamp: revisions.Stamp, changed: Sequence[int], fresh: BusyRows
    ) -> _Snapshot:
        """This snapshot at ``stamp``, given the ids changed since and the current rows
        of those still active (of any span: only this one's are kept)."""
        ids = np.asarray(changed, dtype=np.int64)
        kept = self.fresh.where(~np.isin(self.fresh.ids, ids))
        inside = fresh.where((fresh.starts >= self.first) & (fresh.starts < self.last))
        snapshot = _Snapshot(
            stamp, self.first, self.last, self.base, np.union1d(self.changed, ids), kept + inside
        )
        return snapshot.folded() if len(snapshot.changed) > FOLD_AFTER else snapshot

    def folded(self) -> _Snapshot:
        """The same rows with the overlay merged into the base (in start order again)."""
        if not len(self.changed):
            return self
        rows = self.base.where(~np.isin(self.base.ids, self.changed)) + self.fresh
        base = rows.where(np.argsort(rows.starts, kind="stable"))
        return _Snapshot.of(self.stamp, self.first, self.last, base)

    def extended(self, last: int) -> _Snapshot:
        """The snapshot also holding the appointments starting in ``[self.last, last)``
        (read now, so current: the overlay is folded first, as it covers only the old
        span)."""
        folded = self.folded()
        more = _fetch_starting(self.last, last)
        return _Snapshot.of(self.stamp, self.first, last, folded.base + more)


_NO_IDS: Ints = np.zeros(0, dtype=np.int64)
_NO_ROWS = BusyRows.of([])


# The catch-up's row query is written out rather than built with ``_fetch``: it runs on
# the first read after every change, and building the ORM query took 0.64 ms against
# 0.05 ms for the whole of this one. ``EpochMinutes`` holds the same expressions; the
# tests compare rows caught up this way with rows read through it.
_MINUTES = {
    "sqlite": "(CAST(strftime('%%s', {}) AS INTEGER) / 60)",
    "postgresql": "(FLOOR(EXTRACT(EPOCH FROM {}) / 60)::bigint)",
}


def _rows_sql(count: int) -> str:
    minutes = _MINUTES[connection.vendor].format
    placeholders = ", ".join(["%s"] * count)
    # Column names, constants and placeholders only: the ids travel as parameters.
    return (
        "SELECT id, site_id, practitioner_id, room_id, "  # noqa: S608
        f"COALESCE(device_id, {NO_DEVICE}), {minutes('start')}, "
        f"{minutes('treatment_start')}, {minutes('busy_until')} "
        f"FROM scheduling_appointment WHERE id IN ({placeholders}) AND status IN "
        f"({', '.join(repr(str(status)) for status in ACTIVE_STATUSES)})"
    )


def _changes(after: int, upto: int) -> tuple[list[int], BusyRows] | None:
    """Appointments changed in revisions ``(after, upto]``: every changed id, once per
    revision, and, of those still active, their current rows (two queries on primary
    keys; a join lets PostgreSQL's planner scan the appointments). ``None`` when more
    than ``MAX_CHANGES_READ`` appointments changed (a bulk update): reloading is cheaper
    than a query with that many parameters, which the databases would refuse."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT appointment_id FROM scheduling_calendarchange "
            "WHERE revision > %s AND revision <= %s",
            [after, upto],
        )
        changed = [row[0] for row in cursor.fetchall()]
        distinct = sorted(set(changed))
        if len(distinct) > MAX_CHANGES_READ:
            return None
        if not distinct:
            return changed, BusyRows.of([])
        cursor.execute(_rows_sql(len(distinct)), distinct)
        return changed, BusyRows.of(cursor.fetchall())


class BusyCache:
    """The process's busy time from three days ago onward, kept current through the
    calendar's revision clock (see the module doc). Safe to share between threads: the
    arrays are never changed in place, only replaced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def clear(self) -> None:
        """Forget everything (the next read reloads)."""
        with self._lock:
            self._snapshot = None

    def starting_between(self, first: int, last: int) -> BusyRows | None:
        """Active appointments starting in ``[first, last)`` (minutes), current as of the
        committed calendar; ``None`` when ``first`` lies before what the cache keeps."""
        with self._lock:
            snapshot = self._current()
            if first < snapshot.first:
                return None
            if last > snapshot.last:
                snapshot = self._snapshot = snapshot.extended(last)
        return snapshot.between(first, last)

    def _current(self) -> _Snapshot:
        stamp = revisions.read(revisions.APPOINTMENTS)
        first = minutes_of(clock.now()) - CACHE_LOOKBACK_MINUTES
        snapshot = self._snapshot
        if (
            snapshot is None
            or (snapshot.stamp.database, snapshot.stamp.epoch) != (stamp.database, stamp.epoch)
            or stamp.revision < snapshot.stamp.revision
            # Past appointments stay until the next reload: reload every few days.
            or snapshot.first < first - CACHE_LOOKBACK_MINUTES
        ):
            snapshot = _Snapshot.of(stamp, first, first, _NO_ROWS)
        elif stamp.revision > snapshot.stamp.revision:
            snapshot = _caught_up(snapshot, stamp)
        self._snapshot = snapshot
        return snapshot


def _caught_up(snapshot: _Snapshot, stamp: revisions.Stamp) -> _Snapshot:
    """The snapshot with the changes up to ``stamp`` applied (or reloaded, when the log
    misses some of them)."""
    changes = _changes(snapshot.stamp.revision, stamp.revision)
    if changes is None or len(changes[0]) != stamp.revision - snapshot.stamp.revision:
        rows = _fetch_starting(snapshot.first, snapshot.last)
        return _Snapshot.of(stamp, snapshot.first, snapshot.last, rows)
    changed, fresh = changes
    return snapshot.caught_up(stamp, changed, fresh)


_CACHE = BusyCache()


def busy_cache() -> BusyCache:
    """The process's cache."""
    return _CACHE


def for_window(
    *,
    site_id: int,
    practitioner_ids: Sequence[int],
    window_start: dt.datetime,
    window_end: dt.datetime,
    exclude_ids: Iterable[int] = (),
) -> BusyRows:
    """Active appointments and live holds that may keep the site's resources or the
    practitioners busy during the window: appointments from memory outside transactions,
    else from the database, holds always from the database (a superset of the exact rows;
    ``selectors`` applies the exact bounds to both)."""
    rows: BusyRows | None = None
    if revisions.caches_may_answer():
        # Practitioners' rows are bounded by treatment_start, which is at most a day after
        # start: two spans before the window cover both branches of the query.
        rows = _CACHE.starting_between(
            minutes_of(window_start) - 2 * MAX_APPOINTMENT_SPAN_MINUTES, minutes_of(window_end)
        )
    if rows is None:
        rows = fetch_for_window(
            site_id=site_id,
            practitioner_ids=practitioner_ids,
            window_start=window_start,
            window_end=window_end,
        )
    rows = rows + hold_rows(window_start=window_start, window_end=window_end)
    excluded = list(exclude_ids)
    if excluded:
        rows = rows.where(~np.isin(rows.ids, excluded))
    return rows


__all__ = [
    "BusyCache",
    "BusyRows",
    "EpochMinutes",
    "busy_cache",
    "fetch_for_window",
    "for_window",
    "hold_rows",
    "live_holds",
]
