"""One row per background task: written in the transaction that asks for the work, so the work
exists exactly when the change that needs it committed, whatever happens to the broker after."""

import uuid

from django.db import models


class TaskRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Waiting to retry"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, help_text="<module>.<task>, as the module declares it")
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    retries = models.PositiveIntegerField(default=0, help_text="times it was sent again after failing")
    forget_arguments = models.BooleanField(default=False, help_text="kwargs erased once it succeeded (a link, say)")
    last_error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tasks_run"
        indexes = [models.Index(fields=["status", "updated_at"], name="tasks_by_status")]

    def __str__(self) -> str:
        return f"{self.name} {self.id} ({self.status})"
