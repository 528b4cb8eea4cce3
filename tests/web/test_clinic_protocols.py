"""An owner changes a course protocol, or adds one as a copy, in the clinic's settings;
the course planner follows at once. Bad phases save nothing."""

from __future__ import annotations

import pytest
from tests.web.staff import staff_login

from mesoclinic.catalogue.models import Protocol
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client


@pytest.fixture
def owner(demo):
    return staff_login("admin")


def _phases_form(rows: list[tuple[str, str, str, str, str]], **fields: str) -> dict[str, str]:
    """The edit page's form: name, description and one row per phase."""
    data = {
        "name": "Mesotherapy standard course",
        "description": "",
        "phase-TOTAL_FORMS": str(len(rows)),
        "phase-INITIAL_FORMS": str(len(rows)),
        "phase-MIN_NUM_FORMS": "0",
        "phase-MAX_NUM_FORMS": "8",
    }
    for number, (name, count, gap, tolerance, floor) in enumerate(rows):
        data |= {
            f"phase-{number}-name": name,
            f"phase-{number}-count": count,
            f"phase-{number}-gap_days": gap,
            f"phase-{number}-tolerance_days": tolerance,
            f"phase-{number}-min_gap_days": floor,
        }
    return data | fields


STANDARD = [
    ("weekly", "4", "7", "1", ""),
    ("fortnightly", "2", "14", "2", ""),
    ("monthly", "4", "28", "3", ""),
    ("maintenance", "", "91", "7", ""),
]


def _planned_phases(api, protocol: str = "meso-standard") -> list[str]:
    amelia = Client.objects.get(email="amelia.hart@example.com")
    body = {
        "client": amelia.pk,
        "treatment": "face-revitalise",
        "start_date": "2027-03-01",
        "protocol": protocol,
    }
    response = api.post("/courses/plan", body)
    assert response.status_code == 200, response.content
    return [session["phase"] for session in response.json()["sessions"]]


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_protocols_are_for_administrators_only(demo, username):
    browser = staff_login(username)
    assert browser.get("/settings/protocols/").status_code == 403
    assert browser.get("/settings/protocols/meso-standard/").status_code == 403


def test_the_list_shows_each_protocol_with_its_phases(owner):
    page = owner.get("/settings/protocols/").content.decode()
    assert "Mesotherapy course with a twice-weekly month" in page
    assert "twice weekly" in page
    assert "goes on" in page  # maintenance


def test_the_owner_shortens_the_weekly_phase_and_the_planner_follows(owner, api):
    assert _planned_phases(api).count("weekly") == 4
    rows = [("weekly", "3", "7", "1", ""), *STANDARD[1:], ("", "", "", "", "")]

    response = owner.post("/settings/protocols/meso-standard/", _phases_form(rows))

    assert response.status_code == 302
    assert _planned_phases(api) == ["weekly"] * 3 + ["fortnightly"] * 2 + ["monthly"] * 4
    entry = AuditEntry.objects.get(action="protocol.change")
    assert entry.data["phases"]["from"][0]["count"] == 4
    assert entry.data["phases"]["to"][0]["count"] == 3


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("weekly", "", "7", "1", ""), *STANDARD[1:]], "only the last phase may go on"),
        ([("weekly", "4", "7", "9", ""), *STANDARD[1:]], "tolerance cannot be longer"),
        ([("weekly", "4", "", "1", ""), *STANDARD[1:]], "the gap is between 0 and 366"),
        ([("", "", "", "", "")], "between 1 and 8 phases"),
        ([("weekly", "4", "7", "1", "30"), *STANDARD[1:]], "minimum gap must fall inside"),
    ],
)
def test_bad_phases_are_explained_and_nothing_is_saved(owner, rows, message):
    response = owner.post("/settings/protocols/meso-standard/", _phases_form(rows))

    assert response.status_code == 400
    assert message in response.content.decode()
    protocol = Protocol.objects.get(code="meso-standard")
    assert [phase.count for phase in protocol.phases.order_by("order")] == [4, 2, 4, None]
    assert not AuditEntry.objects.filter(action="protocol.change").exists()


def test_a_new_protocol_starts_as_a_copy_and_can_be_planned(owner, api):
    response = owner.post(
        "/settings/protocols/", {"name": "Summer course", "copy_of": "cellulite-weekly"}
    )

    assert response.status_code == 302
    assert response.url == "/settings/protocols/summer-course/"
    copied = Protocol.objects.get(code="summer-course")
    assert [phase.name for phase in copied.phases.order_by("order")] == ["weekly", "maintenance"]
    assert _planned_phases(api, "summer-course") == ["weekly"] * 6
    # the same name again is refused, and says so
    again = owner.post(
        "/settings/protocols/", {"name": "Summer course", "copy_of": "meso-standard"}, follow=True
    )
    assert "already exists" in again.content.decode()
