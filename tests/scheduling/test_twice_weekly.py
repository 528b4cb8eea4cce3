"""The second protocol: a twice-weekly month, for clinics that read the article literally."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import Client as HttpClient

from mesoclinic.scheduling.models import Appointment

from .test_courses import _body, _local


def test_the_twice_weekly_protocol_plans_sixteen_sessions_three_or_four_days_apart(api):
    plan = api.post("/courses/plan", _body(protocol="meso-twice-weekly")).json()

    assert plan["protocol"] == "meso-twice-weekly"
    assert plan["feasible"] is True
    phases = [s["phase"] for s in plan["sessions"]]
    assert phases == ["weekly"] * 4 + ["twice weekly"] * 8 + ["monthly"] * 4
    days = [_local(s["slot"]["start"]).date() for s in plan["sessions"]]
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
    assert all(2 <= gap <= 4 for gap in gaps[3:11])  # into and within the twice-weekly month
    assert all(6 <= gap <= 8 for gap in gaps[:3])


def test_a_twice_weekly_course_books_every_session(api):
    response = api.post("/courses", _body(protocol="meso-twice-weekly"))

    assert response.status_code == 201
    ids = [int(s["appointment"]) for s in response.json()["sessions"]]
    starts = list(
        Appointment.objects.filter(pk__in=ids).order_by("start").values_list("start", flat=True)
    )
    assert len(starts) == 16
    assert min(b - a for a, b in itertools.pairwise(starts)) >= dt.timedelta(days=2)


def test_the_treatment_page_explains_the_choice_of_protocol(demo):
    browser = HttpClient()
    assert browser.login(username="reception", password="mesoclinic-demo")
    page = browser.get("/treatments/face-revitalise/").content.decode()
    assert "Mesotherapy course with a twice-weekly month" in page
    assert "read the article&#x27;s second month literally" in page
