from django.contrib import admin

from mesoclinic.billing.models import Payment, Quote
from mesoclinic.core.admin import AuditedReadAdmin


@admin.register(Quote)
class QuoteAdmin(AuditedReadAdmin):
    list_display = ["id", "client", "treatment", "sessions", "total", "created_at"]
    list_select_related = ["client", "treatment"]


@admin.register(Payment)
class PaymentAdmin(AuditedReadAdmin):
    audit_client_path = "appointment.client_id"

    list_display = ["id", "appointment", "kind", "method", "amount", "recorded_at"]
    list_filter = ["kind", "method"]
