"""Treatment records and what follows them (domain.md §5-§7).

A :class:`TreatmentRecord` documents one appointment: the products used (batch by batch),
the areas treated with their geometry and chart points, the device, numbing and immediate
reactions. Signing locks it; later corrections are :class:`Addendum` rows. Signing also
takes the stock out of each batch and opens the side-effect :class:`FollowUp` tasks.

Outcome :class:`Assessment` rows store a scale's components and the engine's total; photos
hang off assessments and live under MEDIA_ROOT/clinical, never publicly served.
:class:`MaintenanceDecision` keeps each response-adaptive interval decision with its reason.
:class:`AdverseEvent` rows feed the Yellow Card draft; :class:`RecallContact` notes who was
told about a recalled lot.

The services enforce immutability after signing; the database enforces ranges.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q

from mesoclinic.catalogue.models import Batch, Formulation, Treatment
from mesoclinic.people.models import Client, Device, Practitioner
from mesoclinic.scheduling.models import Appointment


class Technique(models.TextChoices):
    EPIDERMAL = "epidermal", "Epidermal (< 1 mm)"
    PAPULE = "papule", "Papule (1-2 mm)"
    NAPPAGE = "nappage", "Nappage (2-4 mm)"
    POINT_BY_POINT = "point-by-point", "Point by point (4-12 mm)"
    LINEAR_RETROGRADE = "linear-retrograde", "Linear retrograde"
    DEVICE = "device", "Device"


class Delivery(models.TextChoices):
    """How the cocktail went in: by hand with a syringe, or by a device (domain.md §1: freehand
    technique varies in depth and quantity, which is why the record keeps it)."""

    FREEHAND = "freehand", "Freehand (syringe)"
    DEVICE = "device", "Device"


class Reaction(models.TextChoices):
    PURPLE_DOTS = "purple_dots", "Tiny purple dots at injection sites"
    BRUISING = "bruising", "Bruising"
    BRUISE_SMALL = "bruise_small", "Bruise, small (under 1 cm)"
    BRUISE_MEDIUM = "bruise_medium", "Bruise, medium (1-3 cm)"
    BRUISE_LARGE = "bruise_large", "Bruise, large (over 3 cm)"
    SWELLING = "swelling", "Swelling"
    UNDER_EYE_SWELLING = "under_eye_swelling", "Under-eye swelling"
    REDNESS = "redness", "Redness"
    PAIN = "pain", "Pain"
    NONE = "none", "No immediate reaction"


class ChartMap(models.TextChoices):
    FACE = "face", "Face"
    SCALP = "scalp", "Scalp"
    BODY = "body", "Body"


class TreatmentRecord(models.Model):
    """What was done in one session. Signed records are locked."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="treatment_record"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="treatment_records")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="treatment_records"
    )
    performed_at = models.DateTimeField(help_text="When treatment started (from the appointment).")
    numbing_used = models.BooleanField(default=False)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device_settings = models.JSONField(default=dict, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.FREEHAND)
    reactions = models.JSONField(default=list, blank=True)
    pain_vas = models.PositiveSmallIntegerField(null=True, blank=True)
    bruise_cm = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="The largest bruise across, in cm (its size code follows from it).",
    )
    notes = models.TextField(blank=True)
    screening = models.JSONField(default=dict, blank=True, help_text="Screening at record time.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-performed_at"]
        indexes = [models.Index(fields=["client", "performed_at"], name="record_client_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_vas__isnull=True) | Q(pain_vas__lte=100), name="record_pain_vas"
            ),
            models.CheckConstraint(
                condition=Q(bruise_cm__isnull=True) | (Q(bruise_cm__gt=0) & Q(bruise_cm__lte=30)),
                name="record_bruise_cm",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True) | Q(signed_by__isnull=False),
                name="record_signed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Record {self.pk} ({self.treatment.code}, {self.performed_at:%Y-%m-%d})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class ProductUse(models.Model):
    """One product given in a session: which batch, how much (and toxin units and dilution)."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="products")
    formulation = models.ForeignKey(Formulation, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="uses")
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    units = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    dilution_u_per_ml = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["record", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(volume_ml__gte=0), name="product_use_volume"),
            models.CheckConstraint(
                condition=Q(units__isnull=True) | Q(units__gt=0), name="product_use_units"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.formulation.code} lot {self.batch.lot}: {self.volume_ml} mL"


class TreatedArea(models.Model):
    """One area treated, with the injection geometry (not just a claimed depth)."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(max_length=60)
    technique = models.CharField(max_length=20, choices=Technique.choices)
    needle_gauge = models.PositiveSmallIntegerField(null=True, blank=True)
    needle_length_mm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    angle_deg = models.PositiveSmallIntegerField(null=True, blank=True)
    depth_mm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    points = models.PositiveIntegerField(default=0)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    chart_map = models.CharField(max_length=10, choices=ChartMap.choices, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["record", "position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(angle_deg__isnull=True) | Q(angle_deg__lte=90), name="area_angle"
            ),
            models.CheckConstraint(condition=Q(volume_ml__gte=0), name="area_volume"),
        ]

    def __str__(self) -> str:
        return f"{self.area} ({self.technique})"


class ChartPoint(models.Model):
    """An injection point on a chart map; ``x`` and ``y`` are normalised to 0-1."""

    area = models.ForeignKey(TreatedArea, on_delete=models.CASCADE, related_name="chart_points")
    x = models.FloatField()
    y = models.FloatField()
    volume_ml = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["area", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0) & Q(x__lte=1) & Q(y__gte=0) & Q(y__lte=1),
                name="chart_point_normalised",
            ),
        ]

    def __str__(self) -> str:
        return f"({self.x:.3f}, {self.y:.3f})"


class Addendum(models.Model):
    """A correction or note added to a signed record: who, what, when. Never edited."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["record", "created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum to record {self.record_id} by {self.author_label}"


class FollowUpKind(models.TextChoices):
    HOURS_48 = "48h", "48 hours"
    WEEKS_2 = "2w", "2 weeks"
    WEEKS_12 = "12w", "12 weeks"


class FollowUpOutcome(models.TextChoices):
    NO_ADVERSE_EVENT = "no_adverse_event", "No adverse event"
    EXPECTED_EFFECTS = "expected_effects", "Expected effects only, settling"
    ADVERSE_EVENT = "adverse_event", "Adverse event (reported)"
    NOT_REACHED = "not_reached", "Client not reached"


class FollowUp(models.Model):
    """A side-effect check-in after a signed session (48 h; 2 and 12 weeks for injectables)."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="follow_ups")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=4, choices=FollowUpKind.choices)
    due_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=FollowUpOutcome.choices, blank=True)
    notes = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by_label = models.CharField(max_length=150, blank=True)
    adverse_event = models.ForeignKey(
        "AdverseEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["completed_at", "due_at"], name="follow_up_open_due")]
        constraints = [
            models.UniqueConstraint(fields=["record", "kind"], name="follow_up_once_per_kind"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | ~Q(outcome=""),
                name="follow_up_done_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} follow-up of record {self.record_id}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None


class Seriousness(models.TextChoices):
    DEATH = "death", "Death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Hospitalisation (or prolonged)"
    DISABILITY = "disability", "Disability or incapacity"
    CONGENITAL_ABNORMALITY = "congenital_abnormality", "Congenital abnormality"
    MEDICALLY_SIGNIFICANT = "medically_significant", "Medically significant"


class AdverseEventOutcome(models.TextChoices):
    RECOVERED = "recovered", "Recovered"
    RECOVERING = "recovering", "Recovering"
    CONTINUING = "continuing", "Continuing"
    OTHER = "other", "Other"


class AdverseEvent(models.Model):
    """A suspected adverse reaction, with what the Yellow Card needs (domain.md §5)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="adverse_events")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    onset = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    description = models.TextField()
    seriousness = models.JSONField(default=list, blank=True)
    outcome = models.CharField(max_length=12, choices=AdverseEventOutcome.choices)
    treatment_given = models.TextField(blank=True)
    other_medicines = models.JSONField(default=list, blank=True)
    reported_at = models.DateTimeField()
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reporter_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-onset", "-id"]
        indexes = [models.Index(fields=["client", "onset"], name="adverse_event_client")]

    def __str__(self) -> str:
        return f"Adverse event {self.pk} ({self.onset})"

    @property
    def is_serious(self) -> bool:
        return bool(self.seriousness)


class AdverseEventProduct(models.Model):
    """A suspected product and batch of an adverse event."""

    event = models.ForeignKey(AdverseEvent, on_delete=models.CASCADE, related_name="products")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=40, default="intradermal")

    class Meta:
        ordering = ["event", "id"]

    def __str__(self) -> str:
        return f"{self.batch} suspected in event {self.event_id}"


class RatedBy(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    CLIENT = "client", "Client"


class Assessment(models.Model):
    """One outcome or baseline score: the components as given and the engine's total."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assessments")
    scale = models.CharField(max_length=40)
    components = models.JSONField(default=dict)
    score_value = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="Numeric total."
    )
    score_text = models.CharField(max_length=20, help_text="The total as the scale writes it.")
    score_rank = models.DecimalField(
        max_digits=9, decimal_places=2, help_text="Comparable position (ordinal rank or value)."
    )
    band = models.CharField(max_length=80, blank=True)
    rated_by = models.CharField(
        max_length=12, choices=RatedBy.choices, default=RatedBy.PRACTITIONER
    )
    treatment = models.ForeignKey(
        Treatment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["assessed_at", "id"]
        indexes = [
            models.Index(fields=["client", "scale", "assessed_at"], name="assessment_client_scale")
        ]

    def __str__(self) -> str:
        return f"{self.scale} {self.score_text} ({self.assessed_at:%Y-%m-%d})"


class ClinicalStorage(FileSystemStorage):
    """Files under MEDIA_ROOT with no public URL: only an access-checked view serves them."""

    def url(self, name: str | None) -> str:
        raise ValueError("Clinical files have no public URL; use the access-checked view.")


clinical_storage = ClinicalStorage()


def _clinical_storage() -> FileSystemStorage:
    return clinical_storage


class PhotoView(models.TextChoices):
    FRONT = "front", "Front"
    LEFT = "left", "Left side"
    RIGHT = "right", "Right side"
    TOP = "top", "Top (scalp)"
    OTHER = "other", "Other"


class AssessmentPhoto(models.Model):
    """A clinical photo attached to an assessment, EXIF stripped on upload."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField(
        storage=_clinical_storage, upload_to="clinical/photos/%Y/%m/", max_length=200
    )
    content_type = models.CharField(max_length=20)
    view = models.CharField(max_length=10, choices=PhotoView.choices, default=PhotoView.FRONT)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    uploaded_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"Photo {self.pk} of assessment {self.assessment_id}"


class MaintenanceDecision(models.Model):
    """A response-adaptive maintenance interval decision and the reason for it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    interval_days = models.PositiveSmallIntegerField()
    shortened = models.BooleanField()
    reason = models.CharField(max_length=30)
    message = models.CharField(max_length=300)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["client", "treatment", "decided_at"], name="maintenance_latest")
        ]

    def __str__(self) -> str:
        return f"{self.interval_days} days for {self.client} ({self.reason})"


class RecallContact(models.Model):
    """A client told about a recalled lot: who told them, when, how."""

    lot = models.CharField(max_length=60)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    contacted_at = models.DateTimeField()
    contacted_by_label = models.CharField(max_length=150)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["lot", "contacted_at"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "client"], name="recall_contact_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client} contacted about lot {self.lot}"


class SignOffStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned"


class SignOff(models.Model):
    """A signed record waiting for (or given) its author's supervisor's sign-off."""

    record = models.OneToOneField(
        TreatmentRecord, on_delete=models.PROTECT, related_name="sign_off"
    )
    supervisor = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="sign_off_queue"
    )
    status = models.CharField(
        max_length=10, choices=SignOffStatus.choices, default=SignOffStatus.PENDING
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["supervisor", "status"], name="sign_off_queue")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(comment=""), name="sign_off_return_comment"
            ),
        ]

    def __str__(self) -> str:
        return f"Sign-off of record {self.record_id} ({self.status})"
