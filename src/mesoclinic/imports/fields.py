"""What an import file can hold, and the presets that map other systems' column names.

Pure data and functions (no Django): the three kinds of file, the mesoclinic fields each
kind can fill, which of them are required, and one preset per source system naming the
columns its export is *assumed* to have. The column names of Pabau, Cliniko, Aesthetic
Record and Consentz are assumptions made without seeing real exports (docs/import.md lists
them); a preset only pre-fills the mapping, which the administrator checks and changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What one file holds."""

    CLIENTS = "clients"
    APPOINTMENTS = "appointments"
    HISTORY = "history"


KIND_LABELS = {
    Kind.CLIENTS: "Clients",
    Kind.APPOINTMENTS: "Future appointments",
    Kind.HISTORY: "Past treatment history",
}


@dataclass(frozen=True, slots=True)
class Field:
    """A mesoclinic field a column can be mapped to."""

    code: str
    label: str


EXTERNAL_ID = Field("external_id", "Record id in the old system")
CLIENT_EXTERNAL_ID = Field("client_external_id", "Client id in the old system")
GIVEN_NAME = Field("given_name", "Client first name")
FAMILY_NAME = Field("family_name", "Client last name")
BIRTH_DATE = Field("birth_date", "Client date of birth")
EMAIL = Field("email", "Client email")
PHONE = Field("phone", "Client phone")
START = Field("start", "Appointment start (date and time, or the date)")
START_TIME = Field("start_time", "Appointment start time (when in its own column)")
TREATMENT = Field("treatment", "Treatment")
PRACTITIONER = Field("practitioner", "Practitioner")
SITE = Field("site", "Site")
DATE = Field("date", "Date treated")
NOTES = Field("notes", "Notes")
PRODUCT = Field("product", "Product used")

FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.CLIENTS: (EXTERNAL_ID, GIVEN_NAME, FAMILY_NAME, BIRTH_DATE, EMAIL, PHONE),
    Kind.APPOINTMENTS: (
        EXTERNAL_ID,
        CLIENT_EXTERNAL_ID,
        GIVEN_NAME,
        FAMILY_NAME,
        BIRTH_DATE,
        EMAIL,
        START,
        START_TIME,
        TREATMENT,
        PRACTITIONER,
        SITE,
    ),
    Kind.HISTORY: (
        EXTERNAL_ID,
        CLIENT_EXTERNAL_ID,
        GIVEN_NAME,
        FAMILY_NAME,
        BIRTH_DATE,
        EMAIL,
        DATE,
        TREATMENT,
        PRACTITIONER,
        NOTES,
        PRODUCT,
    ),
}

REQUIRED: dict[Kind, frozenset[str]] = {
    Kind.CLIENTS: frozenset({"given_name", "family_name", "birth_date"}),
    Kind.APPOINTMENTS: frozenset({"start", "treatment"}),
    Kind.HISTORY: frozenset({"date", "treatment"}),
}

CLIENT_KEYS: tuple[frozenset[str], ...] = (
    frozenset({"client_external_id"}),
    frozenset({"given_name", "family_name", "birth_date"}),
    frozenset({"email"}),
)
"""Appointments and history name their client by one of these sets of columns at least."""


def field_codes(kind: Kind) -> list[str]:
    """The field codes a column of a ``kind`` file may be mapped to."""
    return [field.code for field in FIELDS[kind]]


def mapping_problems(kind: Kind, mapping: Mapping[str, str]) -> list[str]:
    """What is wrong with ``mapping`` (column → field code) for a ``kind`` file, in words;
    empty when it can be used."""
    allowed = set(field_codes(kind))
    problems = [
        f"{column!r} is mapped to {field!r}, which a {kind.value} file does not have."
        for column, field in mapping.items()
        if field and field not in allowed
    ]
    used = [field for field in mapping.values() if field]
    problems += [
        f"More than one column is mapped to {label_of(field)!r}."
        for field in sorted({field for field in used if used.count(field) > 1})
    ]
    chosen = set(used)
    problems += [
        f"Choose the column holding {label_of(field)!r}."
        for field in field_codes(kind)
        if field in REQUIRED[kind] and field not in chosen
    ]
    if kind != Kind.CLIENTS and not any(keys <= chosen for keys in CLIENT_KEYS):
        problems.append(
            "Choose the columns that name the client: their id in the old system, or first "
            "name, last name and date of birth, or their email."
        )
    return problems


def label_of(code: str) -> str:
    for fields in FIELDS.values():
        for field in fields:
            if field.code == code:
                return field.label
    return code


# --- Presets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preset:
    """A source system and the column names its exports are assumed to use, per kind."""

    code: str
    name: str
    columns: Mapping[Kind, Mapping[str, str]]  # field code → the column name assumed


PRESETS: tuple[Preset, ...] = (
    Preset(
        code="pabau",
        name="Pabau",
        columns={
            Kind.CLIENTS: {
                "external_id": "Contact ID",
                "given_name": "First Name",
                "family_name": "Last Name",
                "birth_date": "DOB",
                "email": "Email",
                "phone": "Mobile",
            },
            Kind.APPOINTMENTS: {
                "external_id": "Appointment ID",
                "client_external_id": "Contact ID",
                "given_name": "First Name",
                "family_name": "Last Name",
                "birth_date": "DOB",
                "email": "Email",
                "start": "Start Date",
                "start_time": "Start Time",
                "treatment": "Service",
                "practitioner": "Employee",
                "site": "Location",
            },
            Kind.HISTORY: {
                "external_id": "Treatment ID",
                "client_external_id": "Contact ID",
                "date": "Date",
                "treatment": "Service",
                "practitioner": "Employee",
                "notes": "Notes",
                "product": "Product",
            },
        },
    ),
    Preset(
        code="cliniko",
        name="Cliniko",
        columns={
            Kind.CLIENTS: {
                "external_id": "Patient ID",
                "given_name": "First name",
                "family_name": "Last name",
                "birth_date": "Date of birth",
                "email": "Email",
                "phone": "Mobile phone",
            },
            Kind.APPOINTMENTS: {
                "external_id": "Appointment ID",
                "client_external_id": "Patient ID",
                "given_name": "First name",
                "family_name": "Last name",
                "start": "Appointment start",
                "treatment": "Appointment type",
                "practitioner": "Practitioner",
                "site": "Business",
            },
            Kind.HISTORY: {
                "external_id": "Treatment note ID",
                "client_external_id": "Patient ID",
                "date": "Appointment date",
                "treatment": "Appointment type",
                "practitioner": "Practitioner",
                "notes": "Treatment note",
                "product": "Products",
            },
        },
    ),
    Preset(
        code="aesthetic-record",
        name="Aesthetic Record",
        columns={
            Kind.CLIENTS: {
                "external_id": "Patient ID",
                "given_name": "Firstname",
                "family_name": "Lastname",
                "birth_date": "Date of Birth",
                "email": "Email",
                "phone": "Phone",
            },
            Kind.APPOINTMENTS: {
                "external_id": "Appointment ID",
                "client_external_id": "Patient ID",
                "start": "Appointment Date",
                "start_time": "Appointment Time",
                "treatment": "Service",
                "practitioner": "Provider",
                "site": "Clinic",
            },
            Kind.HISTORY: {
                "external_id": "Procedure ID",
                "client_external_id": "Patient ID",
                "date": "Procedure Date",
                "treatment": "Procedure Name",
                "practitioner": "Provider",
                "notes": "Notes",
                "product": "Products Used",
            },
        },
    ),
    Preset(
        code="consentz",
        name="Consentz",
        columns={
            Kind.CLIENTS: {
                "external_id": "Client Id",
                "given_name": "Forename",
                "family_name": "Surname",
                "birth_date": "Date Of Birth",
                "email": "Email Address",
                "phone": "Mobile Number",
            },
            Kind.APPOINTMENTS: {
                "external_id": "Appointment Id",
                "client_external_id": "Client Id",
                "start": "Start",
                "treatment": "Treatment",
                "practitioner": "Practitioner",
                "site": "Clinic",
            },
            Kind.HISTORY: {
                "external_id": "Treatment Id",
                "client_external_id": "Client Id",
                "date": "Treatment Date",
                "treatment": "Treatment",
                "practitioner": "Practitioner",
                "notes": "Notes",
                "product": "Products",
            },
        },
    ),
    Preset(
        code="other",
        name="Another system (map every column yourself)",
        columns={kind: {code: code for code in field_codes(kind)} for kind in Kind},
    ),
)
PRESETS_BY_CODE = {preset.code: preset for preset in PRESETS}


def _folded(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


def prefill(kind: Kind, preset_code: str, header: Sequence[str]) -> dict[str, str]:
    """The mapping a preset suggests for ``header``: column → field code ('' to leave a
    column out). Column names are compared without case and extra spaces; a column whose
    name is a mesoclinic field code (``given_name``) maps to it under every preset."""
    preset = PRESETS_BY_CODE.get(preset_code)
    wanted = {
        _folded(column): field
        for field, column in (preset.columns.get(kind, {}) if preset else {}).items()
    }
    codes = {_folded(code): code for code in field_codes(kind)}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        field = wanted.get(_folded(column)) or codes.get(_folded(column), "")
        if field in taken:
            field = ""
        mapping[column] = field
        if field:
            taken.add(field)
    return mapping
