"""Importing clients, future appointments and treatment history: the dry run's report per
row, refusals with reasons, duplicates, idempotence, the background run and its progress,
and who may import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from mesoclinic.core import clock
from mesoclinic.core.errors import Conflict, InvalidInput, PermissionDenied, RuleRefused
from mesoclinic.core.models import AuditEntry
from mesoclinic.imports import selectors, services
from mesoclinic.imports.models import ImportedHistory, ImportedKey, ImportRun, RunStatus
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client
from mesoclinic.scheduling.models import Appointment

from .conftest import admin_user, by_line, csv_text, dry_run, imported, working_day

pytestmark = pytest.mark.usefixtures("demo")

CLIENT_HEADER = ["Contact ID", "First Name", "Last Name", "DOB", "Email", "Mobile"]


def clients_file() -> bytes:
    return csv_text(
        CLIENT_HEADER,
        ["P-1", "Ada", "Stone", "14/03/1985", "ada.stone@example.com", "07700 900001"],
        ["P-2", "Ben", "Okoro", "1990-07-02", "", ""],
        ["P-3", "", "Nameless", "01/01/1980", "", ""],
        ["P-4", "Cara", "Dune", "31/02/1980", "", ""],
        ["P-5", "Ada", "Stone", "14/03/1985", "", ""],
        ["P-1", "Ada", "Stone", "14/03/1985", "", ""],
        ["P-6", "Dee", "Future", "01/01/2999", "", ""],
        ["P-7", "Eve", "Mail", "01/01/1970", "not-an-email", ""],
    )


def test_the_dry_run_reports_each_row_and_creates_nothing():
    # given
    before = Client.objects.count()

    # when: a Pabau clients file goes through the dry run
    run = dry_run(clients_file(), kind="clients", source="pabau")

    # then: each line's outcome and reason, and no client or ledger row was written
    assert run.status == RunStatus.CHECKED
    assert run.percent == 100
    lines = by_line(run.dry_run_report)
    assert {line: (r["outcome"], r["code"]) for line, r in lines.items()} == {
        2: ("create", ""),
        3: ("create", ""),
        4: ("rejected", "missing_value"),
        5: ("rejected", "bad_date"),
        6: ("duplicate", "duplicate_in_file"),
        7: ("duplicate", "duplicate_in_file"),
        8: ("rejected", "invalid_birth_date"),
        9: ("rejected", "invalid_email"),
    }
    assert lines[4]["message"] == "The first name is missing."
    assert (
        lines[5]["message"] == "'31/02/1980' is not a date (write it as 31/01/2026 or 2026-01-31)."
    )
    assert lines[6]["message"] == "Line 2 of this file is the same person (name and date of birth)."
    assert lines[7]["message"] == "Line 2 of this file has the same id (P-1)."
    assert lines[2]["message"] == "Client Ada Stone"
    assert Client.objects.count() == before
    assert not ImportedKey.objects.exists()


def test_the_import_creates_what_the_dry_run_said_and_audits_every_write():
    # given
    before = Client.objects.count()

    # when
    run = imported(clients_file(), kind="clients", source="pabau")

    # then: the two good rows are clients, keyed in the ledger; the report matches the dry run
    assert run.status == RunStatus.IMPORTED
    assert Client.objects.count() == before + 2
    ada = Client.objects.get(given_name="Ada", family_name="Stone")
    assert (ada.birth_date, ada.email, ada.phone) == (
        dt.date(1985, 3, 14),
        "ada.stone@example.com",
        "07700 900001",
    )
    assert ImportedKey.objects.get(source="pabau", kind="clients", key="P-1").client == ada
    outcomes = [(r["outcome"], r["code"]) for r in run.import_report]
    assert outcomes == [
        ("created" if o == "create" else o, code)
        for o, code in ((r["outcome"], r["code"]) for r in run.dry_run_report)
    ]
    assert AuditEntry.objects.filter(action="client.create", client_id=ada.pk).count() == 1
    actions = list(
        AuditEntry.objects.filter(object_type="importrun", object_id=str(run.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "import.upload",
        "import.map",
        "import.dry_run",
        "import.start",
        "import.finish",
    ]
    assert run.text == ""


def test_importing_the_same_file_again_imports_nothing_twice():
    # given: the file was imported once
    imported(clients_file(), kind="clients", source="pabau")
    count = Client.objects.count()

    # when: the same file is imported again
    again = imported(clients_file(), kind="clients", source="pabau")

    # then: every row that was created before is a duplicate now; nothing new exists
    assert Client.objects.count() == count
    lines = by_line(again.import_report)
    assert (lines[2]["outcome"], lines[2]["code"]) == ("duplicate", "already_imported")
    assert (lines[3]["outcome"], lines[3]["code"]) == ("duplicate", "already_imported")
    assert not [r for r in again.import_report if r["outcome"] == "created"]


def test_an_existing_client_is_a_duplicate_by_name_and_birth_date_or_by_email():
    # given: clients already in the clinic
    existing = Client.objects.order_by("pk").first()
    other = Client.objects.exclude(email="").exclude(pk=existing.pk).order_by("pk").first()
    raw = csv_text(
        ["given_name", "family_name", "birth_date", "email"],
        [existing.given_name.upper(), existing.family_name, existing.birth_date.isoformat(), ""],
        ["Someone", "Else", "1980-01-01", other.email.upper()],
    )

    # when
    run = imported(raw, kind="clients")

    # then: both are reported as the existing clients, and linked in the ledger
    lines = by_line(run.import_report)
    assert (lines[2]["code"], lines[2]["client"]) == ("existing_client", existing.pk)
    assert (
        lines[2]["message"]
        == f"Client {existing.pk} has the same name and date of birth; not created again."
    )
    assert (lines[3]["code"], lines[3]["client"]) == ("existing_client", other.pk)
    assert ImportedKey.objects.filter(client=existing, source="other").count() == 1


def appointments_header() -> list[str]:
    return [
        "Appointment ID",
        "Contact ID",
        "Start Date",
        "Start Time",
        "Service",
        "Employee",
        "Location",
    ]


def test_future_appointments_go_through_the_booking_checks():
    # given: clients imported, a free morning with Dr Patel
    imported(clients_file(), kind="clients", source="pabau")
    day = working_day().strftime("%d/%m/%Y")
    past = (clock.today() - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    raw = csv_text(
        appointments_header(),
        ["A-1", "P-1", day, "10:00", "Face revitalise", "Dr Asha Patel", "london"],
        ["A-2", "P-2", day, "10:00", "face-revitalise", "dr-patel", "Mesoclinic London"],
        ["A-3", "P-2", past, "10:00", "Face revitalise", "dr-patel", ""],
        ["A-4", "P-9", day, "12:00", "Face revitalise", "dr-patel", ""],
        ["A-5", "P-2", day, "12:00", "Botox deluxe", "dr-patel", ""],
        ["A-6", "P-2", day, "12:00", "Face revitalise", "Dr Who", ""],
        ["A-7", "P-2", day, "12:00", "Face revitalise", "dr-patel", "Paris"],
        ["A-8", "P-2", day, "25:00", "Face revitalise", "dr-patel", ""],
        ["A-9", "P-2", day, "23:00", "Face revitalise", "dr-patel", ""],
        ["A-10", "P-2", day, "14:00", "Face revitalise", "", ""],
    )

    # when: the dry run, then the import
    run = dry_run(raw, kind="appointments", source="pabau")
    checked = {line: (r["outcome"], r["code"]) for line, r in by_line(run.dry_run_report).items()}
    services.import_start(actor=admin_user(), run=run)
    run_pending()
    run.refresh_from_db()

    # then: the second booking of Dr Patel at 10:00 overlaps the first, in both phases
    assert checked == {
        2: ("create", ""),
        3: ("rejected", "overlaps_earlier_row"),
        4: ("rejected", "appointment_in_past"),
        5: ("rejected", "unknown_client"),
        6: ("rejected", "unknown_treatment"),
        7: ("rejected", "unknown_practitioner"),
        8: ("rejected", "unknown_site"),
        9: ("rejected", "bad_date"),
        10: ("rejected", "outside_opening_hours"),
        11: ("create", ""),
    }
    done = {line: (r["outcome"], r["code"]) for line, r in by_line(run.import_report).items()}
    assert done[2] == ("created", "")
    assert done[3] == ("rejected", "slot_unavailable")
    assert done[11] == ("created", "")
    assert {k: v for k, v in done.items() if k not in (2, 3, 11)} == {
        k: v for k, v in checked.items() if k not in (2, 3, 11)
    }
    ada = Client.objects.get(given_name="Ada", family_name="Stone")
    booked = Appointment.objects.get(client=ada)
    assert (booked.practitioner.code, booked.notes) == ("dr-patel", "Imported from pabau.")
    assert booked.start.astimezone(booked.site.tzinfo).strftime("%d/%m/%Y %H:%M") == f"{day} 10:00"
    assert AuditEntry.objects.filter(action="appointment.book", client_id=ada.pk).count() == 1


def test_an_appointment_clashing_with_an_existing_booking_is_refused():
    # given: Ada is imported and booked with Dr Patel at 10:00 by a first import
    imported(clients_file(), kind="clients", source="pabau")
    day = working_day().strftime("%d/%m/%Y")
    imported(
        csv_text(
            appointments_header(), ["A-1", "P-1", day, "10:00", "Face revitalise", "dr-patel", ""]
        ),
        kind="appointments",
        source="pabau",
    )

    # when: another file books Ben with Dr Patel at the same time
    run = dry_run(
        csv_text(
            appointments_header(), ["X-1", "P-2", day, "10:00", "Face revitalise", "dr-patel", ""]
        ),
        kind="appointments",
        source="pabau",
    )

    # then
    (line,) = run.dry_run_report
    assert (line["outcome"], line["code"]) == ("rejected", "slot_unavailable")
    assert "Dr Asha Patel" in line["message"]


def test_history_goes_in_as_imported_entries_not_clinical_records():
    # given
    imported(clients_file(), kind="clients", source="pabau")
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    raw = csv_text(
        ["Treatment ID", "Contact ID", "Date", "Service", "Employee", "Notes", "Product"],
        [
            "H-1",
            "P-1",
            "12/05/2024",
            "Face revitalise",
            "Jane Doe",
            "Mild redness",
            "Product X 2 ml",
        ],
        ["H-2", "P-1", future, "Face revitalise", "", "", ""],
        ["H-3", "P-1", "12/05/2024", "Laser", "", "", ""],
        ["H-4", "P-1", "not a date", "Face revitalise", "", "", ""],
    )

    # when
    run = imported(raw, kind="history", source="pabau")

    # then
    codes = [r["code"] for r in run.import_report]
    assert codes == ["", "history_in_future", "unknown_treatment", "bad_date"]
    ada = Client.objects.get(given_name="Ada", family_name="Stone")
    (entry,) = ImportedHistory.objects.filter(client=ada)
    assert (entry.treated_on, entry.treatment.code, entry.practitioner_name) == (
        dt.date(2024, 5, 12),
        "face-revitalise",
        "Jane Doe",
    )
    assert (entry.notes, entry.product, entry.source) == ("Mild redness", "Product X 2 ml", "pabau")
    assert not ada.treatment_records.exists()
    assert AuditEntry.objects.filter(action="import.history", client_id=ada.pk).count() == 1


def test_imported_history_is_read_by_practitioners_only_and_the_read_is_audited():
    imported(clients_file(), kind="clients", source="pabau")
    imported(
        csv_text(["Contact ID", "Date", "Service"], ["P-1", "2024-05-12", "Face revitalise"]),
        kind="history",
        source="pabau",
    )
    ada = Client.objects.get(given_name="Ada", family_name="Stone")
    users = get_user_model().objects
    with pytest.raises(PermissionDenied):
        selectors.imported_history_view(actor=users.get(username="admin"), client=ada)
    entries = selectors.imported_history_view(actor=users.get(username="dr-patel"), client=ada)
    assert [entry.treatment.code for entry in entries] == ["face-revitalise"]
    assert AuditEntry.objects.filter(action="import.history_view", client_id=ada.pk).count() == 1


def test_the_background_run_reports_progress_until_done():
    # given: the dry run is queued, not yet run by the worker
    actor = admin_user()
    run = services.import_upload(
        actor=actor, kind="clients", source="pabau", filename="c.csv", raw=clients_file()
    )
    services.import_map(actor=actor, run=run, mapping=services_prefill(run))
    run.refresh_from_db()
    queued = selectors.import_progress(run=run)

    # when: the worker runs it
    assert run_pending() == 1
    run.refresh_from_db()

    # then
    assert (queued["status"], queued["percent"], queued["running"]) == ("check_queued", 0, True)
    assert selectors.import_progress(run=run) == {
        "id": run.pk,
        "status": "checked",
        "status_label": "Dry run done",
        "phase": "dry_run",
        "processed": 8,
        "total": 8,
        "percent": 100,
        "running": False,
        "error": "",
    }
    assert run_pending() == 0  # nothing left, and a second delivery would do nothing


def services_prefill(run: ImportRun) -> dict[str, str]:
    from mesoclinic.imports.fields import prefill

    return prefill(run.kind, run.source, run.header)


def test_a_run_is_imported_once_and_only_after_its_dry_run():
    actor = admin_user()
    run = services.import_upload(
        actor=actor, kind="clients", source="pabau", filename="c.csv", raw=clients_file()
    )
    with pytest.raises(Conflict) as early:
        services.import_start(actor=actor, run=run)
    services.import_map(actor=actor, run=run, mapping=services_prefill(run))
    run_pending()
    services.import_start(actor=actor, run=run)
    with pytest.raises(Conflict) as twice:
        services.import_start(actor=actor, run=run)
    assert early.value.code == twice.value.code == "import_wrong_state"


def test_an_incomplete_mapping_is_refused_with_what_is_missing():
    actor = admin_user()
    run = services.import_upload(
        actor=actor, kind="clients", source="other", filename="c.csv", raw=clients_file()
    )
    with pytest.raises(RuleRefused) as refused:
        services.import_map(actor=actor, run=run, mapping={"First Name": "given_name"})
    assert refused.value.code == "import_mapping_incomplete"
    assert refused.value.details["problems"] == [
        "Choose the column holding 'Client last name'.",
        "Choose the column holding 'Client date of birth'.",
    ]
    with pytest.raises(InvalidInput):
        services.import_map(actor=actor, run=run, mapping={"Nope": "given_name"})


def test_an_unreadable_file_is_refused_at_upload():
    with pytest.raises(InvalidInput) as refused:
        services.import_upload(
            actor=admin_user(), kind="clients", source="pabau", filename="x.csv", raw=b"A,B\n"
        )
    assert (refused.value.code, refused.value.message) == (
        "import_file_unreadable",
        "The file has a header but no rows.",
    )
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize("username", ["reception", "nurse-lewis", "dr-patel"])
def test_only_administrators_may_import(username):
    user = get_user_model().objects.get(username=username)
    with pytest.raises(PermissionDenied) as refused:
        services.import_upload(
            actor=user, kind="clients", source="pabau", filename="c.csv", raw=clients_file()
        )
    assert refused.value.code == "admin_access_required"


def test_the_client_page_shows_imported_history_to_a_practitioner_only():
    from django.test import Client as Browser

    imported(clients_file(), kind="clients", source="pabau")
    imported(
        csv_text(
            ["Contact ID", "Date", "Service", "Notes"],
            ["P-1", "2024-05-12", "Face revitalise", "Old system note"],
        ),
        kind="history",
        source="pabau",
    )
    ada = Client.objects.get(given_name="Ada", family_name="Stone")

    def page_as(username: str) -> str:
        browser = Browser()
        assert browser.login(username=username, password="mesoclinic-demo")
        return browser.get(f"/clients/{ada.pk}/").content.decode()

    practitioner_page = page_as("dr-patel")
    assert "Imported history" in practitioner_page
    assert "Old system note" in practitioner_page
    assert AuditEntry.objects.filter(action="import.history_view", client_id=ada.pk).count() == 1
    reception_page = page_as("reception")
    assert "Imported history" not in reception_page
    assert "Old system note" not in reception_page
