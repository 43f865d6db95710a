"""The reload journal: who asked for which reload, when, and what each worker made of it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReloadRequest(models.Model):
    class Kind(models.TextChoices):
        MODULE = "module", "module"
        SERVICE = "service", "service"

    class Via(models.TextChoices):
        PAGE = "page", "ops page"
        COMMAND = "command", "management command"
        API = "api", "Python API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    target = models.CharField(max_length=100)
    via = models.CharField(max_length=10, choices=Via.choices)
    requested_by = models.CharField(max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(max_length=200, help_text="host:pid of the process that took the request")
    request_id = models.CharField(max_length=64, blank=True)
    broadcast = models.BooleanField(default=False)
    broadcast_error = models.CharField(max_length=300, blank=True)
    expected_workers = models.PositiveIntegerField(default=0)
    missing_workers = models.JSONField(default=list, blank=True)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} by {self.requested_by} at {self.requested_at:%Y-%m-%d %H:%M:%S}"


class WorkerReloadResult(models.Model):
    request = models.ForeignKey(ReloadRequest, on_delete=models.CASCADE, related_name="results")
    worker = models.CharField(max_length=200)
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    version_before = models.CharField(max_length=40, blank=True)
    version_after = models.CharField(max_length=40, blank=True)
    generation = models.PositiveIntegerField(default=0)
    duration_ms = models.FloatField(default=0)
    modules = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["worker"]
        constraints = [
            models.UniqueConstraint(fields=["request", "worker"], name="ops_one_result_per_worker"),
        ]

    def __str__(self) -> str:
        return f"{self.worker}: {'ok' if self.ok else 'failed'}"
