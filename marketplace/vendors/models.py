from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Vendor(models.Model):
    """A user's shop. Approved and not suspended: it sells; otherwise its listings are hidden."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vendor")
    shop_name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    review_note = models.TextField(max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(max_length=1000, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "vendors_vendor"
        ordering = ["shop_name"]
        indexes = [models.Index(fields=["status", "created_at"], name="vendors_status_created")]
        constraints = [
            models.UniqueConstraint(Lower("shop_name"), name="vendors_shop_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "rejected"]),
                name="vendors_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(suspended_at__isnull=True) | models.Q(status="approved"),
                name="vendors_only_approved_suspended",
            ),
        ]

    def __str__(self) -> str:
        return self.shop_name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.APPROVED and self.suspended_at is None
