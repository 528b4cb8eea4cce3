"""The import pages: upload, the mapping a preset pre-fills, the dry run's report, the
import with its progress, and who may use them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from tests.web.staff import staff_login

from mesoclinic.imports.models import ImportRun, RunStatus
from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client

from .conftest import csv_text

pytestmark = pytest.mark.usefixtures("demo")

CONSENTZ = csv_text(
    ["Client Id", "Forename", "Surname", "Date Of Birth", "Email Address", "Notes"],
    ["C-1", "Ivy", "Quinn", "02/02/1992", "ivy.quinn@example.com", "likes mornings"],
    ["C-2", "", "Nobody", "02/02/1992", "", ""],
)


def upload(browser, raw=CONSENTZ, *, kind="clients", source="consentz"):
    return browser.post(
        "/settings/import/",
        {"kind": kind, "source": source, "file": SimpleUploadedFile("export.csv", raw)},
    )


def test_the_settings_page_links_to_the_import():
    page = staff_login("admin").get("/settings/").content.decode()
    assert 'href="/settings/import/"' in page


def test_upload_shows_the_columns_with_the_presets_choices_and_examples():
    # given
    browser = staff_login("admin")

    # when
    response = upload(browser)

    # then: the mapping page, pre-filled from the Consentz preset; Notes is left out
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/settings/import/{run.pk}/"
    page = browser.get(response["Location"]).content.decode()
    selected = dict(
        re.findall(
            r'<label for="id_column_\d+">([^<]+)</label>.*?<option value="([a-z_]*)"[^>]*selected',
            page,
            re.S,
        )
    )
    assert selected == {
        "Client Id": "external_id",
        "Forename": "given_name",
        "Surname": "family_name",
        "Date Of Birth": "birth_date",
        "Email Address": "email",
        "Notes": "",
    }
    assert "Ivy; —" in page  # the first rows' values as examples


def test_a_file_that_is_not_csv_is_refused_on_the_form():
    response = upload(staff_login("admin"), raw=b"\x00\x01binary")
    assert response.status_code == 400
    assert "This is not a CSV file (it holds binary data)." in response.content.decode()


def test_mapping_queues_the_dry_run_and_the_page_shows_progress_then_the_report():
    # given
    browser = staff_login("admin")
    run_url = upload(browser)["Location"]
    mapping = {
        f"column_{i}": field
        for i, field in enumerate(
            ["external_id", "given_name", "family_name", "birth_date", "email", ""]
        )
    }

    # when: the mapping is sent
    response = browser.post(run_url, mapping)
    queued = browser.get(run_url).content.decode()
    status = browser.get(run_url + "status.json").json()
    run_pending()
    done = browser.get(run_url).content.decode()

    # then: a progress bar while queued (polled by htmx), the report once the worker ran
    assert response.status_code == 302
    assert '<progress id="import-progress-bar" max="100" value="0"' in queued
    assert 'hx-trigger="every 1s"' in queued
    assert (status["status"], status["percent"], status["total"]) == ("check_queued", 0, 2)
    assert '<progress id="import-progress-bar" max="100" value="100"' in done
    assert "2 of 2 rows (100 %)" in done
    assert "The first name is missing." in done  # refused rows are shown first
    assert "Import 1 row</button>" in done
    assert "Ivy; —" in done  # the examples stay beside the mapping, to change it


def test_an_incomplete_mapping_says_what_is_missing():
    browser = staff_login("admin")
    run_url = upload(browser)["Location"]
    response = browser.post(run_url, {"column_0": "external_id", "column_1": "given_name"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose the column holding &#x27;Client last name&#x27;." in page
    assert ImportRun.objects.get().status == RunStatus.MAPPING


def test_the_import_runs_in_the_background_and_the_progress_fragment_asks_for_a_reload():
    # given: a checked file
    browser = staff_login("admin")
    run_url = upload(browser)["Location"]
    fields = ["external_id", "given_name", "family_name", "birth_date", "email", ""]
    browser.post(run_url, {f"column_{i}": f for i, f in enumerate(fields)})
    run_pending()
    before = Client.objects.count()

    # when: the import is started, and the worker runs it
    browser.post(run_url + "start/")
    polling = browser.get(run_url + "progress/", headers={"HX-Request": "true"})
    run_pending()
    finished = browser.get(run_url + "progress/", headers={"HX-Request": "true"})

    # then
    assert "HX-Refresh" not in polling
    assert "0 of 2 rows (0 %)" in polling.content.decode()
    assert finished["HX-Refresh"] == "true"
    assert "2 of 2 rows (100 %)" in finished.content.decode()
    assert Client.objects.count() == before + 1
    page = browser.get(run_url + "?show=created").content.decode()
    assert "What the import did" in page
    assert "Client Ivy Quinn" in page


@pytest.mark.parametrize("username", ["reception", "nurse-lewis", "dr-patel"])
def test_reception_and_practitioners_are_refused(username):
    # given: an upload by the administrator
    run_url = upload(staff_login("admin"))["Location"]
    browser = staff_login(username)

    # when / then: every import page is refused, and nothing is uploaded or started
    assert browser.get("/settings/import/").status_code == 403
    assert upload(browser).status_code == 403
    assert browser.get(run_url).status_code == 403
    assert browser.post(run_url + "start/").status_code == 403
    assert browser.get(run_url + "status.json").status_code == 403
    assert ImportRun.objects.count() == 1


def test_an_unknown_run_is_a_404():
    assert staff_login("admin").get("/settings/import/999999/").status_code == 404
