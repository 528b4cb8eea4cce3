"""Timing helpers and the results file format of benchmarks.md."""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bench.env import RESULTS_DIR, machine

_T = TypeVar("_T")


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def latency_figures(samples_ms: Sequence[float]) -> dict[str, float]:
    """``p50_ms``, ``p95_ms``, ``p99_ms`` (and the sample count) of latencies in ms."""
    return {
        "p50_ms": round(percentile(samples_ms, 0.50), 3),
        "p95_ms": round(percentile(samples_ms, 0.95), 3),
        "p99_ms": round(percentile(samples_ms, 0.99), 3),
        "samples": len(samples_ms),
    }


def time_calls(
    call: Callable[[], Any],
    *,
    warmup: int = 5,
    repeat: int = 200,
    budget_seconds: float = 60.0,
) -> list[float]:
    """Milliseconds per call after ``warmup`` untimed calls; stops at ``repeat`` calls or
    when ``budget_seconds`` is spent (whichever comes first, at least 3 calls).

    The garbage collector runs between calls, not during them, so a collection of the
    benchmark's own garbage does not land in a random sample."""
    for _ in range(warmup):
        call()
    samples: list[float] = []
    deadline = time.perf_counter() + budget_seconds
    while len(samples) < repeat and (len(samples) < 3 or time.perf_counter() < deadline):
        samples.append(timed(call)[0])
    return samples


def timed(call: Callable[[], _T]) -> tuple[float, _T]:
    """Milliseconds of one call, and what it returned: the collector runs before it and
    is held off during it (then restored as it was)."""
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        result = call()
        return (time.perf_counter() - started) * 1000, result
    finally:
        if gc_was_enabled:
            gc.enable()


def write_result(
    workload: str,
    *,
    database: str,
    figures: dict[str, Any],
    baseline: dict[str, Any],
    notes: dict[str, Any] | None = None,
    suffix: str = "",
) -> dict[str, Any]:
    """Write ``bench/results/<workload><suffix>.json`` as benchmarks.md describes."""
    result: dict[str, Any] = {
        "workload": workload,
        "machine": machine(),
        "database": database,
        "figures": figures,
        "baseline": baseline,
    }
    if notes:
        result["notes"] = notes
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{workload}{suffix}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"[{workload}] wrote {path.relative_to(RESULTS_DIR.parent.parent)}")
    print(json.dumps(result, indent=2))
    return result
