"""W1: availability for one treatment, all 20 practitioners × 60 days, 15-minute grid.

Four measurements in one run, on the same calendar:

* **engine** — ``find_slots`` (array search and every slot materialised as a ``Slot``)
  on an ``AvailabilityQuery`` built from the database once (``bench.calendars``), with
  busy time passed as arrays, as the selector passes it (the headline p50/p95/p99, as in
  W3); also the search alone (``compute_availability``), the first page (``limit=50``),
  the path the API takes: the slots returned as a ``SlotTable`` of columns (``table``),
  and ``lists_in``: the same ``find_slots`` fed busy time as Python lists of pairs (the
  headline before the seventh session; the conversion to arrays is then part of it);
* **naive** — ``naive_find_slots`` (every candidate start against every booking) on the
  same query: the baseline, and a check that both return the same slots;
* **selector** — ``scheduling.selectors.availability_for`` end to end (queries, engine,
  aware datetimes); the first page both searched and remembered (see ``selector_figures``);
* **http** — ``GET /api/v1/availability`` on a real ``mesoclinic serve`` (2 workers) on
  127.0.0.1, one keep-alive client, full 60-day answer and first page (``limit=50``; its
  repeats are answered from each worker's memory of recent searches);
  each request's time includes the client parsing the JSON, and ``received`` repeats the
  full answer without parsing (the server's part and the transfer).

The primary treatment is ``face-revitalise`` (practitioner + room + numbing lounge); the
same figures are reported for ``acne-scars`` (+ a DermaFrac device).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import requests

from bench.calendars import site_calendar, treatment_query
from bench.dataset import SITE_CODE, DatasetInfo
from bench.env import BenchTarget
from bench.report import latency_figures, time_calls, write_result
from bench.server import running_server

TREATMENTS = ("face-revitalise", "acne-scars")
WINDOW_DAYS = 60
PAGE = 50


def window(info: DatasetInfo) -> tuple[dt.date, dt.date]:
    """The searched local days: from tomorrow (or the day after the data set's anchor)."""
    from mesoclinic.core import clock

    first = max(clock.today(), info.anchor_date) + dt.timedelta(days=1)
    return first, first + dt.timedelta(days=WINDOW_DAYS - 1)


def engine_figures(
    treatment: str, first: dt.date, last: dt.date, *, quick: bool = False
) -> dict[str, Any]:
    """Engine and naive timings on one real calendar."""
    from mesoclinic.scheduling.engine import compute_availability, find_slots, naive_find_slots
    from mesoclinic.scheduling.selectors import buffer_minutes

    calendar = site_calendar(SITE_CODE, sorted({first.year, last.year}))
    query = treatment_query(calendar, treatment, first, last, buffer_minutes=buffer_minutes())
    first_page = treatment_query(
        calendar, treatment, first, last, buffer_minutes=buffer_minutes(), limit=PAGE
    )
    repeat = 100 if quick else 300
    arrays, first_page = query.with_busy_arrays(), first_page.with_busy_arrays()
    slots = find_slots(arrays)
    engine = time_calls(lambda: find_slots(arrays), repeat=repeat)
    lists_in = time_calls(lambda: find_slots(query), repeat=repeat)
    search_only = time_calls(lambda: compute_availability(arrays), repeat=repeat)
    page = time_calls(lambda: find_slots(first_page), repeat=repeat)
    table = time_calls(lambda: compute_availability(arrays).table(), repeat=repeat)
    naive_runs = time_calls(lambda: naive_find_slots(query), warmup=1, repeat=3, budget_seconds=30)
    naive_slots = naive_find_slots(query)
    figures = latency_figures(engine)
    return {
        "figures": {
            **figures,
            "lists_in": latency_figures(lists_in),
            "lists_in_same_slots": find_slots(query) == slots,
            "search_only": latency_figures(search_only),
            "first_page": latency_figures(page),
            "table": latency_figures(table),
            "table_matches_slots": compute_availability(arrays).table().slots() == slots,
            "slots": len(slots),
            "practitioners": len(query.practitioners),
            "busy_intervals": sum(len(p.busy) for p in query.practitioners)
            + sum(len(r.busy) for r in query.rooms)
            + sum(len(d.busy) for d in query.devices)
            + (len(query.lounge.occupied) if query.lounge else 0),
            "same_slots_as_naive": naive_slots == slots,
        },
        "baseline": latency_figures(naive_runs),
    }


def selector_figures(treatment: str, first: dt.date, last: dt.date) -> dict[str, Any]:
    """``availability_for`` end to end (database queries + engine + conversion). The
    first page twice: searched (memory of recent searches emptied before each call) and
    ``first_page_remembered`` (the same search again, answered from memory; a full
    60-day answer is too long to be remembered)."""
    from mesoclinic.catalogue.models import Treatment
    from mesoclinic.people.models import Site
    from mesoclinic.scheduling.selectors import availability_for, forget_searches

    site = Site.objects.get(code=SITE_CODE)
    item = Treatment.objects.get(code=treatment)

    def full() -> Any:
        return availability_for(treatment=item, date_from=first, date_to=last, site=site)

    def page() -> Any:
        return availability_for(
            treatment=item, date_from=first, date_to=last, site=site, limit=PAGE
        )

    def page_searched() -> Any:
        forget_searches()
        return page()

    return {
        **latency_figures(time_calls(full, repeat=60, budget_seconds=45)),
        "first_page": latency_figures(time_calls(page_searched, repeat=60, budget_seconds=45)),
        "first_page_remembered": latency_figures(time_calls(page, repeat=60, budget_seconds=45)),
        "slots": len(full()),
    }


def http_figures(
    target: BenchTarget, treatments: tuple[str, ...], first: dt.date, last: dt.date
) -> dict[str, Any]:
    """``GET /api/v1/availability`` latencies over a real server, per treatment."""
    results: dict[str, Any] = {}
    with running_server(target) as server, requests.Session() as session:
        session.headers.update(server.headers)
        for treatment in treatments:
            params = {
                "treatment": treatment,
                "from": first.isoformat(),
                "to": last.isoformat(),
                "site": SITE_CODE,
            }
            url = f"{server.base_url}/api/v1/availability"
            probe = session.get(url, params=params, timeout=60)
            if probe.status_code != 200:
                results[treatment] = {"status": probe.status_code, "body": probe.text[:300]}
                continue
            slots = len(probe.json()["slots"])
            size = len(probe.content)

            def get(
                extra: dict[str, str],
                parse: bool = True,
                url: str = url,
                params: dict[str, str] = params,
            ) -> None:
                response = session.get(url, params={**params, **extra}, timeout=60)
                response.raise_for_status()
                if parse:
                    response.json()

            full = time_calls(lambda: get({}), warmup=5, repeat=100, budget_seconds=45)
            received = time_calls(
                lambda: get({}, parse=False), warmup=5, repeat=100, budget_seconds=45
            )
            page = time_calls(
                lambda: get({"limit": str(PAGE)}), warmup=5, repeat=200, budget_seconds=30
            )
            results[treatment] = {
                **latency_figures(full),
                "slots": slots,
                "response_bytes": size,
                "received": latency_figures(received),
                "first_page": latency_figures(page),
            }
    return results


def run(target: BenchTarget, info: DatasetInfo, *, quick: bool = False) -> dict[str, Any]:
    """Measure W1 on the target and write ``bench/results/W1[...].json``."""
    first, last = window(info)
    started = time.perf_counter()
    by_treatment: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    for treatment in TREATMENTS:
        measured = engine_figures(treatment, first, last, quick=quick)
        by_treatment[treatment] = {"engine": measured["figures"]}
        baseline[treatment] = measured["baseline"]
        try:
            by_treatment[treatment]["selector"] = selector_figures(treatment, first, last)
        except ImportError as error:  # the selectors have not landed
            by_treatment[treatment]["selector"] = {"pending": str(error)}
    http = http_figures(target, TREATMENTS, first, last)
    for treatment in TREATMENTS:
        by_treatment[treatment]["http"] = http.get(treatment)
    primary = by_treatment[TREATMENTS[0]]
    engine = primary["engine"]
    naive = baseline[TREATMENTS[0]]
    figures: dict[str, Any] = {
        "p50_ms": engine["p50_ms"],
        "p95_ms": engine["p95_ms"],
        "p99_ms": engine["p99_ms"],
        "selector_p95_ms": primary["selector"].get("p95_ms"),
        "http_p95_ms": (primary["http"] or {}).get("p95_ms"),
        "http_first_page_p95_ms": ((primary["http"] or {}).get("first_page") or {}).get("p95_ms"),
        "http_received_p95_ms": ((primary["http"] or {}).get("received") or {}).get("p95_ms"),
        "engine_table_p95_ms": engine["table"]["p95_ms"],
        "engine_lists_in_p95_ms": engine["lists_in"]["p95_ms"],
        "speedup_vs_naive_p50": round(naive["p50_ms"] / engine["p50_ms"], 1),
        "window": [first.isoformat(), last.isoformat()],
        "appointments_in_database": info.appointments,
        "by_treatment": by_treatment,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return write_result(
        "W1",
        database=target.database,
        figures=figures,
        baseline={**naive, "algorithm": "naive_find_slots", "by_treatment": baseline},
        suffix=target.result_suffix,
    )
