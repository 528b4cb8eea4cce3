"""Clinical safety records: questionnaires, consents, overrides, prescriptions, toxin history.

Every row here is evidence. Rows are only ever added through ``safety.services``; a new
questionnaire supersedes the old one, a new consent form version sits beside the old one,
and a signed consent keeps the exact text the client signed, whatever happens to the form
later. The screening engine (``safety.engine``) is given these rows as facts read by
``safety.facts``; screens read them through ``safety.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from mesoclinic.catalogue.models import Formulation, Treatment
from mesoclinic.people.models import Client, Practitioner
from mesoclinic.safety.engine import RULES as SCREENING_RULES
from mesoclinic.safety.engine import Condition, ReasonCode, Severity

OVERRIDABLE_CODES: tuple[str, ...] = tuple(
    dict.fromkeys(rule.code.value for rule in SCREENING_RULES if rule.severity is Severity.OVERRIDE)
)
"""Reason codes a clinician may override: those of the ``override`` severity rules."""


class QuestionnaireSource(models.TextChoices):
    STAFF = "staff", "Recorded by staff"
    CLIENT = "client", "Completed by the client"


class HealthQuestionnaire(models.Model):
    """One set of answers to the health questionnaire; the latest one counts.

    Never edited: new answers are a new row. ``conditions`` holds codes of
    ``safety.engine.Condition``; ``allergies`` and ``medications`` hold the client's own words.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="questionnaires")
    answered_at = models.DateTimeField()
    pregnant = models.BooleanField(default=False)
    breastfeeding = models.BooleanField(default=False)
    allergies = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    medications = models.JSONField(default=list, blank=True)
    isotretinoin_last_taken_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(
        max_length=10, choices=QuestionnaireSource.choices, default=QuestionnaireSource.STAFF
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at", "-id"]
        get_latest_by = ["answered_at", "id"]
        indexes = [
            models.Index(fields=["client", "answered_at"], name="questionnaire_client_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=QuestionnaireSource.values), name="questionnaire_source"
            ),
        ]

    def __str__(self) -> str:
        return f"Questionnaire {self.client_id} {self.answered_at:%Y-%m-%d}"

    @property
    def condition_labels(self) -> list[str]:
        """The declared conditions in words, for display."""
        return [CONDITION_LABELS.get(code, code) for code in self.conditions]


CONDITION_LABELS: dict[str, str] = {
    Condition.ACTIVE_INFECTION_AT_SITE: "Infection, cold sore or inflamed skin at the area",
    Condition.ANTICOAGULANTS: "Takes anticoagulant or antiplatelet medication",
    Condition.BLEEDING_DISORDER: "Bleeding disorder",
    Condition.AUTOIMMUNE_DISEASE: "Autoimmune disease or immunosuppression",
    Condition.KELOID_HISTORY: "History of keloid scars",
    Condition.ISOTRETINOIN_RECENT: "Isotretinoin in the last 12 months",
    Condition.INSULIN_DEPENDENT_DIABETES: "Insulin-dependent diabetes",
    Condition.ACTIVE_CANCER: "Active cancer",
    Condition.NEUROMUSCULAR_DISORDER: "Neuromuscular disorder (e.g. myasthenia gravis)",
    Condition.PACEMAKER: "Pacemaker or other implanted electrical device",
    Condition.PRONE_TO_UNDER_EYE_SWELLING: "Prone to under-eye swelling",
}
"""Plain-English labels for questionnaire condition codes."""


class ConsentForm(models.Model):
    """A version of the consent form for a treatment. The highest version is current."""

    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="consent_forms")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    cooling_off_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the clinic's default cooling-off period."
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["treatment", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["treatment", "version"], name="consent_form_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="consent_form_version_min"),
            models.CheckConstraint(condition=~Q(body=""), name="consent_form_body_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class SignatureKind(models.TextChoices):
    TYPED = "typed", "Typed name"
    DRAWN = "drawn", "Drawn signature"


class SignedConsent(models.Model):
    """A client's signature on one consent form version, with the exact text they signed.

    ``text`` is a copy of the form body at signing, so a later form version (or an edit by
    an administrator) never changes what the client agreed to; ``text_sha256`` lets anyone
    check it. ``signature_data`` holds the drawn signature as SVG path data (``M x y L x y``).
    Photo use and marketing are separate opt-ins (UK GDPR Art. 9).
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="signatures")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    form_version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    signed_name = models.CharField(max_length=200)
    signature_kind = models.CharField(max_length=10, choices=SignatureKind.choices)
    signature_data = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    photo_use = models.BooleanField(default=False)
    marketing = models.BooleanField(default=False)
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["client", "treatment"], name="consent_client_treatment")]
        constraints = [
            models.CheckConstraint(condition=~Q(signed_name=""), name="consent_signed_name"),
            models.CheckConstraint(
                condition=Q(signature_kind=SignatureKind.TYPED)
                | (Q(signature_kind=SignatureKind.DRAWN) & ~Q(signature_data="")),
                name="consent_drawn_has_data",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {self.client_id} {self.title} v{self.form_version}"


class Override(models.Model):
    """A clinician's decision to proceed despite an ``override`` reason, with a justification.

    Clears only ``code`` for this client and treatment, until ``expires_at``.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="overrides")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=50)
    justification = models.TextField()
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="overrides"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "treatment", "expires_at"], name="override_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=OVERRIDABLE_CODES), name="override_code_overridable"
            ),
            models.CheckConstraint(
                condition=~Q(justification=""), name="override_justification_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="override_expires_after"
            ),
        ]

    def __str__(self) -> str:
        return f"Override {self.code} for {self.client_id}"


class Prescription(models.Model):
    """A prescription written at a face-to-face consultation with a prescriber.

    One row records both the consultation (when, by whom, in person) and what was prescribed
    for the client. Screening accepts it for ``PRESCRIPTION_VALID_DAYS`` after the consultation.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="prescriptions")
    prescriber = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="prescriptions"
    )
    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="+")
    consultation_at = models.DateTimeField()
    face_to_face = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-consultation_at", "-id"]
        indexes = [
            models.Index(fields=["client", "consultation_at"], name="prescription_client_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(face_to_face=True), name="prescription_in_person"),
        ]

    def __str__(self) -> str:
        return f"Prescription {self.formulation_id} for {self.client_id}"


class ToxinSource(models.TextChoices):
    HISTORY = "history", "History (declared or seeded)"
    RECORD = "record", "Signed treatment record"


class ToxinAdministration(models.Model):
    """A botulinum toxin administration (any brand, any area, MesoTox included).

    The ``toxin_interval`` rule reads this table. Rows come from history the clinic enters,
    or one per signed toxin treatment record (``source=record``; ``source_reference`` names
    the record).
    """

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="toxin_administrations"
    )
    administered_on = models.DateField()
    formulation = models.ForeignKey(
        Formulation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_name = models.CharField(max_length=160, blank=True)
    units = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=10, choices=ToxinSource.choices)
    # Nullable on purpose: unique among rows that have one (see the constraint below).
    source_reference = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-administered_on", "-id"]
        indexes = [
            models.Index(fields=["client", "administered_on"], name="toxin_client_on"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=ToxinSource.values), name="toxin_source"),
            models.CheckConstraint(
                condition=Q(units__isnull=True) | Q(units__gt=0), name="toxin_units_positive"
            ),
            models.CheckConstraint(
                condition=Q(formulation__isnull=False) | ~Q(product_name=""),
                name="toxin_names_product",
            ),
            models.UniqueConstraint(
                fields=["source", "source_reference"],
                condition=Q(source_reference__isnull=False),
                name="toxin_source_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Toxin {self.client_id} {self.administered_on}"


__all__ = [
    "CONDITION_LABELS",
    "OVERRIDABLE_CODES",
    "ConsentForm",
    "HealthQuestionnaire",
    "Override",
    "Prescription",
    "QuestionnaireSource",
    "ReasonCode",
    "SignatureKind",
    "SignedConsent",
    "ToxinAdministration",
    "ToxinSource",
]
