"""Importing a clinic in a browser: an owner uploads a Pabau clients export, checks the
pre-filled mapping, reads the dry run's report and imports, the progress bar reaching 100 %."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import screenshot
from tests.e2e.test_accessibility import _violations

from mesoclinic.messaging.worker import run_pending
from mesoclinic.people.models import Client

pytestmark = pytest.mark.e2e

PABAU_CLIENTS = (
    b"Contact ID,First Name,Last Name,DOB,Email,Mobile,Loyalty points\n"
    b"P-1,Nia,Fairweather,14/03/1985,nia.fairweather@example.com,07700 900111,120\n"
    b"P-2,Owen,Marsh,02/07/1990,,,0\n"
    b"P-3,,Nameless,01/01/1980,,,0\n"
)


def test_an_owner_imports_clients_from_a_pabau_export(login, live_url):
    # given: the owner on the import page, reached from the settings
    before = Client.objects.count()
    page = login("admin")
    page.click("nav[aria-label=Main] >> text=Settings")
    page.get_by_role("link", name="Import a clinic").click()
    page.wait_for_url(live_url("/settings/import/"))

    # when: a Pabau clients file is uploaded
    page.get_by_label("What the file holds").select_option("clients")
    page.get_by_label("The system it comes from").select_option("pabau")
    page.set_input_files(
        "#id_file",
        files=[{"name": "pabau-clients.csv", "mimeType": "text/csv", "buffer": PABAU_CLIENTS}],
    )
    page.get_by_role("button", name="Upload and map the columns").click()

    # then: each column has the field the preset assumed; the extra column is left out
    assert page.get_by_label("First Name").input_value() == "given_name"
    assert page.get_by_label("DOB").input_value() == "birth_date"
    assert page.get_by_label("Loyalty points").input_value() == ""
    assert _violations(page) == []
    screenshot(page, "staff-import-mapping")

    # when: the dry run is asked for and the worker runs it
    page.get_by_role("button", name="Run the dry run").click()
    page.wait_for_selector("#import-progress-bar")
    run_pending()

    # then: the page follows to the report: one refused row, with its reason
    page.wait_for_selector("#import-report")
    assert "The first name is missing." in page.locator("#import-report").inner_text()
    assert "Refused: 1" in page.locator("#import-counts").inner_text()
    assert Client.objects.count() == before

    # when: the import is started and the worker runs it
    page.get_by_role("button", name="Import 2 rows").click()
    page.wait_for_selector("text=Import: Import waiting for the worker")
    run_pending()

    # then: the progress bar reaches 100 % and the report says what was created
    page.wait_for_selector("text=What the import did")
    bar = page.locator("#import-progress-bar")
    assert bar.get_attribute("value") == "100"
    assert "3 of 3 rows (100 %)" in page.locator("#import-progress-text").inner_text()
    assert Client.objects.count() == before + 2
    assert _violations(page) == []
    screenshot(page, "staff-import-done")
