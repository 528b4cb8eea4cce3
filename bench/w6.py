"""W6: recall — the recipients of one batch among 1,000,000 product-use rows.

The data: the 200,000-appointment data set (``bench.dataset``) plus a signed treatment
record for every past active appointment, each listing enough product lines that the
clinic holds ``USES`` (1,000,000) of them. Lots are used up in time order, ``USES_PER_LOT``
administrations each, as a clinic opens one vial after another: about 20,000 lots, each
given to ~50 clients over a few weeks. Lot numbers are stored in upper case
(``FRV-00042``) and asked for in lower case, as someone reading a recall notice types them.

Three measurements on the same data:

* **selector** — what ``GET /api/v1/batches/{lot}/recipients`` runs: ``lot_exists`` and
  ``recall_recipients`` (one query, compiled once: signed uses of the lot with the columns
  recall shows of the client, practitioner, formulation and record, and whether the
  client was contacted), every row materialised;
* **sql** — the same query's SQL alone (built beforehand), through the DB-API cursor (no
  model instances);
* **baseline** — the same SQL made to ignore the indexes on product uses (SQLite
  ``NOT INDEXED``; PostgreSQL with index scans switched off): what the query costs when
  it has to read every product-use row, which is what a clinic without this index (or
  a spreadsheet search) pays.

Before measuring, the planner's statistics are refreshed as the worker does every hour
(``core.services.database_statistics_refresh``; a no-op on PostgreSQL). Without it SQLite
planned with statistics taken when the data set held 109 treatment records, read every
record instead of probing the lot's index, and took 460 ms (p50) per recall.

The query plan of the selector is written into the results (``plan``: SQLite's
``EXPLAIN QUERY PLAN`` or PostgreSQL's ``EXPLAIN``; on PostgreSQL also ``plan_analyze``,
``EXPLAIN (ANALYZE, BUFFERS)``), and ``lot_index_used`` says whether the plan finds the lot
through the ``UPPER(lot)`` index (``batch_lot_upper``) on both databases.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal
from typing import Any

from bench.dataset import DatasetInfo, statistics_refresh
from bench.env import BenchTarget
from bench.report import latency_figures, time_calls, write_result

USES = 1_000_000
USES_PER_LOT = 50
CHUNK = 5_000
SEED = 20_270_606
SAMPLE_LOTS = 200


def _info_path(target: BenchTarget) -> Any:
    return target.home / f"recall-{target.database}-{target.size}.json"


def ensure_uses(target: BenchTarget, *, log: Any = print) -> dict[str, Any]:
    """The recall data (records, lots and product uses), generated once per data set."""
    path = _info_path(target)
    if path.exists():
        info: dict[str, Any] = json.loads(path.read_text())
        if info.get("uses") == USES:
            return info
    info = _generate(log=log)
    path.write_text(json.dumps(info, indent=2) + "\n")
    return info


def _past_appointments() -> list[tuple[int, int, int, int, dt.datetime]]:
    from mesoclinic.core import clock
    from mesoclinic.scheduling.models import ACTIVE_STATUSES, Appointment

    return list(
        Appointment.objects.filter(
            status__in=ACTIVE_STATUSES,
            treatment_start__lt=clock.now(),
            treatment__is_consultation=False,
            treatment_record__isnull=True,
        )
        .order_by("treatment_start", "id")
        .values_list("id", "client_id", "treatment_id", "practitioner_id", "treatment_start")
    )


def _generate(*, log: Any) -> dict[str, Any]:
    """Signed records for the past appointments and ``USES`` product lines on lots."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from mesoclinic.catalogue.models import Batch, Formulation
    from mesoclinic.records.models import ProductUse, TreatmentRecord

    started = time.perf_counter()
    signer = get_user_model().objects.order_by("id").first()
    formulations = list(Formulation.objects.order_by("code"))
    appointments = _past_appointments()
    if not appointments or signer is None:
        raise RuntimeError("the data set has no past appointments to record")
    per_record = -(-USES // len(appointments))  # ceiling division
    log(f"[W6] {len(appointments)} records x {per_record} product lines, {USES} in all")
    if connection.vendor == "sqlite":
        connection.cursor().execute("PRAGMA synchronous=OFF")
    used = {formulation.pk: 0 for formulation in formulations}
    batches: dict[tuple[int, int], Batch] = {}
    uses_written = 0
    with transaction.atomic():
        for offset in range(0, len(appointments), CHUNK):
            chunk = appointments[offset : offset + CHUNK]
            records = TreatmentRecord.objects.bulk_create(
                [_record(row, signer) for row in chunk], batch_size=CHUNK
            )
            uses: list[ProductUse] = []
            for record in records:
                for position in range(per_record):
                    if uses_written + len(uses) >= USES:
                        break
                    formulation = formulations[position % len(formulations)]
                    number = used[formulation.pk] // USES_PER_LOT
                    used[formulation.pk] += 1
                    batch = batches.get((formulation.pk, number))
                    if batch is None:
                        batch = _batch(formulation, number, record.performed_at)
                        batches[(formulation.pk, number)] = batch
                    uses.append(
                        ProductUse(
                            record=record,
                            formulation=formulation,
                            batch=batch,
                            volume_ml=Decimal("0.50"),
                            position=position,
                        )
                    )
            ProductUse.objects.bulk_create(uses, batch_size=CHUNK)
            uses_written += len(uses)
    statistics_refresh()
    info = {
        "uses": uses_written,
        "records": len(appointments),
        "lots": len(batches),
        "uses_per_lot": USES_PER_LOT,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    log(f"[W6] {json.dumps(info)}")
    return info


def _record(row: tuple[int, int, int, int, dt.datetime], signer: Any) -> Any:
    from mesoclinic.records.models import TreatmentRecord

    appointment_id, client_id, treatment_id, practitioner_id, start = row
    return TreatmentRecord(
        appointment_id=appointment_id,
        client_id=client_id,
        treatment_id=treatment_id,
        practitioner_id=practitioner_id,
        performed_at=start,
        created_at=start,
        updated_at=start,
        signed_at=start + dt.timedelta(hours=1),
        signed_by=signer,
    )


def _batch(formulation: Any, number: int, first_use: dt.datetime) -> Any:
    from mesoclinic.catalogue.models import Batch

    return Batch.objects.create(
        formulation=formulation,
        lot=f"{formulation.code[:3].upper()}-{number:05d}",
        expires_on=first_use.date() + dt.timedelta(days=365),
        received_on=first_use.date() - dt.timedelta(days=7),
        quantity_received=Decimal(USES_PER_LOT),
        quantity_on_hand=Decimal("0"),
    )


def _sample_lots(count: int) -> list[str]:
    from mesoclinic.catalogue.models import Batch

    lots = list(Batch.objects.filter(lot__contains="-").values_list("lot", flat=True))
    rng = random.Random(SEED)
    return [lot.lower() for lot in rng.sample(lots, min(count, len(lots)))]


def _cycle(lots: list[str]) -> Any:
    """A callable that takes the next lot of the sample each time."""
    position = [0]

    def next_lot() -> str:
        lot = lots[position[0] % len(lots)]
        position[0] += 1
        return lot

    return next_lot


def selector_figures(lots: list[str], *, repeat: int) -> dict[str, Any]:
    """What the API endpoint runs, every row materialised (no HTTP, no audit entry)."""
    from mesoclinic.records import selectors

    next_lot = _cycle(lots)
    counts: list[int] = []

    def recall() -> None:
        lot = next_lot()
        assert selectors.lot_exists(lot)
        counts.append(len(list(selectors.recall_recipients(lot))))

    samples = time_calls(recall, repeat=repeat)
    return {**latency_figures(samples), "recipients_mean": round(sum(counts) / len(counts), 1)}


def _sql(lot: str, *, scan: bool) -> tuple[str, list[Any]]:
    """The selector's SQL and parameters; with ``scan`` the product-use indexes are not used
    (SQLite only: PostgreSQL switches index scans off in the session instead)."""
    from django.db import connection

    from mesoclinic.records import selectors

    sql, params = selectors.recall_recipients_queryset(lot=lot.strip()).query.sql_with_params()
    if scan and connection.vendor == "sqlite":
        table = 'FROM "records_productuse"'
        if table not in sql:  # the baseline would silently use the index
            raise RuntimeError(f"W6: the recall query no longer reads {table}")
        sql = sql.replace(table, f"{table} NOT INDEXED", 1)
    return sql, list(params)


def sql_figures(lots: list[str], *, repeat: int, scan: bool) -> dict[str, Any]:
    """The selector's SQL through the cursor (built before the timing); ``scan``: ignoring
    product-use indexes."""
    from django.db import connection, transaction

    statements = {lot: _sql(lot, scan=scan) for lot in lots}
    next_lot = _cycle(lots)
    rows: list[int] = []

    def run_sql() -> None:
        sql, params = statements[next_lot()]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows.append(len(cursor.fetchall()))

    with transaction.atomic():
        if scan and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_indexscan = off")
                cursor.execute("SET LOCAL enable_bitmapscan = off")
                cursor.execute("SET LOCAL enable_indexonlyscan = off")
        samples = time_calls(run_sql, warmup=1 if scan else 5, repeat=repeat)
    return {**latency_figures(samples), "rows_mean": round(sum(rows) / len(rows), 1)}


def plan(lot: str) -> str:
    """The database's plan for the selector's query (SQLite ``EXPLAIN QUERY PLAN``,
    PostgreSQL ``EXPLAIN``)."""
    from mesoclinic.records import selectors

    return selectors.recall_recipients_queryset(lot=lot.strip()).explain()


def plan_analyze(lot: str) -> str:
    """PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)`` of the selector's query: the plan as run,
    with its row counts and times; SQLite has no such statement (``""``)."""
    from django.db import connection

    from mesoclinic.records import selectors

    if connection.vendor != "postgresql":
        return ""
    return selectors.recall_recipients_queryset(lot=lot.strip()).explain(analyze=True, buffers=True)


def lot_index_used(plan_text: str) -> bool:
    """Whether a plan finds the lot through the ``batch_lot_upper`` expression index
    (the case-insensitive lookup), not by reading every batch."""
    return "batch_lot_upper" in plan_text


def run(target: BenchTarget, info: DatasetInfo, *, quick: bool = False) -> dict[str, Any]:
    """Measure W6 on the target and write ``bench/results/W6[...].json``."""
    from mesoclinic.core.services import database_statistics_refresh

    data = ensure_uses(target)
    database_statistics_refresh()  # what the worker does hourly (SQLite; PostgreSQL: nothing)
    lots = _sample_lots(SAMPLE_LOTS)
    repeat = 100 if quick else 400
    selector = selector_figures(lots, repeat=repeat)
    sql = sql_figures(lots, repeat=repeat, scan=False)
    baseline = sql_figures(lots, repeat=5 if quick else 20, scan=True)
    figures: dict[str, Any] = {
        "p50_ms": selector["p50_ms"],
        "p95_ms": selector["p95_ms"],
        "p99_ms": selector["p99_ms"],
        "selector": selector,
        "sql": sql,
        "speedup_vs_scan_p50": round(baseline["p50_ms"] / sql["p50_ms"], 1),
        "product_uses": data["uses"],
        "lots": data["lots"],
        "appointments_in_database": info.appointments,
        "plan": plan(lots[0]).splitlines(),
        "plan_analyze": plan_analyze(lots[0]).splitlines(),
        "lot_index_used": lot_index_used(plan(lots[0])),
    }
    return write_result(
        "W6",
        database=target.database,
        figures=figures,
        baseline={**baseline, "algorithm": "the same SQL without the product-use indexes"},
        suffix=target.result_suffix,
    )
