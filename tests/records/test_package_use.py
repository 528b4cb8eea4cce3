"""Signing a session's record (the client came) uses a session of their prepaid package."""

from __future__ import annotations

from tests.records.factories import record_body

from mesoclinic.billing.account_services import package_sell
from mesoclinic.billing.selectors import client_account
from mesoclinic.catalogue.models import Treatment


def test_an_attended_session_uses_one_of_the_package(
    appointment, fresh_batch, api_as, after_session
):
    package = package_sell(
        actor=None,
        client=appointment.client,
        treatment=Treatment.objects.get(code="face-revitalise"),
        sessions=3,
        price="800",
        method="card",
    )
    api = api_as("dr-patel")
    record = api.post(f"/appointments/{appointment.pk}/record", record_body()).json()

    assert api.post(f"/records/{record['id']}/sign").status_code == 200

    (line,) = client_account(client=appointment.client).packages
    assert (line.package.pk, line.bought, line.used, line.left) == (package.pk, 3, 1, 2)
