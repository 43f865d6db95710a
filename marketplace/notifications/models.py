from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One notification to one user: shown in their list, and handed to the configured backend."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    topic = models.CharField(max_length=40)
    # What the user may switch e-mail off for (services/notification_kinds.py); "" for none.
    kind = models.CharField(max_length=20, blank=True, default="")
    # What the inbox groups it under: "order:<reference>", "wallet", or "" (other notices).
    thread = models.CharField(max_length=60, blank=True, default="")
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
            models.Index(fields=["user", "thread"], name="notifications_by_thread"),
            # The navigation counts these on every signed-in page: only unread rows are in it.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notifications_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.status})"


class EmailOptOut(models.Model):
    """A kind of notification a user does not want by e-mail (absent: they do; all on by default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)

    class Meta:
        db_table = "notifications_email_opt_out"
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notifications_one_opt_out_per_kind")]

    def __str__(self) -> str:
        return f"{self.user_id}: no e-mail for {self.kind}"
