"""Where the benchmarks run: which database, which data-set size, and Django set-up.

Benchmarks never touch the development or test databases.  SQLite data sets live under
``MESOCLINIC_HOME`` (default ``var/bench``), one file per size; PostgreSQL data sets live
in the database named by ``BENCH_DATABASE_URL`` (or ``DATABASE_URL`` when that is a
``postgres://`` URL; default ``postgres://postgres@127.0.0.1:5432/bench``), with a
``_2m`` suffix for the 2,000,000-appointment variant.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SIZES = {"200k": 200_000, "2m": 2_000_000}
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/bench"
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class BenchTarget:
    """One benchmark database: its engine, the data-set size and the URL to reach it."""

    database: str  # "sqlite" | "postgresql"
    size: str  # "200k" | "2m"
    url: str
    home: Path

    @property
    def appointments(self) -> int:
        return SIZES[self.size]

    @property
    def result_suffix(self) -> str:
        """The results file's suffix: ``""`` for SQLite at 200k, else e.g. ``-2m-postgresql``."""
        suffix = "" if self.size == "200k" else f"-{self.size}"
        return suffix if self.database == "sqlite" else f"{suffix}-{self.database}"


def bench_home() -> Path:
    """The directory for benchmark files (``MESOCLINIC_HOME``, default ``var/bench``)."""
    home = Path(os.environ.get("MESOCLINIC_HOME") or "var/bench").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def _pg_base_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or ""
    if not url:
        candidate = os.environ.get("DATABASE_URL", "")
        url = candidate if candidate.startswith(("postgres://", "postgresql://")) else ""
    return url or DEFAULT_PG_URL


def target_for(database: str, size: str) -> BenchTarget:
    """The benchmark database for an engine and a size (nothing is created here)."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; use one of {', '.join(SIZES)}")
    home = bench_home()
    if database == "sqlite":
        url = f"sqlite:///{home / f'bench-{size}.sqlite3'}"
    elif database == "postgresql":
        parts = urlsplit(_pg_base_url())
        name = parts.path.lstrip("/") or "bench"
        if size != "200k":
            name = f"{name}_{size}"
        url = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        raise ValueError(f"unknown database {database!r}; use sqlite or postgresql")
    return BenchTarget(database=database, size=size, url=url, home=home)


def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` with ``createdb`` when it is missing."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    command = ["createdb", "-h", parts.hostname or "127.0.0.1", "-U", parts.username or "postgres"]
    if parts.port:
        command += ["-p", str(parts.port)]
    result = subprocess.run([*command, name], capture_output=True, text=True, check=False)
    if result.returncode != 0 and "already exists" not in result.stderr:
        raise RuntimeError(f"createdb {name} failed: {result.stderr.strip()}")


def setup_django(target: BenchTarget) -> None:
    """Point Django at the benchmark database and set it up (once per process)."""
    os.environ["MESOCLINIC_HOME"] = str(target.home)
    os.environ["DATABASE_URL"] = target.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.config.settings")
    os.environ.setdefault("MESOCLINIC_STATIC_MANIFEST", "0")
    os.environ.setdefault("MESOCLINIC_LOG_LEVEL", "WARNING")
    if target.database == "postgresql":
        ensure_postgres_database(target.url)
    import django

    django.setup()
    # Tuned as the server's workers are (config/wsgi.py, mesoclinic.core.runtime).
    from mesoclinic.core.runtime import tune_long_lived_process

    tune_long_lived_process()


def machine() -> str:
    """A one-line description of the machine, for the results files."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f", {memory_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = ""
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
