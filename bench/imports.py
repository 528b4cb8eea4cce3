"""Timing a clinic import: seeded Pabau-style CSV files, the dry run and the import of each.

    PYTHONPATH=src:. python -m bench.imports --database sqlite
    PYTHONPATH=src:. python -m bench.imports --database postgresql

Writes ``clients.csv`` (5,000 rows), ``history.csv`` (5,000 rows) and ``appointments.csv``
(1,000 rows: about three months of a three-practitioner diary) into ``var/bench-import/``
(``--out``), seeded so every run is the same file, with the mistakes real exports have
(missing names, impossible dates, the same person twice, unknown treatments, past or
clashing appointments). Then, on a fresh database (a new SQLite file, or the PostgreSQL
database ``wt_import_bench`` dropped and created again) with the demo clinic loaded, runs each
file's dry run and import through the background task exactly as the page does (upload,
mapping from the Pabau preset, ``run_pending``) and prints the times and outcomes as JSON.
The files are never committed: ``--write-only`` just writes them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

CLIENT_COLUMNS = ["Contact ID", "First Name", "Last Name", "DOB", "Email", "Mobile"]
HISTORY_COLUMNS = ["Treatment ID", "Contact ID", "Date", "Service", "Employee", "Notes", "Product"]
APPOINTMENT_COLUMNS = [
    "Appointment ID",
    "Contact ID",
    "Start Date",
    "Start Time",
    "Service",
    "Employee",
    "Location",
]
GIVEN = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Charlotte",
    "Aria",
    "Evelyn",
    "Sienna",
    "Daisy",
    "Harper",
    "Sofia",
    "Ruby",
    "Alice",
    "Matilda",
    "Florence",
    "Priya",
    "Aisha",
    "Zara",
    "Fatima",
    "Chloe",
    "Hannah",
    "Leah",
    "Megan",
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
]
FAMILY = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Okafor",
]
SERVICES = (
    "Face revitalise",
    "Pigmentation",
    "Under-eye refresh",
    "Scalp and hair",
    "Consultation",
)
PRACTITIONERS = ("Dr Asha Patel", "Grace Okafor", "Megan Lewis")
PRODUCTS = ("Illustrative HA cocktail 2 ml", "Illustrative peptide blend 1 ml", "", "")
NOTES = ("Tolerated well.", "Mild redness, settled.", "Client pleased.", "", "Small bruise.")


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def write_files(
    folder: Path,
    *,
    clients: int = 5000,
    history: int = 5000,
    appointments: int = 1000,
    seed: int = 16,
    today: dt.date | None = None,
) -> dict[str, Path]:
    """Write the three seeded files into ``folder``; their paths by kind."""
    rng = random.Random(seed)
    today = today or dt.datetime.now(dt.UTC).date()
    folder.mkdir(parents=True, exist_ok=True)
    people: list[list[str]] = []
    for number in range(1, clients + 1):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(55 * 365))
        email = f"{given}.{family}{number}@example.com".lower() if rng.random() < 0.85 else ""
        phone = f"07700 9{rng.randrange(10**5):05d}" if rng.random() < 0.9 else ""
        row = [f"P{number:06d}", given, family, _dmy(born), email, phone]
        roll = rng.random()
        if roll < 0.01:
            row[1] = ""  # missing first name
        elif roll < 0.02:
            row[3] = f"31/02/{born.year}"  # no such day
        elif roll < 0.03 and people:
            row[1:4] = rng.choice(people)[1:4]  # the same person under a second id
            row[4] = ""
        people.append(row)
    paths = {
        "clients": _write(folder / "clients.csv", CLIENT_COLUMNS, people),
    }
    ids = [row[0] for row in people]
    lines = []
    for number in range(1, history + 1):
        day = today - dt.timedelta(days=rng.randrange(7, 3 * 365))
        service = rng.choice(SERVICES) if rng.random() > 0.02 else "Laser hair removal"
        contact = rng.choice(ids) if rng.random() > 0.01 else "P999999"
        lines.append(
            [
                f"T{number:06d}",
                contact,
                _dmy(day),
                service,
                rng.choice(PRACTITIONERS),
                rng.choice(NOTES),
                rng.choice(PRODUCTS),
            ]
        )
    paths["history"] = _write(folder / "history.csv", HISTORY_COLUMNS, lines)
    bookings = []
    day = today + dt.timedelta(days=7)
    starts = ("09:00", "10:30", "12:00", "14:00", "15:30")
    while len(bookings) < appointments:
        day += dt.timedelta(days=1)
        if day.weekday() >= 5:
            continue
        for start in starts:
            for practitioner in PRACTITIONERS:
                if len(bookings) >= appointments:
                    break
                when, at = _dmy(day), start
                if rng.random() < 0.01:
                    when = _dmy(today - dt.timedelta(days=rng.randrange(1, 30)))  # past
                elif rng.random() < 0.01 and bookings:
                    when, at = bookings[-1][2], bookings[-1][3]  # clashes with the row before
                bookings.append(
                    [
                        f"A{len(bookings) + 1:06d}",
                        rng.choice(ids),
                        when,
                        at,
                        rng.choice(SERVICES[:3]),
                        practitioner,
                        "Mesoclinic London",
                    ]
                )
    paths["appointments"] = _write(folder / "appointments.csv", APPOINTMENT_COLUMNS, bookings)
    return paths


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _fresh_database(database: str, folder: Path, url: str) -> str:
    if database == "sqlite":
        path = folder / "import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = url.rsplit("/", 1)[-1]
    for command in (["dropdb", "--if-exists"], ["createdb"]):
        subprocess.run([*command, "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return url


def measure(paths: dict[str, Path]) -> dict[str, dict[str, object]]:
    """Dry run and import of each file in turn (clients first), timed."""
    from django.contrib.auth import get_user_model

    from mesoclinic.imports import services
    from mesoclinic.imports.fields import prefill
    from mesoclinic.messaging.worker import run_pending

    admin = get_user_model().objects.get(username="admin")
    results: dict[str, dict[str, object]] = {}
    for kind in ("clients", "history", "appointments"):
        raw = paths[kind].read_bytes()
        run = services.import_upload(
            actor=admin, kind=kind, source="pabau", filename=paths[kind].name, raw=raw
        )
        started = time.perf_counter()
        services.import_map(actor=admin, run=run, mapping=prefill(run.kind, "pabau", run.header))
        run_pending()
        dry_seconds = time.perf_counter() - started
        run.refresh_from_db()
        started = time.perf_counter()
        services.import_start(actor=admin, run=run)
        run_pending()
        import_seconds = time.perf_counter() - started
        run.refresh_from_db()
        results[kind] = {
            "rows": run.row_count,
            "dry_run_seconds": round(dry_seconds, 2),
            "import_seconds": round(import_seconds, 2),
            "dry_run": services.summary_counts(run.dry_run_report),
            "import": services.summary_counts(run.import_report),
            "status": run.status,
        }
        print(kind, json.dumps(results[kind]), file=sys.stderr, flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/wt_import_bench")
    parser.add_argument("--out", type=Path, default=Path("var/bench-import"))
    parser.add_argument("--write-only", action="store_true")
    args = parser.parse_args(argv)
    paths = write_files(args.out)
    if args.write_only:
        print(json.dumps({kind: str(path) for kind, path in paths.items()}))
        return 0
    os.environ["DATABASE_URL"] = _fresh_database(args.database, args.out.resolve(), args.url)
    os.environ["MESOCLINIC_HOME"] = str(args.out.resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
    os.environ.setdefault("MESOCLINIC_STATIC_MANIFEST", "0")
    os.environ.setdefault("MESOCLINIC_LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    from mesoclinic.demo.loader import demo_load

    call_command("migrate", verbosity=0)
    demo_load(with_history=False)
    results = measure(paths)
    print(json.dumps({"database": args.database, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
