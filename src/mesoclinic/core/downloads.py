"""Safe downloads: CSV cells that spreadsheets will not run, and safe file names.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula, so a client named ``=HYPERLINK(…)`` in a
recall CSV would run when the file is opened (CSV/formula injection, OWASP). Every CSV
writer goes through :func:`csv_writer`, which prefixes such text cells with a single quote:
spreadsheets show the text as written and run nothing. Numbers are written as numbers.

A ``Content-Disposition`` file name built from data (a lot number, a code) could carry
quotes, slashes or line breaks; :func:`attachment` keeps it to a safe set of characters.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

from django.http import HttpResponse
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_DASHES = re.compile(r"-{2,}")


def csv_safe(value: Any) -> Any:
    """The cell as a spreadsheet should see it: text that would start a formula gets a
    leading ``'``; everything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """``csv.writer`` whose every text cell passes through :func:`csv_safe`."""

    def __init__(self, target: _Writable) -> None:
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, neutralising formula-like cells."""
        self._writer.writerow([csv_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows, each through :meth:`writerow`."""
        for row in rows:
            self.writerow(row)


def csv_writer(target: _Writable) -> SafeCsvWriter:
    """The one CSV writer for exports (see the module docstring for why)."""
    return SafeCsvWriter(target)


def safe_filename(name: str, *, default: str = "download") -> str:
    """``name`` reduced to letters, digits, ``.``, ``_`` and ``-`` (runs of anything else
    become one ``-``), without leading or trailing dots and dashes, at most 100 characters."""
    cleaned = _DASHES.sub("-", _UNSAFE_NAME.sub("-", name)).strip("-.")[:100]
    return cleaned or default


def attachment(response: HttpResponse, filename: str, *, inline: bool = False) -> HttpResponse:
    """Set ``response``'s Content-Disposition to a safe file name; returns the response."""
    header = content_disposition_header(not inline, safe_filename(filename))
    response["Content-Disposition"] = header or ("inline" if inline else "attachment")
    return response
