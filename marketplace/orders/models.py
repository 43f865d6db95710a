"""Orders' tables. Written only by the orders services; states change by conditional updates.

Money is never stored here as a balance: an order's escrow lives in the wallets ledger under the
order's ``reference``; ``total_sat`` is what that escrow must hold while the order is open.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from services import order_states


class CartItem(models.Model):
    """One product in a buyer's cart; the cart outlives sessions and devices."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_items")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField()

    class Meta:
        db_table = "orders_cart_item"
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="orders_cart_one_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orders_cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"


class Checkout(models.Model):
    """One paid checkout: its key makes a double click or a replayed form pay once."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64)
    total_sat = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "orders_checkout"
        constraints = [
            models.UniqueConstraint(fields=["buyer", "idempotency_key"], name="orders_checkout_key_once"),
        ]

    def __str__(self) -> str:
        return f"checkout {self.idempotency_key}"


class Order(models.Model):
    """One vendor's part of a checkout; its states are ``services.order_states``."""

    reference = models.CharField(max_length=20, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="orders")
    state = models.CharField(max_length=12, choices=list(order_states.LABELS.items()), default=order_states.FUNDED)
    total_sat = models.BigIntegerField()
    # The commission in force when the buyer paid: the vendor sold on those terms.
    commission_bps = models.PositiveIntegerField()
    tracking_note = models.CharField(max_length=500, blank=True, default="")
    # Deadlines, fixed when the clock starts: later configuration changes do not move them.
    accept_by = models.DateTimeField()
    auto_complete_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # How the escrow was settled, once closed (satoshis).
    vendor_payout_sat = models.BigIntegerField(null=True, blank=True)
    commission_sat = models.BigIntegerField(null=True, blank=True)
    refunded_sat = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "orders_order"
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="orders_by_buyer"),
            models.Index(fields=["vendor", "state", "-created_at"], name="orders_by_vendor"),
            models.Index(fields=["state", "accept_by"], name="orders_accept_due"),
            models.Index(fields=["state", "auto_complete_at"], name="orders_complete_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_sat__gt=0), name="orders_total_positive"),
            models.CheckConstraint(condition=Q(commission_bps__lte=10_000), name="orders_commission_bps_range"),
            models.CheckConstraint(
                condition=Q(state__in=sorted(order_states.ALL)),
                name="orders_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class OrderLine(models.Model):
    """A product as bought: title and price copied at purchase, whatever happens to it later."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=120)
    price_sat = models.BigIntegerField()
    quantity = models.PositiveIntegerField()

    class Meta:
        db_table = "orders_line"
        constraints = [
            models.CheckConstraint(condition=Q(price_sat__gt=0) & Q(quantity__gte=1), name="orders_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def total_sat(self) -> int:
        return self.price_sat * self.quantity


class OrderEvent(models.Model):
    """The audit trail: every transition, written in the transaction of its ledger entry."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # null: the marketplace itself (a timeout)
    from_state = models.CharField(max_length=12, blank=True, default="")
    to_state = models.CharField(max_length=12)
    note = models.TextField(max_length=1000, blank=True, default="")
    entry = models.ForeignKey("wallets.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "orders_event"
        indexes = [models.Index(fields=["order", "id"], name="orders_event_by_order")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_state or 'new'} -> {self.to_state}"


class Dispute(models.Model):
    class Ruling(models.TextChoices):
        REFUND = "refund", "Refund the buyer"
        RELEASE = "release", "Release to the vendor"
        SPLIT = "split", "Split between them"

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_from = models.CharField(max_length=12)  # accepted or shipped: did the goods leave?
    reason = models.TextField(max_length=2000)
    opened_at = models.DateTimeField()
    ruling = models.CharField(max_length=8, choices=Ruling.choices, blank=True, default="")
    buyer_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    resolution_note = models.TextField(max_length=2000, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "orders_dispute"
        constraints = [
            models.CheckConstraint(
                condition=Q(buyer_percent__isnull=True) | Q(buyer_percent__gte=1, buyer_percent__lte=99),
                name="orders_dispute_split_range",
            ),
        ]

    def __str__(self) -> str:
        return f"dispute on order {self.order_id}"


class Message(models.Model):
    """One post in an order's thread (buyer, vendor, and staff once there is a dispute)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "orders_message"
        indexes = [models.Index(fields=["order", "id"], name="orders_message_by_order")]

    def __str__(self) -> str:
        return f"message {self.pk} on order {self.order_id}"


class Review(models.Model):
    """The buyer's rating of a completed order: one per order."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="review")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "orders_review"
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="orders_review_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for order {self.order_id}"
