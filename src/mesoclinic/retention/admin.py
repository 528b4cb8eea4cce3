"""Erasure requests in Django admin: read only (decisions go through ``/retention/`` and the
services, which audit them); looking at them is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mesoclinic.core.admin import AuditedReadAdmin
from mesoclinic.retention.models import ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(AuditedReadAdmin):
    audit_client_path = "client_number"
    list_display = ("id", "client_number", "channel", "requested_at", "status", "outcome")
    list_filter = ("status", "channel")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
