from django.contrib import admin

from mesoclinic.core.admin import AuditedReadAdmin
from mesoclinic.people import models


class OpeningHoursInline(admin.TabularInline):
    model = models.OpeningHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = models.ClosedDay
    extra = 0


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(models.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone", "numbing_lounge_capacity"]
    inlines = [OpeningHoursInline, ClosedDayInline]


@admin.register(models.Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "site", "active"]
    list_filter = ["site", "active"]


@admin.register(models.Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "device_type", "site", "active"]
    list_filter = ["device_type", "site"]


class WorkingHoursInline(admin.TabularInline):
    model = models.WorkingHours
    extra = 0


class AbsenceInline(admin.TabularInline):
    model = models.Absence
    extra = 0


@admin.register(models.Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "display_name",
        "profession",
        "registration_expires_on",
        "prescriber_expires_on",
        "insurance_expires_on",
        "active",
    ]
    list_filter = ["profession", "active"]
    search_fields = ["code", "given_name", "family_name", "registration_number"]
    inlines = [WorkingHoursInline, AbsenceInline]


@admin.register(models.Client)
class ClientAdmin(AuditedReadAdmin):
    audit_client_path = "pk"
    list_display = ["family_name", "given_name", "birth_date", "email", "phone"]
    search_fields = ["family_name", "given_name", "email", "phone"]


@admin.register(models.StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "is_admin", "is_reception", "default_site"]
    list_filter = ["is_admin", "is_reception"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["digest", "prefix", "created_at", "last_used_at"]
