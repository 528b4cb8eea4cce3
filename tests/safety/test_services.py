"""Safety services beyond the API: demo idempotence, toxin history from records, form versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mesoclinic.catalogue.models import Formulation
from mesoclinic.core import clock
from mesoclinic.core.errors import InvalidInput, RuleRefused
from mesoclinic.demo.safety import load_safety_demo
from mesoclinic.safety import models
from mesoclinic.safety.consent_services import consent_form_publish
from mesoclinic.safety.services import toxin_history_record

SAFETY_MODELS = (
    models.HealthQuestionnaire,
    models.ConsentForm,
    models.SignedConsent,
    models.Override,
    models.Prescription,
    models.ToxinAdministration,
)


def test_safety_demo_is_loaded_and_idempotent(demo):
    # given
    before = [model.objects.count() for model in SAFETY_MODELS]
    # when
    load_safety_demo()
    # then
    assert [model.objects.count() for model in SAFETY_MODELS] == before
    assert before[0] == 18  # questionnaires for 18 of the 20 demo clients
    assert before[1] == 13  # a v1 consent form per treatment (not the consultation)


def test_toxin_record_from_a_signed_record_is_written_once(client_by_email):
    # given
    client = client_by_email("sophie.carter@example.com")
    toxin = Formulation.objects.get(code="mesotox-blend")
    arguments = {
        "actor": None,
        "client": client,
        "administered_on": clock.today(),
        "formulation": toxin,
        "units": Decimal("12.5"),
        "source": "record",
        "source_reference": "record-42",
    }
    # when
    first = toxin_history_record(**arguments)
    second = toxin_history_record(**arguments)
    # then
    assert first.pk == second.pk
    assert models.ToxinAdministration.objects.filter(source_reference="record-42").count() == 1
    assert (first.product_name, first.units) == (toxin.name, Decimal("12.5"))


@pytest.mark.parametrize(
    ("change", "field", "refusal"),
    [
        # a well-formed date a rule refuses is 422 (RuleRefused); malformed input is 400
        ({"administered_on": clock.today() + dt.timedelta(days=5)}, "administered_on", RuleRefused),
        ({"product_name": ""}, "product_name", InvalidInput),
        ({"units": 0}, "units", InvalidInput),
        ({"source": "rumour"}, "source", InvalidInput),
    ],
)
def test_bad_toxin_history_is_refused(client_by_email, change, field, refusal):
    arguments = {
        "actor": None,
        "client": client_by_email("amelia.hart@example.com"),
        "administered_on": clock.today() - dt.timedelta(days=10),
        "product_name": "Azzalure",
        **change,
    }
    with pytest.raises(refusal) as error:
        toxin_history_record(**arguments)
    assert error.value.details["field"] == field


def test_publishing_a_consent_form_adds_the_next_version(treatment):
    # when
    form = consent_form_publish(
        actor=None, treatment=treatment("mesotox"), title="Consent to MesoTox", body="v2 text"
    )
    # then
    assert form.version == 2
    assert list(
        models.ConsentForm.objects.filter(treatment__code="mesotox").values_list(
            "version", flat=True
        )
    ) == [2, 1]
