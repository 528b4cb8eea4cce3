"""Reading clinical rows in the Django admin is audited; the audit trail is read-only there."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from mesoclinic.core.audit import audit_record
from mesoclinic.core.models import AuditEntry
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety.models import HealthQuestionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_browser(demo):
    """An owner who is both the clinic's administrator and one of its doctors."""
    user = get_user_model().objects.create_superuser(username="root", password="x" * 16)
    Practitioner.objects.create(
        code="dr-owner", given_name="Olu", family_name="Owner", profession="doctor", user=user
    )
    browser = HttpClient(REMOTE_ADDR="192.0.2.8")
    browser.force_login(user)
    return browser


def test_viewing_a_questionnaire_in_django_admin_is_audited(superuser_browser):
    # given
    questionnaire = HealthQuestionnaire.objects.order_by("pk").first()
    assert questionnaire is not None
    # when
    response = superuser_browser.get(
        f"/admin/safety/healthquestionnaire/{questionnaire.pk}/change/"
    )
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.object_id, entry.client_id) == (
        "admin.view",
        "healthquestionnaire",
        str(questionnaire.pk),
        questionnaire.client_id,
    )
    assert (entry.actor_label, entry.role, entry.ip) == ("root", "admin,practitioner", "192.0.2.8")


def test_viewing_a_client_in_django_admin_is_audited(superuser_browser):
    amelia = Client.objects.get(email="amelia.hart@example.com")
    assert superuser_browser.get(f"/admin/people/client/{amelia.pk}/change/").status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.client_id) == ("admin.view", "client", amelia.pk)


def test_listing_a_clinical_model_in_django_admin_is_audited(superuser_browser):
    # when
    response = superuser_browser.get("/admin/safety/prescription/", {"q": ""})
    # then
    assert response.status_code == 200
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.data["model"], entry.client_id) == (
        "admin.list",
        "prescription",
        None,
    )


def test_the_audit_trail_is_read_only_in_django_admin(superuser_browser):
    # given
    entry = audit_record(actor=None, action="test.admin", summary="kept")
    # then: it can be looked at (which is itself audited) but not added, changed or deleted
    assert superuser_browser.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    assert AuditEntry.objects.latest("id").action == "admin.view"
    assert superuser_browser.get("/admin/core/auditentry/add/").status_code == 403
    delete_url = f"/admin/core/auditentry/{entry.pk}/delete/"
    assert superuser_browser.post(delete_url, {"post": "yes"}).status_code == 403
    changed = superuser_browser.post(
        f"/admin/core/auditentry/{entry.pk}/change/", {"summary": "forged"}
    )
    assert changed.status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "kept"


def test_a_manager_who_is_not_a_practitioner_sees_no_clinical_model_in_django_admin(demo):
    # given the demo's administrator, who holds no practitioner role
    browser = HttpClient()
    browser.force_login(get_user_model().objects.get(username="admin"))
    questionnaire = HealthQuestionnaire.objects.order_by("pk").first()
    assert questionnaire is not None
    # when
    page = browser.get(f"/admin/safety/healthquestionnaire/{questionnaire.pk}/change/")
    listing = browser.get("/admin/safety/prescription/")
    # then
    assert (page.status_code, listing.status_code) == (403, 403)
    assert "Health questionnaires" not in browser.get("/admin/").content.decode()
