"""An import run (one uploaded file, its mapping, its dry run and its import), the ledger
that makes importing the same rows twice import nothing, and imported history entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from mesoclinic.catalogue.models import Treatment
from mesoclinic.imports.fields import Kind
from mesoclinic.people.models import Client


class RunStatus(models.TextChoices):
    MAPPING = "mapping", "Columns to map"
    CHECK_QUEUED = "check_queued", "Dry run waiting for the worker"
    CHECKING = "checking", "Dry run in progress"
    CHECKED = "checked", "Dry run done"
    IMPORT_QUEUED = "import_queued", "Import waiting for the worker"
    IMPORTING = "importing", "Import in progress"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Stopped by an error"


class Phase(models.TextChoices):
    DRY_RUN = "dry_run", "Dry run"
    IMPORT = "import", "Import"


class ImportRun(models.Model):
    """One uploaded file. Its text is kept until the import is done, so the dry run and the
    import read exactly the same rows."""

    kind = models.CharField(max_length=20, choices=[(kind.value, kind.value) for kind in Kind])
    source = models.CharField(max_length=40, help_text="The preset: the system it came from.")
    filename = models.CharField(max_length=200)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded.")
    text = models.TextField()
    header = models.JSONField(default=list)
    row_count = models.PositiveIntegerField()
    mapping = models.JSONField(default=dict, help_text="Column name → mesoclinic field code.")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.MAPPING)
    processed = models.PositiveIntegerField(default=0, help_text="Rows done in this phase.")
    dry_run_report = models.JSONField(default=list, blank=True)
    import_report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.filename})"

    @property
    def phase(self) -> str:
        if self.status in {RunStatus.IMPORT_QUEUED, RunStatus.IMPORTING, RunStatus.IMPORTED}:
            return Phase.IMPORT
        return Phase.DRY_RUN

    @property
    def running(self) -> bool:
        return self.status in {
            RunStatus.CHECK_QUEUED,
            RunStatus.CHECKING,
            RunStatus.IMPORT_QUEUED,
            RunStatus.IMPORTING,
        }

    @property
    def percent(self) -> int:
        if self.status in {RunStatus.CHECKED, RunStatus.IMPORTED}:
            return 100
        return min(100, (100 * self.processed) // self.row_count) if self.row_count else 0


class ImportedKey(models.Model):
    """A row already imported, keyed by the system it came from, the kind of file and its
    id there (or, without an id, a digest of its values). The unique key is what makes a
    second import of the same rows create nothing; the links say what the row became."""

    source = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=200)
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = models.ForeignKey(
        "imports.ImportedHistory",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="keys")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "key"], name="imported_key_once_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key}"


class ImportedHistory(models.Model):
    """A past treatment as the old system recorded it: imported, not a clinical record.

    It was not written or signed by a mesoclinic practitioner, has no products by batch,
    no chart and no screening; pages show it apart from treatment records, labelled with
    the system it came from."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="imported_history")
    treated_on = models.DateField()
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="+")
    practitioner_name = models.CharField(
        max_length=200, blank=True, help_text="As the old system named them."
    )
    notes = models.TextField(blank=True)
    product = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=40)
    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="history")
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-treated_on", "-id"]
        verbose_name_plural = "imported history"

    def __str__(self) -> str:
        return f"Imported: {self.treatment_id} on {self.treated_on}"
