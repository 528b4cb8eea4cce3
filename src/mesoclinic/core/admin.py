"""Django admin for the audit trail (read-only), and :class:`AuditedReadAdmin`, the base
every admin of clinical or client data uses so that looking at it is audited too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from mesoclinic.core.audit import audit_read
from mesoclinic.core.models import AuditEntry


class AuditedReadAdmin(admin.ModelAdmin):
    """Writes an audit entry whenever someone reads these rows in the Django admin:
    ``admin.view`` for one object's page, ``admin.list`` for a list page.

    ``audit_client_path`` is the dotted attribute that gives an object's client id
    (``"client_id"``, ``"assessment.client_id"``); empty when the rows belong to no client.
    """

    audit_client_path = "client_id"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            model = self.model._meta.model_name
            audit_read(
                actor=request.user,
                action="admin.list",
                summary=f"Django admin list of {model}"[:300],
                data={"model": model, "query": request.GET.urlencode()[:200]},
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None) or {}
        shown = context.get("original")
        if request.method == "GET" and response.status_code == 200 and shown is not None:
            audit_read(
                actor=request.user,
                action="admin.view",
                obj=shown,
                client_id=self.audit_client_id(shown),
                summary=f"Django admin page of {self.model._meta.model_name} {shown.pk}",
            )
        return response

    def audit_client_id(self, obj: Any) -> int | None:
        """The client the object belongs to, following ``audit_client_path``."""
        value: Any = obj
        for name in self.audit_client_path.split(".") if self.audit_client_path else ():
            value = getattr(value, name, None)
            if value is None:
                return None
        return value if isinstance(value, int) else None


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedReadAdmin):
    list_display = ["at", "actor_label", "role", "ip", "action", "object_type", "object_id"]
    list_filter = ["action", "role"]
    search_fields = ["summary", "object_id", "actor_label"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
