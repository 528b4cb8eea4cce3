from django.contrib import admin

from mesoclinic.core.admin import AuditedReadAdmin
from mesoclinic.messaging.models import DeliveryAttempt, Message


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    readonly_fields = ["at", "succeeded", "error", "provider_reference"]


@admin.register(Message)
class MessageAdmin(AuditedReadAdmin):
    list_display = [
        "id",
        "kind",
        "channel",
        "recipient",
        "status",
        "send_after",
        "sent_at",
        "attempts",
    ]
    list_filter = ["kind", "channel", "status"]
    search_fields = ["recipient", "key"]
    inlines = [DeliveryAttemptInline]
    raw_id_fields = ["client", "appointment"]
