"""Personal access tokens: only a digest of each is kept, the token itself is shown once."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    # The first characters of the token, shown on the account page so its owner can tell tokens apart.
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_live")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ReplayableRequest(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, for the same key again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    # Method, path and body, hashed: the same key with another request is refused, not replayed.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)  # 0: the first request is still running
    payload = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_replay_user_key")]
        indexes = [models.Index(fields=["user", "created_at"], name="api_replay_user_age")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"
