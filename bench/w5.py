"""W5: W1 and W3 at 2,000,000 appointments against the 200,000 figures, in one run.

Each size runs in its own process (one Django database per process):
``python -m bench.run W1 W3 --size 200k`` then ``--size 2m`` (the 2m data set is
generated on first use and its generation time recorded).  Then the p95 ratios are
computed; the target is ratio ≤ 1.5 (cost must not grow with history).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from bench.env import RESULTS_DIR, target_for
from bench.report import write_result


def _measure(database: str, size: str, quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    command = [sys.executable, "-m", "bench.run", "W1", "W3", "--database", database]
    command += ["--size", size] + (["--quick"] if quick else [])
    subprocess.run(command, check=True)
    suffix = "" if size == "200k" else f"-{size}"
    if database != "sqlite":
        suffix += f"-{database}"
    w1 = json.loads((RESULTS_DIR / f"W1{suffix}.json").read_text())
    w3 = json.loads((RESULTS_DIR / f"W3{suffix}.json").read_text())
    return w1, w3


def _pick(w1: dict[str, Any], w3: dict[str, Any]) -> dict[str, Any]:
    f1, f3 = w1["figures"], w3["figures"]
    primary = f1["by_treatment"]["face-revitalise"]
    return {
        "w1_engine_p50_ms": f1["p50_ms"],
        "w1_engine_p95_ms": f1["p95_ms"],
        "w1_engine_p99_ms": f1["p99_ms"],
        "w1_selector_p95_ms": f1.get("selector_p95_ms"),
        "w1_http_p95_ms": f1.get("http_p95_ms"),
        "w1_naive_p50_ms": w1["baseline"]["p50_ms"],
        "w1_slots": primary["engine"]["slots"],
        "w3_fixed_p95_ms": f3["p95_ms"],
        "w3_best_of_all_p95_ms": f3["best_of_all_p95_ms"],
        "w3_fixed_selector_p95_ms": f3["real_calendars"]["fixed"]["selector"].get("p95_ms"),
        "w3_best_selector_p95_ms": f3["real_calendars"]["best_of_all"]["selector"].get("p95_ms"),
        "appointments_in_database": f1["appointments_in_database"],
    }


def _ratio(large: float | None, small: float | None) -> float | None:
    if not large or not small:
        return None
    return round(large / small, 2)


def run(database: str, *, quick: bool = False) -> dict[str, Any]:
    """Measure W1 and W3 at both sizes and write ``bench/results/W5[...].json``."""
    started = time.perf_counter()
    small = _pick(*_measure(database, "200k", quick))
    large = _pick(*_measure(database, "2m", quick))
    info_path = target_for(database, "2m").home / f"dataset-{database}-2m.json"
    generation = json.loads(info_path.read_text()) if info_path.exists() else {}
    ratios = {
        key.replace("_ms", "_ratio"): _ratio(large[key], small[key])
        for key in large
        if key.endswith("p95_ms")
    }
    figures = {
        "p50_ms": large["w1_engine_p50_ms"],
        "p95_ms": large["w1_engine_p95_ms"],
        "p99_ms": large["w1_engine_p99_ms"],
        "ratios_2m_over_200k": ratios,
        "at_2m": large,
        "dataset_2m": generation,
        "seconds": round(time.perf_counter() - started, 1),
    }
    suffix = "" if database == "sqlite" else f"-{database}"
    return write_result(
        "W5",
        database=database,
        figures=figures,
        baseline={
            "p50_ms": small["w1_engine_p50_ms"],
            "p95_ms": small["w1_engine_p95_ms"],
            "p99_ms": small["w1_engine_p99_ms"],
            "at_200k": small,
        },
        suffix=suffix,
    )
