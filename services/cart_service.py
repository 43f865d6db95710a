"""The cart: what a buyer means to buy, across shops, kept in the database between visits.

Nothing is reserved or priced here: the cart shows today's prices and stock (two queries
whatever its size), and ``OrderService.checkout`` takes the stock and the money in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.orders.models import CartItem
from services.errors import CartError, NotFound

if TYPE_CHECKING:
    from services.catalog_queries import CatalogQueries
    from services.ports import Clock

QUANTITY_MAX = 999


@dataclass(frozen=True)
class CartLine:
    product_id: int
    title: str
    price_sat: int
    quantity: int
    vendor_id: int | None
    vendor_name: str
    available: bool
    stock: int

    @property
    def total_sat(self) -> int:
        return self.price_sat * self.quantity

    @property
    def problem(self) -> str:
        """Why this line cannot be bought as it is ("" when it can)."""
        if not self.available:
            return _("No longer for sale: remove it to check out.")
        if self.stock < self.quantity:
            if not self.stock:
                return _("Sold out.")
            return ngettext(
                "Only %(count)s left: lower the quantity to check out.",
                "Only %(count)s left: lower the quantity to check out.",
                self.stock,
            ) % {"count": self.stock}
        return ""


@dataclass(frozen=True)
class CartGroup:
    vendor_id: int | None
    vendor_name: str
    lines: tuple[CartLine, ...]

    @property
    def total_sat(self) -> int:
        return sum(line.total_sat for line in self.lines if line.available)


@dataclass(frozen=True)
class CartView:
    groups: tuple[CartGroup, ...] = ()

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total_sat(self) -> int:
        return sum(group.total_sat for group in self.groups)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[str]:
        return [
            _("%(title)s: %(problem)s") % {"title": line.title, "problem": line.problem}
            for line in self.lines
            if line.problem
        ]

    @property
    def ready(self) -> bool:
        """Something to buy and nothing in the way."""
        return bool(self.groups) and not self.problems


class CartService:
    def __init__(self, *, catalog_queries: CatalogQueries, clock: Clock, max_lines: int):
        self._catalog = catalog_queries
        self._clock = clock
        self.max_lines = int(max_lines)

    def contents(self, *, user_id: int) -> CartView:
        """The cart grouped by shop, at today's prices: two queries, whatever its size."""
        rows = list(
            CartItem.objects.filter(user_id=user_id)
            .order_by("added_at", "pk")
            .values_list("product_id", "quantity", "product__title")
        )
        if not rows:
            return CartView()
        current = self._catalog.purchase_lines(items={pid: qty for pid, qty, _ in rows})
        lines = []
        for product_id, quantity, title in rows:
            found = current.get(product_id)
            if found is None:  # deleted since: still shown, so the buyer can remove it
                lines.append(CartLine(product_id, title, 0, quantity, None, "", False, 0))
            else:
                lines.append(
                    CartLine(
                        product_id,
                        found.title,
                        found.price_sat,
                        quantity,
                        found.vendor_id,
                        found.vendor_name,
                        found.available,
                        found.stock,
                    )
                )
        ordered = sorted(lines, key=lambda line: (line.vendor_name, line.vendor_id or 0))
        return CartView(
            groups=tuple(
                CartGroup(vendor_id, group[0].vendor_name, tuple(group))
                for vendor_id, group in ((v, list(g)) for v, g in groupby(ordered, key=lambda line: line.vendor_id))
            )
        )

    def add(self, *, user_id: int, product_id: int, quantity: int = 1) -> CartLine:
        """Put ``quantity`` more of a product in the cart (a new line, or added to its line)."""
        quantity = _quantity(quantity, minimum=1)
        product = self._purchasable(user_id, product_id)
        with transaction.atomic():
            line = CartItem.objects.select_for_update().filter(user_id=user_id, product_id=product.product_id).first()
            total = quantity + (line.quantity if line else 0)
            self._check_stock(product, total)
            if line is not None:
                CartItem.objects.filter(pk=line.pk).update(quantity=total)
            else:
                if CartItem.objects.filter(user_id=user_id).count() >= self.max_lines:
                    raise CartError(
                        _("Your cart holds at most %(count)s different products.") % {"count": self.max_lines}
                    )
                try:
                    with transaction.atomic():
                        CartItem.objects.create(
                            user_id=user_id, product_id=product.product_id, quantity=total, added_at=self._clock.now()
                        )
                except IntegrityError:  # the same product added at the same moment (a double click)
                    raise CartError(_("That product was just added to your cart.")) from None
        return _line(product, total)

    def set_quantity(self, *, user_id: int, product_id: int, quantity: int) -> None:
        """Change a line's quantity; 0 removes it."""
        quantity = _quantity(quantity, minimum=0)
        pid = _product_id(product_id)
        if quantity == 0:
            self.remove(user_id=user_id, product_id=pid)
            return
        line = CartItem.objects.filter(user_id=user_id, product_id=pid).first()
        if line is None:
            raise NotFound(_("That product is not in your cart."))
        product = self._catalog.purchase_lines(items={pid: quantity}).get(pid)
        if product is not None and product.available:
            self._check_stock(product, quantity)
        CartItem.objects.filter(pk=line.pk).update(quantity=quantity)

    def remove(self, *, user_id: int, product_id: int) -> None:
        deleted, _kinds = CartItem.objects.filter(user_id=user_id, product_id=_product_id(product_id)).delete()
        if not deleted:
            raise NotFound(_("That product is not in your cart."))

    def clear(self, *, user_id: int) -> int:
        deleted, _ = CartItem.objects.filter(user_id=user_id).delete()
        return deleted

    def count(self, *, user_id: int) -> int:
        return CartItem.objects.filter(user_id=user_id).count()

    # helpers
    def _purchasable(self, user_id: int, product_id):
        pid = _product_id(product_id)
        product = self._catalog.purchase_lines(items={pid: 1}).get(pid)
        if product is None or not product.available:
            raise NotFound(_("That product is not for sale."))
        if product.vendor_user_id == user_id:
            raise CartError(_("This is your own product: you cannot buy it."))
        return product

    @staticmethod
    def _check_stock(product, quantity: int) -> None:
        if quantity > product.stock:
            raise CartError(
                (
                    ngettext("Only %(count)s of %(title)s left.", "Only %(count)s of %(title)s left.", product.stock)
                    if product.stock
                    else _("%(title)s is sold out.")
                )
                % {"count": product.stock, "title": product.title},
                field="quantity",
            )


def _line(product, quantity: int) -> CartLine:
    return CartLine(
        product.product_id,
        product.title,
        product.price_sat,
        quantity,
        product.vendor_id,
        product.vendor_name,
        product.available,
        product.stock,
    )


def _quantity(value, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= QUANTITY_MAX:
        raise CartError(
            _("Enter a quantity from %(minimum)s to %(maximum)s.") % {"minimum": minimum, "maximum": QUANTITY_MAX},
            field="quantity",
        )
    return value


def _product_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise NotFound(_("That product is not for sale."))
    return value
