from django.contrib import admin

from mesoclinic.catalogue import models


@admin.register(models.AllergenGroup)
class AllergenGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(models.Ingredient)
class IngredientAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "ingredient_class"]
    search_fields = ["code", "name"]
    filter_horizontal = ["allergen_groups"]


class BatchInline(admin.TabularInline):
    model = models.Batch
    extra = 0


@admin.register(models.Formulation)
class FormulationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "regulatory_class", "contains_toxin", "illustrative"]
    search_fields = ["code", "name"]
    filter_horizontal = ["ingredients"]
    inlines = [BatchInline]


@admin.register(models.Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["lot", "formulation", "expires_on", "quantity_on_hand"]
    search_fields = ["lot"]
    list_filter = ["formulation"]


class ProtocolPhaseInline(admin.TabularInline):
    model = models.ProtocolPhase
    extra = 0


@admin.register(models.Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    inlines = [ProtocolPhaseInline]


@admin.register(models.Treatment)
class TreatmentAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "treatment_minutes",
        "numbing_minutes",
        "price",
        "needs_needle",
        "requires_prescriber",
        "swelling_expected",
        "risk_tier",
        "active",
    ]
    list_filter = ["needs_needle", "requires_prescriber", "risk_tier", "active"]
    search_fields = ["code", "name"]
