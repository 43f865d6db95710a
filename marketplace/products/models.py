from django.conf import settings
from django.db import models

from services.money import MAX_SATS


class Category(models.Model):
    """A simple tree: a category has at most one parent; products sit at any level."""

    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "products_category"
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="products_category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A listing. Shown to buyers while active, not unlisted by staff, not deleted, and its shop
    approved and not suspended. Deleting keeps the row (orders may point at it) but hides it."""

    class Moderation(models.TextChoices):
        OK = "ok", "Listed"
        UNLISTED = "unlisted", "Unlisted by staff"

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=10_000, blank=True)
    price_sat = models.BigIntegerField()
    stock = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    moderation = models.CharField(max_length=16, choices=Moderation.choices, default=Moderation.OK)
    moderation_note = models.TextField(max_length=1000, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Buyers' stars, summed and counted as reviews arrive (CatalogService.record_rating, in the
    # review's transaction), so a catalog card shows its rating without reading any review.
    rating_sum = models.PositiveIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "products_product"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="products_newest"),
            models.Index(fields=["price_sat", "id"], name="products_price"),
            models.Index(fields=["vendor", "-created_at"], name="products_vendor_newest"),
            models.Index(fields=["category", "-created_at"], name="products_category_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_sat__gte=1, price_sat__lte=MAX_SATS), name="products_price_positive"
            ),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="products_stock_not_negative"),
            models.CheckConstraint(
                condition=models.Q(
                    rating_sum__gte=models.F("rating_count"), rating_sum__lte=models.F("rating_count") * 5
                ),
                name="products_rating_within_stars",
            ),
            models.CheckConstraint(
                condition=models.Q(moderation__in=["ok", "unlisted"]), name="products_moderation_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProductImage(models.Model):
    """A picture checked and re-encoded by ``ProductImages``; never the bytes as uploaded.

    ``thumbnail_240`` and ``thumbnail_480`` name its WebP thumbnails (at most that wide); empty
    for pictures stored before thumbnails existed, until ``manage.py make_thumbnails`` runs."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    file = models.CharField(max_length=200)
    thumbnail_240 = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001 (null: not made yet)
    thumbnail_480 = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "products_image"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.file


class ProductReport(models.Model):
    """A signed-in user's report of a listing, for staff to act on."""

    class Reason(models.TextChoices):
        PROHIBITED = "prohibited", "Prohibited or illegal item"
        COUNTERFEIT = "counterfeit", "Counterfeit"
        MISLEADING = "misleading", "Misleading description or price"
        OFFENSIVE = "offensive", "Offensive content"
        OTHER = "other", "Something else"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACTIONED = "actioned", "Listing unlisted"
        DISMISSED = "dismissed", "Dismissed"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=1000, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "products_report"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="products_report_queue")]
        constraints = [
            # One open report per person and listing: repeating it adds nothing for staff.
            models.UniqueConstraint(
                fields=["product", "reporter"],
                condition=models.Q(state="open"),
                name="products_one_open_report_each",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} report on product {self.product_id}"
