"""POST /api/v1/appointments/{id}/no-show: after the start only, counted in reports."""

from __future__ import annotations

import datetime as dt

from mesoclinic.core.models import AuditEntry

from .conftest import NOW
from .test_appointments_api import _amelia, _book


def test_a_client_who_did_not_come_is_marked_a_no_show_after_the_start(api, monkeypatch):
    booked = _book(api, _amelia()).json()
    later = dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.UTC)  # the 09:00 start has passed
    monkeypatch.setattr("mesoclinic.core.clock.now", lambda: later)

    response = api.post(f"/appointments/{booked['id']}/no-show")

    assert response.status_code == 200
    assert response.json()["status"] == "no_show"
    assert api.get(f"/appointments/{booked['id']}").json()["status"] == "no_show"
    assert AuditEntry.objects.filter(action="appointment.no_show").count() == 1
    summary = api_admin_summary(monkeypatch, api)
    assert summary["appointments"]["no_show"] >= 1
    # twice is a conflict
    again = api.post(f"/appointments/{booked['id']}/no-show")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "appointment_not_active"


def api_admin_summary(monkeypatch, api):
    from tests.conftest import Api

    from mesoclinic.people.services import api_token_create

    admin = Api(api_token_create(username="admin"))
    return admin.get("/reports/summary", **{"from": "2027-03-01", "to": "2027-03-01"}).json()


def test_before_the_start_a_no_show_is_refused(api):
    booked = _book(api, _amelia()).json()
    assert dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC) > NOW

    response = api.post(f"/appointments/{booked['id']}/no-show")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "appointment_not_started"
    assert api.get(f"/appointments/{booked['id']}").json()["status"] == "booked"
