"""Read-only admin for safety records: they are evidence, written only through services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mesoclinic.core.admin import AuditedReadAdmin
from mesoclinic.people.roles import sees_clinical
from mesoclinic.safety import models


class ReadOnlyAdmin(AuditedReadAdmin):
    """Lets practitioners look (each look audited), never add, change or delete."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return sees_clinical(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return sees_clinical(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.HealthQuestionnaire)
class HealthQuestionnaireAdmin(ReadOnlyAdmin):
    list_display = ["client", "answered_at", "pregnant", "breastfeeding", "source"]
    list_filter = ["source", "pregnant", "breastfeeding"]


@admin.register(models.ConsentForm)
class ConsentFormAdmin(ReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # a form's text is not clinical content

    def has_module_permission(self, request: HttpRequest) -> bool:
        return True

    list_display = ["treatment", "version", "title", "created_at"]


@admin.register(models.SignedConsent)
class SignedConsentAdmin(ReadOnlyAdmin):
    list_display = ["client", "treatment", "form_version", "signed_at", "photo_use", "marketing"]


@admin.register(models.Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["client", "treatment", "code", "practitioner", "created_at", "expires_at"]
    list_filter = ["code"]


@admin.register(models.Prescription)
class PrescriptionAdmin(ReadOnlyAdmin):
    list_display = ["client", "prescriber", "formulation", "consultation_at"]


@admin.register(models.ToxinAdministration)
class ToxinAdministrationAdmin(ReadOnlyAdmin):
    list_display = ["client", "administered_on", "product_name", "units", "source"]
    list_filter = ["source"]
