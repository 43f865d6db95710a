from django.conf import settings
from django.db import models
from django.utils import timezone


class Favourite(models.Model):
    """One product on one user's list."""

    # No reverse accessors: the accounts and products apps know nothing of this module.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="favourites_one_per_product")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.product_id}"
