"""Why an import, or one row of it, was refused (the ``code`` shown per row and in the
error envelope). Rows refused by another app's service keep that service's code
(``slot_unavailable``, ``client_busy``, ``invalid_birth_date`` …)."""

from __future__ import annotations

from enum import StrEnum


class ImportErrorCode(StrEnum):
    # The file and its mapping
    FILE_REQUIRED = "import_file_required"
    FILE_TOO_LARGE = "import_file_too_large"
    FILE_UNREADABLE = "import_file_unreadable"
    FILE_EMPTY = "import_file_empty"
    TOO_MANY_ROWS = "import_too_many_rows"
    UNKNOWN_KIND = "import_unknown_kind"
    UNKNOWN_SOURCE = "import_unknown_source"
    MAPPING_INCOMPLETE = "import_mapping_incomplete"
    MAPPING_INVALID = "import_mapping_invalid"
    WRONG_STATE = "import_wrong_state"
    RUN_NOT_FOUND = "import_run_not_found"
    # One row
    MISSING_VALUE = "missing_value"
    BAD_DATE = "bad_date"
    BAD_TIME = "bad_time"
    UNKNOWN_CLIENT = "unknown_client"
    UNKNOWN_TREATMENT = "unknown_treatment"
    UNKNOWN_PRACTITIONER = "unknown_practitioner"
    UNKNOWN_SITE = "unknown_site"
    APPOINTMENT_IN_PAST = "appointment_in_past"
    HISTORY_IN_FUTURE = "history_in_future"
    OVERLAPS_ROW = "overlaps_earlier_row"
    TEXT_TOO_LONG = "text_too_long"
    # Duplicates (not refusals: nothing is created, the row is reported)
    ALREADY_IMPORTED = "already_imported"
    EXISTING_CLIENT = "existing_client"
    DUPLICATE_IN_FILE = "duplicate_in_file"
