"""W4: a mixed clinic-day HTTP load on a real ``mesoclinic serve`` (its default workers and
threads; no background worker), 64 keep-alive connections from one asyncio client.

The mix (benchmarks.md), each request chosen at random with these weights:

* 70 % ``availability`` — ``GET /api/v1/availability`` first page (``limit=50``) for one of
  four treatments over 60 days starting on one of the next 14 days;
* 10 % ``client`` — ``GET /api/v1/clients/{id}``, the audited clinical read (a random
  client of 20,000);
* 10 % ``book`` — ``POST /api/v1/appointments`` with W2's random attempts (9–12 months
  ahead, ~30 % booked; some are refused with 409/422, which is an answer, not an error);
* 5 % ``change`` — half ``POST /api/v1/appointments/{id}/reschedule`` to another random
  start, half ``…/cancel``, of an appointment this run booked;
* 5 % ``screening`` — ``POST /api/v1/screenings`` for a random client and treatment.

Phases: a warm-up (untimed), ``/healthz`` alone on the same 64 connections (the server's
ceiling for a trivial request), then the mix, each connection sending its next request as
soon as the last is answered (closed loop). ``healthz_ratio`` = the mix's requests/s ÷
``/healthz``'s requests/s. In a closed loop of 64 connections the mean latency is 64 ÷
the requests/s (Little's law), so a p95 of 30 ms needs > 2,100 requests/s; the last phase
(``paced``) therefore offers the mix at a fixed rate instead (Poisson arrivals at half
``/healthz``'s rate, or 70 % of the closed loop's when that was lower) and reports latency
from each request's arrival. Latency is from writing the request to reading the last byte
of the answer. ``errors`` counts answers ≥ 500, failed connections and time-outs; "database
is locked" is searched in the error answers and the server's log. Default: 10 minutes of
mix (``--quick``: 45 s). The client is stdlib asyncio speaking HTTP/1.1 on 127.0.0.1; it
shares the machine's two cores with the server.

The W4 bookings are cancelled afterwards (as W2's are) so later runs start from the same
calendar.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.dataset import SITE_CODE, DatasetInfo
from bench.env import BenchTarget
from bench.report import latency_figures, write_result
from bench.server import running_server

CONNECTIONS = 64
MIX = (("availability", 70), ("client", 10), ("book", 10), ("change", 5), ("screening", 5))
AVAILABILITY_TREATMENTS = ("face-revitalise", "acne-scars", "scalp-hair", "under-eye")
WINDOW_DAYS = 60
PAGE = 50
TIMEOUT_SECONDS = 30.0
USERNAME = "bench-writer"  # a reception user (W2's): books, screens, reads clients


class HttpError(Exception):
    """A failed exchange (connection refused or closed, malformed answer, time-out)."""


class Connection:
    """One HTTP/1.1 keep-alive connection; reconnects when the server closed it."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """Send one request, return (status, body). A keep-alive connection the server
        closed while idle (nothing of the answer read) is reopened and the request sent
        once more: the server never saw it."""
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, body)
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            self.close()
            if not reused or getattr(error, "partial", b"") not in (b"", None):
                raise HttpError(f"{type(error).__name__}: {error}") from error
            self.reconnects += 1
            return await self._exchange(method, path, body)

    async def _exchange(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None
        assert self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        status_and_headers = await self.reader.readuntil(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            content = await self._chunked()
        else:
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, content

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


@dataclass
class Tally:
    """What one phase measured, per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    locked: int = 0

    def add(self, kind: str, milliseconds: float, status: int, body: bytes) -> None:
        self.latencies.setdefault(kind, []).append(milliseconds)
        self.statuses.setdefault(kind, Counter())[status] += 1
        if status >= 500:
            self.errors[f"{kind} {status}: {body[:100].decode('utf-8', 'replace')}"] += 1
            self.locked += b"database is locked" in body

    def failed(self, kind: str, milliseconds: float, error: BaseException) -> None:
        self.latencies.setdefault(kind, []).append(milliseconds)
        self.statuses.setdefault(kind, Counter())[599] += 1
        self.errors[f"{kind}: {type(error).__name__}: {str(error)[:100]}"] += 1

    def summary(self, seconds: float) -> dict[str, Any]:
        every = [value for values in self.latencies.values() for value in values]
        count = len(every)
        errors = sum(self.errors.values())
        by_kind = {
            kind: {
                "requests": len(values),
                "share": round(len(values) / count, 3) if count else 0,
                "per_second": round(len(values) / seconds, 1),
                **latency_figures(values),
                "statuses": {str(k): v for k, v in sorted(self.statuses[kind].items())},
            }
            for kind, values in sorted(self.latencies.items())
        }
        return {
            "requests": count,
            "seconds": round(seconds, 1),
            "per_second": round(count / seconds, 1) if seconds else 0,
            **(latency_figures(every) if every else {}),
            "errors": errors,
            "database_locked": self.locked,
            "error_samples": dict(self.errors.most_common(5)),
            "by_kind": by_kind,
        }


class Mix:
    """The random requests of the mix, drawn from seeded generators."""

    def __init__(self, info: DatasetInfo, seed: int) -> None:
        from bench.w2 import AttemptMaker, _as_json
        from mesoclinic.core import clock
        from mesoclinic.people.models import Client, Site

        self.rng = random.Random(seed)
        self.attempts = AttemptMaker(info, seed)
        self.as_json = _as_json
        site = Site.objects.get(code=SITE_CODE)
        self.client_ids = list(Client.objects.filter(home_site=site).values_list("pk", flat=True))
        self.first = max(clock.today(), info.anchor_date) + dt.timedelta(days=1)
        self.kinds = [kind for kind, _ in MIX]
        self.weights = [weight for _, weight in MIX]
        self.booked: list[tuple[int, str]] = []  # (appointment id, treatment code) of this run
        self.treatments = {t.code: t for t in self.attempts.treatments}

    def choose(self) -> str:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        return "book" if kind == "change" and not self.booked else kind

    def request(self, kind: str) -> tuple[str, str, bytes]:
        """(method, path, body) of one request of ``kind``."""
        rng = self.rng
        if kind == "availability":
            first = self.first + dt.timedelta(days=rng.randrange(14))
            last = first + dt.timedelta(days=WINDOW_DAYS - 1)
            return (
                "GET",
                f"/api/v1/availability?treatment={rng.choice(AVAILABILITY_TREATMENTS)}"
                f"&from={first}&to={last}&site={SITE_CODE}&limit={PAGE}",
                b"",
            )
        if kind == "client":
            return "GET", f"/api/v1/clients/{rng.choice(self.client_ids)}", b""
        if kind == "book":
            body = self.as_json(self.attempts.attempt())
            return "POST", "/api/v1/appointments", json.dumps(body).encode()
        if kind == "screening":
            body = {
                "client": str(rng.choice(self.client_ids)),
                "treatment": rng.choice(list(self.treatments)),
            }
            return "POST", "/api/v1/screenings", json.dumps(body).encode()
        index = rng.randrange(len(self.booked))
        appointment, treatment = self.booked[index]
        if rng.random() < 0.5:
            self.booked[index] = self.booked[-1]
            self.booked.pop()
            return "POST", f"/api/v1/appointments/{appointment}/cancel", b"{}"
        start = self._start_for(self.treatments[treatment])
        body = {"start": start.isoformat()}
        return "POST", f"/api/v1/appointments/{appointment}/reschedule", json.dumps(body).encode()

    def _start_for(self, treatment: Any) -> dt.datetime:
        maker = self.attempts
        while True:
            attempt = maker.attempt()
            if attempt["treatment"].code == treatment.code:
                return attempt["start"]  # type: ignore[no-any-return]

    def answered(self, kind: str, status: int, body: bytes, sent: bytes) -> None:
        if kind == "book" and status == 201:
            appointment = json.loads(body)["id"]
            self.booked.append((appointment, json.loads(sent)["treatment"]))


async def _phase(
    base_url: str,
    token: str,
    seconds: float,
    mix: Mix | None,
    connections: list[Connection] | None = None,
) -> tuple[Tally, float, list[Connection]]:
    """``CONNECTIONS`` workers send requests back to back for ``seconds``: ``/healthz``
    when ``mix`` is None, else the mix."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    pool = connections or [Connection(host, port, headers) for _ in range(CONNECTIONS)]
    tally = Tally()
    deadline = time.perf_counter() + seconds

    async def worker(connection: Connection) -> None:
        while time.perf_counter() < deadline:
            kind = "healthz" if mix is None else mix.choose()
            method, path, body = ("GET", "/healthz", b"") if mix is None else mix.request(kind)
            started = time.perf_counter()
            try:
                status, answer = await asyncio.wait_for(
                    connection.request(method, path, body), TIMEOUT_SECONDS
                )
            except (TimeoutError, HttpError, OSError, ValueError) as error:
                connection.close()
                tally.failed(kind, (time.perf_counter() - started) * 1000, error)
                continue
            tally.add(kind, (time.perf_counter() - started) * 1000, status, answer)
            if mix is not None:
                mix.answered(kind, status, answer, body)

    started = time.perf_counter()
    await asyncio.gather(*(worker(connection) for connection in pool))
    return tally, time.perf_counter() - started, pool


async def _paced_phase(
    seconds: float, rate: float, mix: Mix, pool: list[Connection]
) -> tuple[Tally, float, int]:
    """Open loop: the mix's requests arrive at ``rate`` per second (Poisson) whatever the
    answers' speed, and the 64 connections take them in arrival order. Latency counts from
    the arrival, so time spent waiting for a free connection is included. Arrivals that
    find 4 × 64 requests already waiting are dropped and counted (overload)."""
    queue: asyncio.Queue[tuple[float, str, tuple[str, str, bytes]] | None] = asyncio.Queue()
    tally = Tally()
    rng = random.Random(404)
    dropped = 0

    async def arrivals() -> None:
        nonlocal dropped
        now = started = time.perf_counter()
        due = started
        while due < started + seconds:
            due += rng.expovariate(rate)
            if due > now:
                await asyncio.sleep(due - now)
            now = time.perf_counter()
            if queue.qsize() >= 4 * CONNECTIONS:
                dropped += 1
                continue
            kind = mix.choose()
            queue.put_nowait((due, kind, mix.request(kind)))
        for _ in pool:
            queue.put_nowait(None)

    async def worker(connection: Connection) -> None:
        while (item := await queue.get()) is not None:
            arrived, kind, (method, path, body) = item
            try:
                status, answer = await asyncio.wait_for(
                    connection.request(method, path, body), TIMEOUT_SECONDS
                )
            except (TimeoutError, HttpError, OSError, ValueError) as error:
                connection.close()
                tally.failed(kind, (time.perf_counter() - arrived) * 1000, error)
                continue
            tally.add(kind, (time.perf_counter() - arrived) * 1000, status, answer)
            mix.answered(kind, status, answer, body)

    started = time.perf_counter()
    await asyncio.gather(arrivals(), *(worker(connection) for connection in pool))
    return tally, time.perf_counter() - started, dropped


def _server_log_locked(log: Path) -> int:
    try:
        return log.read_text(errors="replace").count("database is locked")
    except OSError:
        return 0


def measure(
    target: BenchTarget,
    info: DatasetInfo,
    *,
    healthz_seconds: float,
    mix_seconds: float,
    warmup_seconds: float,
    workers: int | None = None,
    threads: int | None = None,
    paced_seconds: float = 0.0,
    paced_share: float = 0.5,
) -> dict[str, Any]:
    """One server, one client: warm-up, ``/healthz`` alone, then the mix (closed loop);
    then, if ``paced_seconds``, the mix arriving at ``paced_share`` × ``/healthz``'s rate
    (or, when the closed loop did not reach that, at 70 % of the rate it reached)."""
    from bench.w2 import _ensure_writer

    _ensure_writer()
    mix = Mix(info, seed=4004)
    log = target.home / f"w4-server-{target.database}.log"
    with running_server(
        target, workers=workers, threads=threads, username=USERNAME, log=log
    ) as server:

        async def run() -> tuple[tuple[Tally, float], tuple[Tally, float], int, Any]:
            _, _, pool = await _phase(server.base_url, server.token, warmup_seconds / 3, None)
            await _phase(server.base_url, server.token, warmup_seconds * 2 / 3, mix, pool)
            health, health_seconds, _ = await _phase(
                server.base_url, server.token, healthz_seconds, None, pool
            )
            mixed, mixed_seconds, _ = await _phase(
                server.base_url, server.token, mix_seconds, mix, pool
            )
            paced = None
            if paced_seconds:
                # The target's rate if the closed loop reached it, else 70 % of what it
                # reached: latency when the server is busy but not saturated.
                target_rate = paced_share * len(health.latencies["healthz"]) / health_seconds
                reached = sum(map(len, mixed.latencies.values())) / mixed_seconds
                rate = target_rate if reached >= target_rate else 0.7 * reached
                tally, elapsed, dropped = await _paced_phase(paced_seconds, rate, mix, pool)
                paced = {
                    "offered_per_second": round(rate, 1),
                    "basis": f"{paced_share} x healthz/s"
                    if rate == target_rate
                    else "0.7 x the closed loop's mix/s (it did not reach the target rate)",
                    "dropped": dropped,
                    **tally.summary(elapsed),
                }
            reconnects = sum(connection.reconnects for connection in pool)
            for connection in pool:
                connection.close()
            return (health, health_seconds), (mixed, mixed_seconds), reconnects, paced

        (health, health_seconds), (mixed, mixed_seconds), reconnects, paced = asyncio.run(run())
    healthz = health.summary(health_seconds)
    figures = mixed.summary(mixed_seconds)
    figures["database_locked"] += _server_log_locked(log)
    return {
        "healthz": healthz,
        "mix": figures,
        "reconnects": reconnects,
        "paced": paced,
        "healthz_ratio": round(figures["per_second"] / healthz["per_second"], 3)
        if healthz["per_second"]
        else None,
    }


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def run(
    target: BenchTarget,
    info: DatasetInfo,
    *,
    quick: bool = False,
    workers: int | None = None,
    threads: int | None = None,
    mix_seconds: float | None = None,
) -> dict[str, Any]:
    """Measure W4 on the target and write ``bench/results/W4[...].json``."""
    from bench.w2 import _cancel_w2_bookings

    started = time.perf_counter()
    seconds = mix_seconds or (45.0 if quick else 600.0)
    _cancel_w2_bookings(info)
    load_before = _load_average()
    measured = measure(
        target,
        info,
        healthz_seconds=15.0 if quick else 60.0,
        mix_seconds=seconds,
        warmup_seconds=9.0 if quick else 15.0,
        workers=workers,
        threads=threads,
        paced_seconds=30.0 if quick else 120.0,
    )
    load_after = _load_average()
    cancelled = _cancel_w2_bookings(info)
    mix, healthz = measured["mix"], measured["healthz"]
    figures: dict[str, Any] = {
        "healthz_per_second": healthz["per_second"],
        "per_second": mix["per_second"],
        "healthz_ratio": measured["healthz_ratio"],
        "p50_ms": mix.get("p50_ms"),
        "p95_ms": mix.get("p95_ms"),
        "p99_ms": mix.get("p99_ms"),
        "errors": mix["errors"],
        "database_locked": mix["database_locked"],
        "requests": mix["requests"],
        "seconds": mix["seconds"],
        "by_kind": mix["by_kind"],
        "error_samples": mix["error_samples"],
        "paced": measured["paced"],
        "connections": CONNECTIONS,
        "server": {"workers": workers or "default", "threads": threads or "default"},
        "reconnects": measured["reconnects"],
        "load_average_before": load_before,
        "load_average_after": load_after,
        "bookings_cancelled_afterwards": cancelled,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    return write_result(
        "W4",
        database=target.database,
        figures=figures,
        baseline={"algorithm": "GET /healthz alone, same server and connections", **healthz},
        suffix=target.result_suffix,
    )


def sizing(
    target: BenchTarget, info: DatasetInfo, shapes: list[tuple[int, int]], *, seconds: float
) -> dict[str, Any]:
    """The mix against ``serve --workers W --threads T`` for each shape, one after the other
    (``python -m bench.w4 --sizing 2x4,3x4 ...``); writes ``W4-sizing[...].json``."""
    from bench.w2 import _cancel_w2_bookings

    rows: dict[str, Any] = {}
    for workers, threads in shapes:
        _cancel_w2_bookings(info)
        load_before = _load_average()
        measured = measure(
            target,
            info,
            healthz_seconds=min(15.0, seconds / 2),
            mix_seconds=seconds,
            warmup_seconds=9.0,
            workers=workers,
            threads=threads,
        )
        mix = measured["mix"]
        shape = f"{workers}x{threads}"
        key = next(
            name
            for name in (shape, *(f"{shape} #{run}" for run in range(2, len(shapes) + 2)))
            if name not in rows
        )  # a shape measured again is kept beside the first
        rows[key] = {
            "healthz_per_second": measured["healthz"]["per_second"],
            "per_second": mix["per_second"],
            "healthz_ratio": measured["healthz_ratio"],
            "p50_ms": mix.get("p50_ms"),
            "p95_ms": mix.get("p95_ms"),
            "p99_ms": mix.get("p99_ms"),
            "errors": mix["errors"],
            "error_samples": mix["error_samples"],
            "load_average_before": load_before,
            "load_average_after": _load_average(),
        }
        print(f"[W4 sizing] {key}: {json.dumps(rows[key])}")
    _cancel_w2_bookings(info)
    return write_result(
        "W4-sizing",
        database=target.database,
        figures={"seconds_per_shape": seconds, "shapes": rows},
        baseline={},
        suffix=target.result_suffix,
    )


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench import dataset
    from bench.env import target_for

    parser = argparse.ArgumentParser(prog="python -m bench.w4", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, help="seconds of mix (default 600, quick 45)")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--sizing", help="shapes WxT,WxT: compare serve sizes, write nothing else")
    args = parser.parse_args(argv)
    target = target_for(args.database, "200k")
    info = dataset.ensure(target)
    if args.sizing:
        shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.sizing.split(",")]
        sizing(target, info, shapes, seconds=args.seconds or 30.0)  # type: ignore[arg-type]
        return 0
    run(
        target,
        info,
        quick=args.quick,
        workers=args.workers,
        threads=args.threads,
        mix_seconds=args.seconds,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
