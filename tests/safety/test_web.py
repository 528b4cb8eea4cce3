"""Staff web UI for safety: screening banner, override form, questionnaire, consent, PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic.core import clock
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client
from mesoclinic.safety.models import (
    HealthQuestionnaire,
    Override,
    Prescription,
    SignedConsent,
    ToxinAdministration,
)

HTMX = {"HX-Request": "true"}


def pk(email: str) -> int:
    return Client.objects.get(email=email).pk


def screening(browser, email, treatment, practitioner="", **headers):
    return browser.get(
        f"/clients/{pk(email)}/screening/",
        {"treatment": treatment, "practitioner": practitioner, "on": ""},
        headers=headers,
    )


def test_client_page_shows_the_safety_panel(browser_as):
    # when
    response = browser_as("nurse-okafor").get(f"/clients/{pk('chloe.dawson@example.com')}/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Clinical safety" in html
    assert "<dt>Pregnant</dt><dd>Yes</dd>" in html
    assert 'hx-get="/clients/' in html
    assert 'id="screening-result"' in html


def test_client_page_flags_an_out_of_date_questionnaire(browser_as):
    response = browser_as("nurse-okafor").get(f"/clients/{pk('grace.lindqvist@example.com')}/")
    assert b"out of date" in response.content


def test_htmx_screening_returns_the_refused_banner_fragment(browser_as):
    # when
    response = screening(
        browser_as("nurse-okafor"), "chloe.dawson@example.com", "face-revitalise", **HTMX
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'class="banner refused"' in html
    assert 'data-code="pregnant"' in html
    assert "Pregnant" in html
    assert "Cannot be overridden." in html
    assert (
        AuditEntry.objects.filter(action="screening.run").latest("id").actor_label == "nurse-okafor"
    )


def test_screening_page_without_htmx_is_a_full_page(browser_as):
    response = screening(browser_as("reception"), "amelia.hart@example.com", "face-revitalise")
    html = response.content.decode()
    assert "<html" in html
    assert 'class="banner allowed"' in html


def test_screening_with_a_bad_date_shows_the_error_next_to_the_form(browser_as):
    response = browser_as("reception").get(
        f"/clients/{pk('amelia.hart@example.com')}/screening/",
        {"treatment": "face-revitalise", "on": "2027-02-30"},
    )
    html = response.content.decode()
    assert "Enter a date such as 2027-03-05." in html
    assert 'class="banner' not in html


def test_clinician_sees_an_override_form_for_override_reasons(browser_as):
    response = screening(
        browser_as("dr-patel"), "ruby.kowalski@example.com", "face-revitalise", **HTMX
    )
    html = response.content.decode()
    assert 'class="banner needs_override"' in html
    assert 'name="code" value="autoimmune_disease"' in html
    assert 'for="justification-autoimmune_disease"' in html


def test_reception_sees_the_outcome_and_next_step_but_no_reasons(browser_as):
    response = screening(
        browser_as("reception"), "ruby.kowalski@example.com", "face-revitalise", **HTMX
    )
    html = response.content.decode()
    assert 'name="justification"' not in html
    assert "autoimmune" not in html
    assert "A practitioner must review this client before the treatment can go ahead" in html


def test_reception_sees_no_health_answers_on_the_client_page(browser_as):
    html = browser_as("reception").get(f"/clients/{pk('chloe.dawson@example.com')}/")
    page = html.content.decode()
    assert html.status_code == 200
    assert "<dt>Pregnant</dt>" not in page
    assert "Health answers, consents, overrides and prescriptions are for practitioners" in page


def test_override_form_records_and_rescreens(browser_as):
    # given
    doctor = browser_as("dr-patel")
    client_pk = pk("ruby.kowalski@example.com")
    # when
    response = doctor.post(
        f"/clients/{client_pk}/overrides/",
        {
            "treatment": "face-revitalise",
            "practitioner": "dr-patel",
            "on": "",
            "code": "autoimmune_disease",
            "justification": "Stable on hydroxychloroquine; discussed risks.",
        },
        headers=HTMX,
    )
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="banner allowed_with_warnings"' in html
    assert "<strong>Autoimmune disease</strong>" in html  # listed as overridden
    override = Override.objects.get(client_id=client_pk)
    assert (override.code, override.practitioner.code) == ("autoimmune_disease", "dr-patel")


def test_override_without_justification_shows_the_error_and_saves_nothing(browser_as):
    response = browser_as("dr-patel").post(
        f"/clients/{pk('ruby.kowalski@example.com')}/overrides/",
        {"treatment": "face-revitalise", "code": "autoimmune_disease", "justification": " "},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Justification is required." in html
    assert 'aria-invalid="true"' in html
    assert not Override.objects.filter(code="autoimmune_disease").exists()


def test_override_of_a_refusal_is_refused(browser_as):
    response = browser_as("dr-patel").post(
        f"/clients/{pk('chloe.dawson@example.com')}/overrides/",
        {"treatment": "face-revitalise", "code": "pregnant", "justification": "Please"},
    )
    assert response.status_code == 400
    assert not Override.objects.filter(code="pregnant").exists()


def test_reception_may_not_post_an_override(browser_as):
    response = browser_as("reception").post(
        f"/clients/{pk('ruby.kowalski@example.com')}/overrides/",
        {"treatment": "face-revitalise", "code": "autoimmune_disease", "justification": "x"},
    )
    assert response.status_code == 403


def test_questionnaire_form_records_a_new_questionnaire(browser_as):
    # given
    client_pk = pk("evie.sinclair@example.com")
    # when
    response = browser_as("nurse-okafor").post(
        f"/clients/{client_pk}/questionnaire/",
        {
            "allergies": "Lidocaine\nsoya, latex",
            "medications": "",
            "conditions": ["keloid_history", "pacemaker"],
        },
    )
    # then
    assert response.status_code == 302
    questionnaire = HealthQuestionnaire.objects.get(client_id=client_pk)
    assert questionnaire.allergies == ["Lidocaine", "soya", "latex"]
    assert questionnaire.conditions == ["keloid_history", "pacemaker"]
    assert (questionnaire.pregnant, questionnaire.source) == (False, "staff")


def test_questionnaire_form_shows_field_errors(browser_as):
    response = browser_as("nurse-okafor").post(
        f"/clients/{pk('evie.sinclair@example.com')}/questionnaire/",
        {"conditions": ["vampirism"], "isotretinoin_last_taken_on": "2999-01-01"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice. vampirism is not one of the available choices." in html
    assert not HealthQuestionnaire.objects.filter(
        client__email="evie.sinclair@example.com"
    ).exists()


def test_consent_capture_page_shows_the_exact_text_canvas_and_opt_ins(browser_as):
    response = browser_as("nurse-okafor").get(
        f"/clients/{pk('zara.qureshi@example.com')}/consents/face-revitalise/"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tiny purple dots at the injection points are expected" in html
    assert '<canvas id="signature-pad"' in html
    assert 'name="photo_use"' in html
    assert 'name="marketing"' in html
    assert 'name="form_version" value="1"' in html


def test_consent_capture_without_acceptance_signs_nothing(browser_as):
    # given
    client_pk = pk("zara.qureshi@example.com")
    # when
    response = browser_as("nurse-okafor").post(
        f"/clients/{client_pk}/consents/face-revitalise/",
        {"form_version": "1", "signature_kind": "typed", "signed_name": "Zara Qureshi"},
    )
    # then
    assert response.status_code == 400
    assert "The client has not accepted the consent form, so nothing was signed." in (
        response.content.decode()
    )
    assert not SignedConsent.objects.filter(
        client_id=client_pk, treatment__code="face-revitalise"
    ).exists()


def test_consent_capture_with_drawn_signature_signs_and_confirms(browser_as):
    # given
    client_pk = pk("zara.qureshi@example.com")
    browser = browser_as("nurse-okafor")
    # when
    response = browser.post(
        f"/clients/{client_pk}/consents/face-revitalise/",
        {
            "form_version": "1",
            "signature_kind": "drawn",
            "signed_name": "Zara Qureshi",
            "signature_data": "M10 10 L100 60 L200 20",
            "accepted": "on",
            "marketing": "on",
        },
        follow=True,
    )
    # then
    consent = SignedConsent.objects.get(client_id=client_pk, treatment__code="face-revitalise")
    assert (consent.signature_kind, consent.photo_use, consent.marketing) == ("drawn", False, True)
    html = response.content.decode()
    assert "Signed by <strong>Zara Qureshi</strong>" in html
    assert '<path d="M10 10 L100 60 L200 20"' in html


def test_consent_capture_drawn_without_drawing_shows_the_error(browser_as):
    response = browser_as("nurse-okafor").post(
        f"/clients/{pk('zara.qureshi@example.com')}/consents/face-revitalise/",
        {"form_version": "1", "signature_kind": "drawn", "signed_name": "Zara", "accepted": "on"},
    )
    assert response.status_code == 400
    assert "Draw the signature in the box (or type the name instead)." in response.content.decode()


def test_consent_pdf_is_a_pdf_and_is_audited(browser_as):
    # given
    consent = SignedConsent.objects.filter(client__email="amelia.hart@example.com").first()
    # when
    response = browser_as("nurse-lewis").get(f"/consents/{consent.pk}/pdf/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditEntry.objects.filter(action="consent.print").latest("id")
    assert (entry.actor_label, entry.client_id) == ("nurse-lewis", consent.client_id)


def test_consent_pdf_renders_a_drawn_signature(browser_as, client_by_email, treatment):
    from mesoclinic.safety.consent_services import consent_sign

    consent = consent_sign(
        actor=None,
        client=client_by_email("freya.adeyemi@example.com"),
        treatment=treatment("under-eye"),
        signed_name="Freya Adeyemi",
        accepted=True,
        signature_kind="drawn",
        signature_data="M1 1 L50 30 M60 10 L90 40",
    )
    response = browser_as("nurse-okafor").get(f"/consents/{consent.pk}/pdf/")
    assert response.content.startswith(b"%PDF")


def test_consent_pdf_needs_a_staff_login(demo):
    consent = SignedConsent.objects.first()
    anonymous = HttpClient().get(f"/consents/{consent.pk}/pdf/")
    outsider_user = get_user_model().objects.create_user("outsider", password="not-staff-123")
    outsider = HttpClient()
    outsider.force_login(outsider_user)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    assert outsider.get(f"/consents/{consent.pk}/pdf/").status_code == 403


def test_consent_pdf_of_unknown_consent_is_404(browser_as):
    assert browser_as("nurse-okafor").get("/consents/999999/pdf/").status_code == 404


def test_prescriptions_page_is_for_clinicians(browser_as):
    url = f"/clients/{pk('sophie.carter@example.com')}/prescriptions/"
    assert browser_as("reception").get(url).status_code == 403
    response = browser_as("dr-patel").get(url)
    assert response.status_code == 200
    assert "MesoTox blend" in response.content.decode()


def test_prescription_form_records_a_consultation_in_site_time(browser_as):
    # given
    client_pk = pk("amelia.hart@example.com")
    yesterday = clock.today() - dt.timedelta(days=1)
    # when
    response = browser_as("nurse-okafor").post(
        f"/clients/{client_pk}/prescriptions/",
        {
            "prescriber": "nurse-okafor",
            "formulation": "mesotox-blend",
            "consultation_at": f"{yesterday.isoformat()}T10:30",
        },
    )
    # then
    assert response.status_code == 302
    prescription = Prescription.objects.get(client_id=client_pk)
    local = prescription.consultation_at.astimezone(dt.datetime.now().astimezone().tzinfo)
    assert prescription.consultation_at.tzinfo is not None
    assert local.date() in {yesterday, yesterday + dt.timedelta(days=1)}


@pytest.mark.parametrize(
    ("prescriber", "message"),
    [
        ("nurse-lewis", "Select a valid choice."),
        ("", "This field is required."),
    ],
)
def test_prescription_form_errors_are_shown(browser_as, prescriber, message):
    response = browser_as("dr-patel").post(
        f"/clients/{pk('amelia.hart@example.com')}/prescriptions/",
        {
            "prescriber": prescriber,
            "formulation": "mesotox-blend",
            "consultation_at": "2026-01-01T10:00",
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_dashboard_shows_screening_and_consents_today(browser_as):
    browser = browser_as("reception")
    screening(browser, "chloe.dawson@example.com", "face-revitalise", **HTMX)
    html = browser.get("/").content.decode()
    assert "Screening and consents today" in html
    assert "refused" in html


def test_consent_forms_page_is_in_the_nav(browser_as):
    browser = browser_as("reception")
    assert b'href="/consent-forms/"' in browser.get("/").content
    page = browser.get("/consent-forms/").content.decode()
    assert "Consent to MesoTox" in page
    assert "version 1" in page


def test_the_screening_form_starts_with_the_signed_in_practitioner(browser_as):
    page = browser_as("dr-patel").get(f"/clients/{pk('amelia.hart@example.com')}/")
    front = browser_as("reception").get(f"/clients/{pk('amelia.hart@example.com')}/")
    assert '<option value="dr-patel" selected>' in page.content.decode()
    assert '<option value="" selected>Any practitioner' in front.content.decode()


# --- Screening shown plainly (issue 14, item 7) ----------------------------------------------


def visible(html: str) -> str:
    """The text a reader sees (tags and attribute values dropped)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def test_screening_reasons_read_in_words_with_names_and_a_next_step(browser_as):
    # when a nurse screens a client with no prescription for MesoTox and no consent
    response = screening(
        browser_as("dr-patel"), "amelia.hart@example.com", "mesotox", "nurse-lewis", **HTMX
    )
    # then
    text = visible(response.content.decode())
    assert "Needs a prescriber" in text
    assert "Prescription-only medicine without a prescription" in text
    assert "Before treatment" in text  # consent_missing: a warning that blocks treatment
    assert "Next step:" in text
    for code in ("prescriber_consultation_required", "consent_missing", "nurse-lewis", "mesotox"):
        assert code not in text
    assert "Emma Lewis" in text or "Lewis" in text
    assert not ISO_DATE.search(text)
    assert "warn" not in text.lower().replace("warnings", "")


def test_an_allowed_screening_with_a_blocking_warning_says_before_treatment(browser_as):
    # given a treatment the client has not consented to: allowed, with warnings
    response = screening(
        browser_as("dr-patel"), "amelia.hart@example.com", "pigmentation", "dr-patel", **HTMX
    )
    html = response.content.decode()
    text = visible(html)
    # then the badge says what the outcome means: no green 'warn' saying 'blocks treatment'
    assert 'class="banner allowed_with_warnings"' in html
    assert 'class="badge tone-caution">Before treatment<' in html
    assert "badge warn" not in html
    assert "resolved" in text
    assert "Consent not signed" in text


def test_a_toxin_interval_reason_names_dates_in_words_and_the_dose_is_on_the_client_page(
    browser_as,
):
    # given James Whitaker's declared Azzalure dose (another clinic), seeded 60 days ago
    last = ToxinAdministration.objects.get(
        client__email="james.whitaker@example.com"
    ).administered_on
    doctor = browser_as("dr-patel")
    response = screening(doctor, "james.whitaker@example.com", "mesotox", "dr-patel", **HTMX)
    text = visible(response.content.decode())
    assert "Too soon after the last toxin" in text
    assert f"{last:%A} {last.day} {last:%B %Y}" in text
    assert not ISO_DATE.search(text)
    # then the dose it cites is visible on the client page
    page = doctor.get(f"/clients/{pk('james.whitaker@example.com')}/").content.decode()
    assert "Toxin history" in page
    assert "Azzalure (glabella), 50 Speywood units" in page
    assert f"{last:%A} {last.day} {last:%B %Y}" in page


def test_the_screening_page_starts_with_the_signed_in_practitioner(browser_as):
    page = browser_as("dr-patel").get(f"/clients/{pk('amelia.hart@example.com')}/screening/")
    assert '<option value="dr-patel" selected>' in page.content.decode()
    assert '<option value="" selected>Any practitioner' not in page.content.decode()


def test_an_active_override_is_named_on_the_client_page(browser_as):
    page = browser_as("dr-patel").get(f"/clients/{pk('olivia.brennan@example.com')}/")
    text = visible(page.content.decode())
    assert "Blood thinners for" in text
    assert "anticoagulants for" not in text
