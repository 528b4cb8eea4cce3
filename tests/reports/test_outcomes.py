"""Outcomes per treatment across clients (/reports/outcomes/), figures computed by hand
and the interval checked against scipy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from scipy import stats

from mesoclinic.catalogue.models import Protocol, Treatment
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Practitioner, Room, Site
from mesoclinic.records.scales import SCALES
from mesoclinic.records.services.assessments import assessment_record
from mesoclinic.reports.outcomes import outcome_evidence
from mesoclinic.scheduling.models import Appointment, AppointmentStatus, Course

FIRST = dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def _mmasi(area: int, darkness: int) -> dict[str, int]:
    """Every region alike: mMASI = 0.3·3·a·d + 0.1·a·d = a·d."""
    regions = ("forehead", "left_malar", "right_malar", "chin")
    return {
        f"{r}_{part}": v for r in regions for part, v in (("area", area), ("darkness", darkness))
    }


@pytest.fixture
def cohort(demo):
    """Pigmentation (mMASI). Ann 6 → 2, Ben 4 → 2, Cat 9 → 6 after three sessions (changes
    −4, −2, −3; mMASI-50 responders Ann and Ben); Dan's first assessment came after a
    session (no baseline). Ann's sessions belong to a course of protocol ``meso-standard``."""
    pigmentation = Treatment.objects.get(code="pigmentation")
    site = Site.objects.get(code="london")
    lewis = Practitioner.objects.get(code="nurse-lewis")
    room = Room.objects.get(code="room-2")
    protocol = Protocol.objects.get(code="meso-standard")
    people = [("Ann", (3, 2), (2, 1)), ("Ben", (2, 2), (2, 1)), ("Cat", (3, 3), (2, 3))]
    people.append(("Dan", None, (2, 2)))
    for hour, (name, baseline, later) in enumerate(people):
        client = Client.objects.create(
            given_name=name,
            family_name="Cohort",
            birth_date=dt.date(1985, 1, 1),
            created_at=FIRST - WEEK,
        )
        course = None
        if name == "Ann":
            course = Course.objects.create(
                client=client,
                treatment=pigmentation,
                protocol=protocol,
                price=Decimal("900"),
                created_at=FIRST - WEEK,
            )
        for number in range(3):
            start = FIRST + number * WEEK + dt.timedelta(hours=hour)
            Appointment.objects.create(
                client=client,
                treatment=pigmentation,
                site=site,
                practitioner=lewis,
                room=room,
                start=start,
                treatment_start=start + dt.timedelta(minutes=30),
                end=start + dt.timedelta(minutes=60),
                busy_until=start + dt.timedelta(minutes=60),
                status=AppointmentStatus.FULFILLED,
                price=Decimal("300"),
                booked_at=FIRST - WEEK,
                course=course,
                session_number=number + 1 if course else None,
            )
        first_session = FIRST + dt.timedelta(hours=hour, minutes=5)
        when = [(first_session, baseline), (first_session + 3 * WEEK, later)]
        if baseline is None:  # Dan: assessed only after his first session had ended
            when = [
                (first_session + dt.timedelta(hours=2), (3, 3)),
                (first_session + 3 * WEEK, later),
            ]
        for moment, (area, darkness) in when:
            assessment_record(
                actor=None,
                client=client,
                scale="mmasi",
                components=_mmasi(area, darkness),
                treatment=pigmentation,
                assessed_at=moment,
            )
    return pigmentation


def test_the_change_after_three_sessions_matches_the_hand_computation(cohort):
    evidence = outcome_evidence(actor=None, treatment=cohort, scale=SCALES["mmasi"])

    [step] = evidence.steps
    changes = [-4.0, -2.0, -3.0]
    low, high = stats.t.interval(0.95, 2, loc=-3.0, scale=stats.sem(changes))
    assert (step.sessions, step.n, step.responders) == (3, 3, 2)
    assert step.interval.mean == pytest.approx(-3.0)
    assert (step.interval.low, step.interval.high) == (pytest.approx(low), pytest.approx(high))
    assert evidence.clients == 4  # Dan is drawn but has no baseline to count from


def test_filters_by_protocol(cohort):
    protocol = Protocol.objects.get(code="meso-standard")

    evidence = outcome_evidence(
        actor=None, treatment=cohort, scale=SCALES["mmasi"], protocol=protocol
    )

    [step] = evidence.steps
    assert (step.n, step.interval.mean, step.interval.low) == (1, pytest.approx(-4.0), None)


def _admin() -> HttpClient:
    browser = HttpClient()
    assert browser.login(username="admin", password="mesoclinic-demo")
    return browser


def test_the_page_shows_the_table_and_the_plot_and_is_audited(cohort):
    before = AuditEntry.objects.filter(action="report.outcomes").count()

    page = _admin().get("/reports/outcomes/", {"treatment": "pigmentation"})

    text = page.content.decode()
    assert page.status_code == 200
    assert "<td>3</td><td>-3.00</td>" in text
    assert "2 of 3" in text
    assert text.count('class="client-path"') == 3
    assert AuditEntry.objects.filter(action="report.outcomes").count() == before + 1


def test_a_treatment_without_a_scale_of_its_own_asks_for_one(demo):
    page = _admin().get("/reports/outcomes/", {"treatment": "consultation"})

    assert page.status_code == 400
    assert "has no scale of its own: choose one." in page.content.decode()


def test_another_scale_can_be_chosen(cohort):
    page = _admin().get("/reports/outcomes/", {"treatment": "pigmentation", "scale": "gais"})

    assert page.status_code == 200
    assert "No client has been rated on this scale" in page.content.decode()


def test_an_unknown_treatment_is_a_400_page(demo):
    page = _admin().get("/reports/outcomes/", {"treatment": "no-such"})

    assert page.status_code == 400
    assert "Select a valid choice" in page.content.decode()


@pytest.mark.parametrize("username", ["reception", "dr-patel"])
def test_only_administrators_see_it(demo, username):
    browser = HttpClient()
    assert browser.login(username=username, password="mesoclinic-demo")

    assert browser.get("/reports/outcomes/").status_code == 403


def _amelia_page(client: Client) -> str:
    browser = HttpClient()
    assert browser.login(username="nurse-lewis", password="mesoclinic-demo")
    return browser.get(f"/clients/{client.pk}/outcomes/").content.decode()


def test_a_clients_page_says_when_too_few_others_compare(cohort):
    ann = Client.objects.get(given_name="Ann", family_name="Cohort")

    text = _amelia_page(ann)

    assert "Too few clients have been assessed after 3 sessions to compare honestly (n = 3" in text


def test_a_clients_page_compares_with_five_or_more(cohort):
    pigmentation = cohort
    for name, area in [("Eve", 1), ("Fay", 2)]:
        source = Client.objects.get(given_name="Ben", family_name="Cohort")
        twin = Client.objects.create(
            given_name=name, family_name="Cohort", birth_date=dt.date(1985, 1, 1), created_at=FIRST
        )
        shift = dt.timedelta(hours=6 if name == "Eve" else 7)  # clear of the others' visits
        for appointment in source.appointments.all():
            appointment.pk, appointment.client = None, twin
            for moment in ("start", "treatment_start", "end", "busy_until"):
                setattr(appointment, moment, getattr(appointment, moment) + shift)
            appointment.save()
        for moment, darkness in [(FIRST, 2), (FIRST + 4 * WEEK, 1)]:
            assessment_record(
                actor=None,
                client=twin,
                scale="mmasi",
                components=_mmasi(area, darkness),
                treatment=pigmentation,
                assessed_at=moment,
            )
    ann = Client.objects.get(given_name="Ann", family_name="Cohort")

    text = _amelia_page(ann)

    # changes -4, -2, -3 and the twins' -1 (1·2 → 1·1) and -2 (2·2 → 2·1): mean -2.4
    assert "Clients of this clinic after 3 sessions:" in text
    assert "mean change -2.40 from their baseline" in text
    assert "n = 5 including this client" in text
