"""Refusal codes of the people app (the ``code`` of the error envelope)."""

from __future__ import annotations

from enum import StrEnum


class PeopleErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    INVALID_BIRTH_DATE = "invalid_birth_date"
    INVALID_SEX = "invalid_sex"
    INVALID_EMAIL = "invalid_email"
    MERGE_REFUSED = "merge_refused"
    LAST_ADMIN = "last_admin"
    OWN_ACCOUNT = "own_account"
    USERNAME_TAKEN = "username_taken"
    INVALID_ROLE = "invalid_role"
    PRACTITIONER_TAKEN = "practitioner_taken"
    HOURS_OVERLAP = "hours_overlap"
