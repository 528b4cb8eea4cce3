"""Reading an import file: CSV text to a header and rows, and the dates and times in it.

Pure (no Django). Dates are read day first, as UK systems write them (``31/01/2026``,
``31-01-2026``, ``31.01.2026``) or ISO (``2026-01-31``); a time may follow (``14:30``,
``14:30:00``, ``2:30 PM``, or ISO's ``T14:30``). A US month-first date is not guessed at:
``01/31/2026`` is refused as a bad date rather than read wrongly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
DELIMITERS = ",;\t"

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?")


class FileProblem(ValueError):
    """The file cannot be read as CSV (the message says why, in words)."""


@dataclass(frozen=True, slots=True)
class Table:
    """A CSV file's header and its rows (each a tuple as long as the header)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def decode(raw: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without a byte-order mark), else Windows-1252
    (what spreadsheet programs on Windows save)."""
    if len(raw) > MAX_FILE_BYTES:
        raise FileProblem(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in raw:
        raise FileProblem("This is not a CSV file (it holds binary data).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _records(lines: str) -> Iterator[list[str]]:
    """CSV records, with the delimiter (comma, semicolon or tab) the header line uses most."""
    delimiter = max(DELIMITERS, key=lines.split("\n", 1)[0].count)
    return csv.reader(io.StringIO(lines), delimiter=delimiter)


def first_rows(text: str, count: int) -> tuple[tuple[str, ...], ...]:
    """The first ``count`` rows under the header, padded or cut to its width: examples
    for the mapping page, without reading the whole file again (``read_table`` did, once,
    when it was uploaded)."""
    records = (row for row in _records(text.lstrip("\ufeff")) if row)
    width = len(next(records, []))
    return tuple(tuple((row + [""] * width)[:width]) for row in itertools.islice(records, count))


def read_table(text: str) -> Table:
    """Split CSV ``text`` into a header and rows. The delimiter (comma, semicolon or tab) is
    the one the header line uses most; blank lines are skipped; short rows are padded and
    long ones refused."""
    lines = text.lstrip("\ufeff")
    try:
        records = [row for row in _records(lines) if row]
    except csv.Error as error:
        raise FileProblem(f"The file is not valid CSV: {error}.") from None
    if not records:
        raise FileProblem("The file is empty.")
    header = tuple(" ".join(column.split()) for column in records[0])
    if not any(header):
        raise FileProblem("The first line must name the columns.")
    if len(set(header)) != len(header):
        raise FileProblem("Two columns have the same name in the first line.")
    body = records[1:]
    if not body:
        raise FileProblem("The file has a header but no rows.")
    if len(body) > MAX_ROWS:
        raise FileProblem(f"The file has {len(body)} rows; at most {MAX_ROWS} at a time.")
    width = len(header)
    rows = []
    for number, row in enumerate(body, start=2):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise FileProblem(
                f"Line {number} has {len(row)} values but the header names {width} columns."
            )
        rows.append(tuple((row + [""] * width)[:width]))
    return Table(header=header, rows=tuple(rows))


def mapped(table_header: Sequence[str], row: Sequence[str], mapping: Mapping[str, str]) -> dict:
    """One row as ``{field code: stripped text}`` for the mapped columns."""
    values: dict[str, str] = {}
    for column, cell in zip(table_header, row, strict=True):
        field = mapping.get(column, "")
        if field:
            values[field] = " ".join(cell.split())
    return values


def row_key(values: Mapping[str, str]) -> str:
    """A stable digest of a row's mapped values (the key of a row without an id)."""
    canonical = json.dumps({k: v.casefold() for k, v in sorted(values.items())}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_date(text: str) -> dt.date:
    """A date written ISO or day first; ``ValueError`` with a message otherwise. A time
    after the date is allowed and ignored."""
    text = text.strip()
    match = _ISO_DATE.match(text)
    try:
        if match:
            year, month, day = (int(part) for part in match.groups())
            rest = text[match.end() :]
        else:
            match = _DAY_FIRST.match(text)
            if not match:
                raise ValueError
            day, month, year = (int(part) for part in match.groups())
            rest = text[match.end() :]
        if rest and rest[0] not in " T":
            raise ValueError
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date (write it as 31/01/2026 or 2026-01-31)."
        ) from None


def parse_time(text: str) -> dt.time:
    """A time of day (``14:30``, ``14:30:00``, ``2:30 PM``); ``ValueError`` otherwise."""
    text = text.strip()
    match = _TIME.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day (write it as 14:30).")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"{text!r} is not a time of day.")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day (write it as 14:30).") from None


def parse_local_start(date_text: str, time_text: str | None) -> tuple[dt.date, dt.time]:
    """The local date and time an appointment starts: from one column holding both, or
    the date column and its own time column. ``ValueError`` with a message otherwise."""
    day = parse_date(date_text)
    if time_text is not None:
        return day, parse_time(time_text)
    text = date_text.strip()
    split = max(text.find(" "), text.find("T"))
    if split < 0:
        raise ValueError(f"{text!r} has no time of day (write it as 31/01/2026 14:30).")
    return day, parse_time(text[split + 1 :])
