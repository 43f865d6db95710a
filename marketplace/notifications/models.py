from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One notification to one user: shown in their list, and handed to the configured backend."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    topic = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True, default="")
    backend = models.CharField(max_length=20)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications_notification"
        indexes = [
            models.Index(fields=["user", "-id"], name="notifications_by_user"),
            models.Index(fields=["status", "created_at"], name="notifications_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.status})"
