"""Refusal codes of the reports (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class ReportErrorCode(StrEnum):
    INVALID_RANGE = "invalid_range"
    UNKNOWN_SITE = "unknown_site"
