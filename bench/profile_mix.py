"""Where W4's time goes, in-process: the W4 mix (``bench.w4.Mix``) sent through
``django.test.Client`` (every middleware, the API, the database; no HTTP server, no load
generator), timed per kind of request, optionally under ``cProfile``.

    python -m bench.profile_mix                      # 2,000 requests of the mix
    python -m bench.profile_mix --kind book --profile # bookings only, with a profile
    python -m bench.profile_mix --database postgresql # the same on the PostgreSQL data set

The mix's bookings stay in the data set (9–12 months ahead, outside the availability
pages' days); ``python -m bench.dataset`` rebuilds it. Figures from here are for finding
the lever, not for results: W4 itself measures over HTTP.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections import defaultdict
from typing import Any

from bench.dataset import ensure
from bench.env import setup_django, target_for

WARM_UP = 100


def _sender(client: Any, mix: Any, kind: str | None, times: dict[str, list[float]]) -> Any:
    def send() -> None:
        chosen = mix.choose()
        if kind is not None and chosen != kind:
            return
        method, path, body = mix.request(chosen)
        started = time.perf_counter()
        if method == "GET":
            answer = client.get(path)
        else:
            answer = client.post(path, body, content_type="application/json")
        times[chosen].append(time.perf_counter() - started)
        if answer.status_code >= 500:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.content[:300]!r}")
        mix.answered(chosen, answer.status_code, answer.content, body)

    return send


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_mix", description=__doc__)
    parser.add_argument("--requests", type=int, default=2_000, help="draws from the mix")
    parser.add_argument("--kind", choices=("availability", "client", "book", "change", "screening"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args(argv)
    target = target_for(args.database, "200k")
    setup_django(target)
    info = ensure(target, log=lambda *_: None)

    from django.test import Client

    from bench.w2 import _ensure_writer
    from bench.w4 import USERNAME, Mix
    from mesoclinic.people.services import api_token_create

    _ensure_writer()
    token = api_token_create(username=USERNAME)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    times: dict[str, list[float]] = defaultdict(list)
    send = _sender(client, Mix(info, seed=args.seed), args.kind, times)
    for _ in range(WARM_UP):
        send()
    times.clear()
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    for _ in range(args.requests):
        send()
    if profile is not None:
        profile.disable()
    elapsed = time.perf_counter() - started
    total = sum(map(len, times.values()))
    print(f"{total} requests, {elapsed / max(total, 1) * 1000:.2f} ms each on average")
    for kind, seconds in sorted(times.items()):
        seconds.sort()
        print(
            f"{kind:13s} n={len(seconds):5d}  mean {sum(seconds) / len(seconds) * 1000:6.2f} ms"
            f"  p50 {seconds[len(seconds) // 2] * 1000:6.2f} ms"
            f"  {sum(seconds) / elapsed * 100:5.1f} % of the time"
        )
    healthz = _healthz_mean(client)
    print(
        f"/healthz mean {healthz * 1000:.2f} ms: the mix's requests cost "
        f"{elapsed / max(total, 1) / healthz:.1f}x one (W4's healthz_ratio is about its inverse,"
        " plus the server's share)"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
    return 0


def _healthz_mean(client: Any, requests: int = 500) -> float:
    """Seconds per ``/healthz`` through the same client (its yardstick: the machine's speed
    drifts, the ratio less)."""
    for _ in range(WARM_UP):
        client.get("/healthz")
    started = time.perf_counter()
    for _ in range(requests):
        client.get("/healthz")
    return (time.perf_counter() - started) / requests


if __name__ == "__main__":
    raise SystemExit(main())
