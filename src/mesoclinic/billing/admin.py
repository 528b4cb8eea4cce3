from django.contrib import admin

from mesoclinic.billing.models import Payment, Quote


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "treatment", "sessions", "total", "created_at"]
    list_select_related = ["client", "treatment"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "appointment", "kind", "method", "amount", "recorded_at"]
    list_filter = ["kind", "method"]
