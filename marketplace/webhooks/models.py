import uuid

from django.conf import settings
from django.db import models


class WebhookEndpoint(models.Model):
    """A URL its owner asked us to POST their own events to, signed with its secret."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list)  # event type names, e.g. ["order.shipped"]
    # Stored as is, not hashed: every delivery is signed with it (an HMAC needs the key itself).
    # It is shown once, when made or rotated, and never again on a page; there is no admin for it.
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "webhooks_endpoint"
        indexes = [models.Index(fields=["owner", "-id"], name="webhooks_endpoint_by_owner")]

    def __str__(self) -> str:
        return f"{self.url} ({self.owner_id})"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the body sent (the same bytes on every attempt) and how it went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    # The id receivers see (the payload's "id", the Webhook-Id header): theirs to deduplicate by.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Attempts after which the current round (the first sending, or a redelivery) has failed for
    # good: the task queue's own attempt budget for it, counted on from ``attempts``.
    attempt_limit = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True, default="")  # or the error
    created_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhooks_delivery"
        indexes = [
            models.Index(fields=["endpoint", "-id"], name="webhooks_delivery_by_endpoint"),
            models.Index(fields=["status", "last_attempt_at"], name="webhooks_delivery_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.uuid} ({self.status})"
