"""The audit trail: who did what to which record, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One clinical read or write, or an administrative action.

    Entries are only ever added: database triggers (migration ``0003``) refuse every
    ``UPDATE`` and, outside :func:`mesoclinic.core.audit_guard.audit_erasure_allowed`,
    every ``DELETE`` (and ``TRUNCATE`` on PostgreSQL). ``action`` is a dotted verb such as
    ``client.view`` or ``screening.run``. ``role`` and ``ip`` say in which capacity and
    from where the actor acted; both are empty outside a web request (``system``).

    On SQLite, a migration that alters this table rebuilds it and so drops its triggers:
    such a migration must create them again (see ``0003_append_only_audit``); the
    append-only tests fail until it does.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    role = models.CharField(
        max_length=80, blank=True, help_text="The actor's role(s) when acting; empty: system."
    )
    ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="Where the request came from; empty: system."
    )
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    client_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["client_id", "at"], name="audit_client_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"


class WorkerHeartbeat(models.Model):
    """A background worker's sign of life: ``mesoclinic worker`` rewrites its row every
    half minute (its timed-jobs thread), so ``/healthz`` can tell whether one is running."""

    name = models.CharField(max_length=200, unique=True)  # host:pid
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.name} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class BackupRun(models.Model):
    """One attempt at a backup (scheduled or by hand): when, whether it succeeded, which
    archive it wrote and how big, or why it failed. The row is written once the attempt
    has ended (so an archive never holds its own run, and a crash mid-way records nothing
    rather than a success); ``pruned_at`` is set when retention removed the archive."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "scheduled"
        MANUAL = "manual", "manual"

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    path = models.CharField(max_length=500, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"backup {self.status} at {self.started_at:%Y-%m-%d %H:%M}"
