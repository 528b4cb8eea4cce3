"""Run the benchmarks: ``python -m bench.run [W1 W2 W3 W4 W5 W6 W7] [--database
sqlite|postgresql] [--size 200k|2m] [--quick]`` (``make bench`` runs W1, W2, W3, W4, W6 on
SQLite with the 200,000-appointment data set, and W7 on calendars of its own).

Each workload generates its seeded data set on first use (``bench.dataset``), prints its
figures and writes ``bench/results/<id>.json``.  W5 is W1 and W3 on the 2,000,000 data
set, compared with the 200,000 figures measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7")
DEFAULT = ("W1", "W2", "W3", "W4", "W6", "W7")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("workloads", nargs="*", choices=(*WORKLOADS, []), metavar="W")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--size", choices=("200k", "2m"), default="200k")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    workloads = args.workloads or list(DEFAULT)
    unknown = [name for name in workloads if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")

    from bench import dataset, w1, w2, w3, w4, w5, w6, w7
    from bench.env import target_for

    started = time.perf_counter()
    if "W5" in workloads:
        # W5 needs both data sets; it sets Django up itself, so it runs on its own.
        others = [name for name in workloads if name != "W5"]
        if others:
            parser.error("run W5 on its own: python -m bench.run W5")
        w5.run(args.database, quick=args.quick)
        return 0
    target = target_for(args.database, args.size)
    # W7 builds its own calendars: the 200k data set only for the others.
    info = dataset.ensure(target) if set(workloads) - {"W7"} else None
    for name in workloads:
        print(f"== {name} on {target.database} ({target.size}) ==", flush=True)
        module = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W6": w6, "W7": w7}[name]
        module.run(target, info, quick=args.quick)
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
