"""Read-only admin for appointments and courses: bookings change only through the
scheduling services, which re-check availability, screen, audit and notify."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mesoclinic.core.admin import AuditedReadAdmin
from mesoclinic.scheduling import models


class ReadOnlyAdmin(AuditedReadAdmin):
    """Lets administrators look (each look audited), never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["start", "treatment", "client", "practitioner", "room", "device", "status"]
    list_filter = ["status", "site", "practitioner", "treatment"]
    date_hierarchy = "start"
    list_select_related = ["treatment", "client", "practitioner", "room", "device"]
    search_fields = ["client__family_name", "client__given_name", "practitioner__code"]


@admin.register(models.Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "treatment", "client", "protocol", "status", "price"]
    list_filter = ["status", "treatment"]
    list_select_related = ["treatment", "client", "protocol"]
