"""The demo's outcome cohort (issue #16 item 5): scalp-and-hair clients with a baseline and
counts after sessions 3 and 6, so the outcomes report has something to show."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic.catalogue.models import Treatment
from mesoclinic.core import clock
from mesoclinic.demo.outcomes import COHORT, DEMO_MARK, load_outcomes_demo
from mesoclinic.people.models import Client
from mesoclinic.records.models import Assessment, FollowUp, TreatmentRecord
from mesoclinic.records.scales import SCALES
from mesoclinic.reports.outcomes import SMALLEST_COMPARISON, outcome_evidence
from mesoclinic.scheduling.models import Appointment


@pytest.fixture
def loaded(demo):
    load_outcomes_demo()


def test_the_cohort_is_loaded_once_through_signed_records(loaded):
    # given
    counts = (
        Appointment.objects.count(),
        TreatmentRecord.objects.count(),
        Assessment.objects.count(),
    )
    # when
    load_outcomes_demo()
    # then
    assert (
        Appointment.objects.count(),
        TreatmentRecord.objects.count(),
        Assessment.objects.count(),
    ) == counts
    sessions = Appointment.objects.filter(notes=DEMO_MARK)
    assert sessions.count() == 6 * len(COHORT)
    records = TreatmentRecord.objects.filter(appointment__in=sessions)
    assert records.count() == 6 * len(COHORT)
    assert not records.filter(signed_at__isnull=True).exists()
    due = FollowUp.objects.filter(record__in=records, due_at__lte=clock.now())
    assert due.exists()
    assert not due.filter(completed_at__isnull=True).exists()
    assert set(sessions.values_list("site__code", flat=True)) == {"london", "manchester"}


def test_every_cohort_session_is_on_a_day_its_practitioner_works_at_that_site(loaded):
    for appointment in Appointment.objects.filter(notes=DEMO_MARK).select_related("site"):
        local = appointment.start.astimezone(appointment.site.tzinfo)
        hours = appointment.practitioner.working_hours.filter(
            site=appointment.site, weekday=local.weekday()
        ).first()
        assert hours is not None
        assert hours.starts <= local.time()
        assert appointment.end.astimezone(appointment.site.tzinfo).time() <= hours.ends


def test_the_outcomes_report_has_enough_clients_with_non_responders(loaded):
    # when
    evidence = outcome_evidence(
        actor=get_user_model().objects.get(username="admin"),
        treatment=Treatment.objects.get(code="scalp-hair"),
        scale=SCALES["hair-density"],
    )
    # then: every cohort client counts at 3 and 6 sessions (a demo client with a count
    # after one session adds a step of its own)
    after_three, after_six = evidence.step_after(3), evidence.step_after(6)
    assert after_three is not None
    assert after_six is not None
    assert after_three.n == after_six.n == len(COHORT) >= SMALLEST_COMPARISON
    # by hand from COHORT: the mean change after six sessions, and who gained ≥ 10 %
    changes = [six - base for *_, base, _, six in COHORT]
    assert after_six.interval.mean == pytest.approx(sum(changes) / len(changes))
    responders = sum(six >= base * 1.1 for *_, base, _, six in COHORT)
    assert after_six.responders == responders == len(COHORT) - 3
    assert after_three.responders is not None
    assert after_three.responders < after_six.responders


def test_the_outcomes_page_shows_the_cohort_not_the_empty_state(loaded):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="admin"))
    # when
    response = browser.get("/reports/outcomes/?treatment=scalp-hair")
    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert f"{len(COHORT)}" in page
    assert not Client.objects.filter(email__endswith=".scalp@example.com", home_site=None).exists()


def test_the_outcomes_page_opens_on_the_treatment_with_the_most_clients_assessed(loaded):
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="admin"))
    # when: the page with no choice made
    page = browser.get("/reports/outcomes/").content.decode()
    # then: the scalp-and-hair cohort, not the empty state of the first name in the list
    assert '<option value="scalp-hair" selected>' in page
    assert "<svg" in page
