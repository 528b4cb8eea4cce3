"""What the clinic offers and uses: ingredients, formulations, batches, treatments, protocols."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from mesoclinic.catalogue.pricing import (
    DEFAULT_NO_SHOW_FEE_PERCENT,
    DEFAULT_NO_SHOW_PRESET,
    NO_SHOW_PRESET_LABELS,
    NoShowPreset,
)
from mesoclinic.people.models import DeviceType, code_validator


class AllergenGroup(models.Model):
    """A family of substances a person may be allergic to as a whole (e.g. amide local anaesthetics)."""

    code = models.SlugField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    synonyms = models.JSONField(default=list, blank=True, help_text="Other words for the group.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ingredient(models.Model):
    code = models.SlugField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    synonyms = models.JSONField(default=list, blank=True)
    ingredient_class = models.CharField(
        max_length=60, blank=True, help_text="e.g. vitamin, amino acid, peptide, antioxidant."
    )
    allergen_groups = models.ManyToManyField(AllergenGroup, related_name="ingredients", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RegulatoryClass(models.TextChoices):
    COSMETIC = "cosmetic", "Cosmetic / serum"
    MEDICAL_DEVICE = "medical-device", "Medical device"
    POM = "pom", "Prescription-only medicine"


class Unit(models.TextChoices):
    ML = "mL", "millilitres"
    UNITS = "U", "toxin units"


class Formulation(models.Model):
    """A cocktail or product as used in treatment, with its ingredient list."""

    code = models.SlugField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    manufacturer = models.CharField(max_length=120, blank=True)
    ingredients = models.ManyToManyField(Ingredient, related_name="formulations")
    contains_toxin = models.BooleanField(default=False)
    regulatory_class = models.CharField(
        max_length=20, choices=RegulatoryClass.choices, default=RegulatoryClass.COSMETIC
    )
    unit = models.CharField(max_length=4, choices=Unit.choices, default=Unit.ML)
    illustrative = models.BooleanField(
        default=False, help_text="Demo data: an illustrative composition, not a real product."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """A lot of a formulation in stock. ``quantity_on_hand`` is kept by stock services."""

    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="batches")
    lot = models.CharField(max_length=60)
    expires_on = models.DateField()
    received_on = models.DateField(null=True, blank=True)
    quantity_received = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    quantity_on_hand = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["formulation", "expires_on", "lot"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(fields=["formulation", "lot"], name="batch_lot_unique"),
            models.CheckConstraint(
                condition=Q(quantity_on_hand__gte=0), name="batch_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__gte=0), name="batch_received_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["lot"], name="batch_lot"),
            # Recall asks for a lot in any case (catalogue.selectors.batches_with_lot).
            models.Index(Upper("lot"), name="batch_lot_upper"),
        ]

    def __str__(self) -> str:
        return f"{self.formulation.code} lot {self.lot}"

    def expired_on(self, day: dt.date) -> bool:
        """A batch may be used up to and including its expiry date."""
        return self.expires_on < day


class RiskTier(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    UNCLASSIFIED = "unclassified", "Unclassified"


class Protocol(models.Model):
    """A course shape: phases of sessions at decreasing frequency (domain.md §2)."""

    code = models.SlugField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProtocolPhase(models.Model):
    """``count`` sessions, each ``gap_days`` ± ``tolerance_days`` after the one before.

    ``min_gap_days`` sets a hard floor inside the window (toxin: never under 84 days).
    A phase with no ``count`` is open-ended maintenance.
    """

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    gap_days = models.PositiveSmallIntegerField()
    tolerance_days = models.PositiveSmallIntegerField(default=0)
    min_gap_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["protocol", "order"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "order"], name="protocol_phase_order"),
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(count__gte=1), name="protocol_phase_count"
            ),
            models.CheckConstraint(
                condition=Q(tolerance_days__lte=F("gap_days")), name="protocol_phase_tolerance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code}: {self.name}"

    @property
    def earliest_gap_days(self) -> int:
        floor = self.gap_days - self.tolerance_days
        return max(floor, self.min_gap_days or 0)

    @property
    def latest_gap_days(self) -> int:
        return self.gap_days + self.tolerance_days


class Treatment(models.Model):
    """A bookable treatment with its duration, price, scope flags and defaults (domain.md §1)."""

    code = models.SlugField(max_length=60, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Plain-language text for clients.")
    what_to_expect = models.TextField(blank=True)
    areas = models.JSONField(default=list)
    treatment_minutes = models.PositiveSmallIntegerField()
    numbing_minutes = models.PositiveSmallIntegerField(default=0)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    needs_needle = models.BooleanField(default=True)
    requires_prescriber = models.BooleanField(default=False)
    swelling_expected = models.BooleanField(default=False)
    device_type = models.CharField(max_length=40, choices=DeviceType.choices, blank=True)
    default_formulation = models.ForeignKey(
        Formulation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    default_protocol = models.ForeignKey(
        Protocol, on_delete=models.PROTECT, related_name="treatments"
    )
    risk_tier = models.CharField(
        max_length=20, choices=RiskTier.choices, default=RiskTier.UNCLASSIFIED
    )
    max_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_side_effects = models.JSONField(default=list, blank=True)
    aftercare = models.TextField(blank=True)
    primary_scale = models.CharField(max_length=40, blank=True)
    bookable_online = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    is_consultation = models.BooleanField(
        default=False,
        help_text="A consultation with a prescriber: nothing is given, so only who holds it "
        "is screened.",
    )
    no_show_policy = models.CharField(
        "No-show policy",
        max_length=10,
        choices=[(preset.value, label) for preset, label in NO_SHOW_PRESET_LABELS.items()],
        default=DEFAULT_NO_SHOW_PRESET.value,
        help_text="What a client who does not come is charged (the rule is shown before "
        "they book).",
    )
    no_show_fee_percent = models.DecimalField(
        "No-show fee (% of the price)",
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_NO_SHOW_FEE_PERCENT,
        help_text="Charged on the client's account under the strict policy, on top of the "
        "kept deposit.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(treatment_minutes__gte=5), name="treatment_minutes_min"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="treatment_price_not_negative"),
            models.CheckConstraint(
                condition=Q(no_show_fee_percent__gte=0, no_show_fee_percent__lte=100),
                name="treatment_no_show_fee_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(no_show_policy__in=[preset.value for preset in NoShowPreset]),
                name="treatment_no_show_policy_valid",
            ),
            # No visit lasts half a day; the SQLite overlap triggers rely on it.
            models.CheckConstraint(
                condition=Q(numbing_minutes__lte=720 - F("treatment_minutes")),
                name="treatment_length_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_minutes(self) -> int:
        return self.numbing_minutes + self.treatment_minutes

    @property
    def contains_toxin(self) -> bool:
        return bool(self.default_formulation and self.default_formulation.contains_toxin)


class StockMovementKind(models.TextChoices):
    RECEIVED = "received", "Received"
    USED = "used", "Used in treatment"
    DISCARDED = "discarded", "Discarded"


class StockMovement(models.Model):
    """One change to a batch's quantity on hand; the stock ledger is append-only.

    ``quantity_change`` is signed (received > 0, used and discarded < 0) in the
    formulation's unit, so the sum of a batch's movements is its quantity on hand.
    """

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=StockMovementKind.choices)
    quantity_change = models.DecimalField(max_digits=10, decimal_places=2)
    at = models.DateTimeField()
    actor_label = models.CharField(max_length=150, blank=True)
    reference = models.CharField(
        max_length=80, blank=True, help_text="What caused it, e.g. record:12."
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["batch", "at"], name="stock_movement_batch_at")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity_change=0), name="stock_movement_not_zero"),
            models.CheckConstraint(
                condition=(Q(kind="received") & Q(quantity_change__gt=0))
                | (~Q(kind="received") & Q(quantity_change__lt=0)),
                name="stock_movement_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_change} of {self.batch}"
