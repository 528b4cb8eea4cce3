"""The pure parts of an import: presets pre-fill the mapping, a mapping is checked, and
dates, times and CSV files are read (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.imports.fields import PRESETS, Kind, mapping_problems, prefill
from mesoclinic.imports.parsing import (
    FileProblem,
    decode,
    first_rows,
    parse_date,
    parse_local_start,
    parse_time,
    read_table,
    row_key,
)


def test_the_pabau_preset_maps_its_assumed_client_columns_and_leaves_others_out():
    # given: a header as Pabau's client export is assumed to write it, plus an extra column
    header = ["Contact ID", "first name", "Last  Name", "DOB", "Email", "Mobile", "Loyalty"]

    # when
    mapping = prefill(Kind.CLIENTS, "pabau", header)

    # then: names compared without case or extra spaces; the unknown column is left out
    assert mapping == {
        "Contact ID": "external_id",
        "first name": "given_name",
        "Last  Name": "family_name",
        "DOB": "birth_date",
        "Email": "email",
        "Mobile": "phone",
        "Loyalty": "",
    }


@pytest.mark.parametrize("preset", PRESETS, ids=lambda preset: preset.code)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_preset_fills_a_complete_mapping_from_its_own_columns(preset, kind):
    # given: a file with exactly the columns the preset assumes
    header = list(preset.columns[kind].values())

    # when
    mapping = prefill(kind, preset.code, header)

    # then: every assumed column is mapped to its field and the mapping can be used
    assert mapping == {column: field for field, column in preset.columns[kind].items()}
    assert mapping_problems(kind, mapping) == []


def test_cliniko_appointments_use_one_start_column_and_aesthetic_record_two():
    cliniko = prefill(Kind.APPOINTMENTS, "cliniko", ["Appointment start", "Appointment type"])
    record = prefill(
        Kind.APPOINTMENTS, "aesthetic-record", ["Appointment Date", "Appointment Time"]
    )
    assert cliniko == {"Appointment start": "start", "Appointment type": "treatment"}
    assert record == {"Appointment Date": "start", "Appointment Time": "start_time"}


def test_field_codes_as_column_names_map_under_any_preset():
    assert prefill(Kind.CLIENTS, "consentz", ["given_name", "Surname"]) == {
        "given_name": "given_name",
        "Surname": "family_name",
    }


def test_a_mapping_without_required_fields_or_a_client_says_what_is_missing():
    problems = mapping_problems(Kind.HISTORY, {"When": "date", "Notes": "notes"})
    assert problems == [
        "Choose the column holding 'Treatment'.",
        "Choose the columns that name the client: their id in the old system, or first "
        "name, last name and date of birth, or their email.",
    ]


def test_a_field_mapped_twice_or_foreign_to_the_kind_is_a_problem():
    problems = mapping_problems(
        Kind.CLIENTS,
        {"A": "given_name", "B": "given_name", "C": "family_name", "D": "birth_date", "E": "notes"},
    )
    assert problems == [
        "'E' is mapped to 'notes', which a clients file does not have.",
        "More than one column is mapped to 'Client first name'.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31", dt.date(2026, 1, 31)),
        ("31/01/2026", dt.date(2026, 1, 31)),
        ("31-01-2026", dt.date(2026, 1, 31)),
        ("31.01.2026", dt.date(2026, 1, 31)),
        ("1/2/1990", dt.date(1990, 2, 1)),
        ("2026-01-31T10:00:00", dt.date(2026, 1, 31)),
        ("31/01/2026 14:30", dt.date(2026, 1, 31)),
    ],
)
def test_dates_are_read_iso_or_day_first(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["01/31/2026", "31/02/2026", "yesterday", "2026-13-01", ""])
def test_a_date_that_is_not_one_is_refused_with_the_text_in_the_message(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14:30", dt.time(14, 30)), ("9:05:00", dt.time(9, 5)), ("2:30 PM", dt.time(14, 30))],
)
def test_times_are_read_24_hour_or_am_pm(text, expected):
    assert parse_time(text) == expected


def test_a_start_is_one_column_or_a_date_and_a_time_column():
    assert parse_local_start("31/01/2026 14:30", None) == (
        dt.date(2026, 1, 31),
        dt.time(14, 30),
    )
    assert parse_local_start("2026-01-31", "09:00") == (dt.date(2026, 1, 31), dt.time(9))
    with pytest.raises(ValueError, match="has no time of day"):
        parse_local_start("2026-01-31", None)
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_local_start("2026-01-31", "25:00")


def test_a_semicolon_file_with_a_bom_and_blank_lines_is_read():
    table = read_table(decode("\ufeffA;B\r\n1;2\r\n\r\n3\r\n".encode()))
    assert table.header == ("A", "B")
    assert table.rows == (("1", "2"), ("3", ""))


def test_the_examples_are_the_first_rows_as_the_whole_read_gives_them():
    text = decode("\ufeffA;B;C\r\n1;2\r\n\r\n3;4;5;\r\n6;7;8\r\n".encode())
    assert first_rows(text, 2) == read_table(text).rows[:2] == (("1", "2", ""), ("3", "4", "5"))
    assert first_rows(text, 10) == read_table(text).rows


def test_windows_1252_text_is_read():
    assert read_table(decode("Name\nZoë\n".encode("cp1252"))).rows == (("Zoë",),)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"A,B\n", "no rows"),
        (b"A,A\n1,2\n", "same name"),
        (b"A,B\n1,2,3\n", "Line 2 has 3 values"),
        (b"\x89PNG\x00\x00", "binary"),
    ],
)
def test_files_that_are_not_usable_csv_are_refused_in_words(raw, message):
    with pytest.raises(FileProblem, match=message):
        read_table(decode(raw))


def test_a_row_key_ignores_case_and_field_order():
    assert row_key({"a": "X", "b": "y"}) == row_key({"b": "Y", "a": "x"})
    assert row_key({"a": "x"}) != row_key({"a": "x", "b": ""})
