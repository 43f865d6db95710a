"""Favourites: which products a signed-in buyer keeps an eye on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from favourites.errors import TooManyFavourites, UnknownProduct

if TYPE_CHECKING:
    from services.catalog_queries import CatalogQueries


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class FavouriteRow:
    product_id: int
    title: str
    price_sat: int
    vendor_name: str
    vendor_slug: str
    available: bool
    added_at: datetime

    @property
    def url(self) -> str:
        return reverse("products:detail", args=[self.product_id])


def _models():
    # Imported when used: this file is imported before Django's apps are ready.
    from favourites import models

    return models


# Ids are 64-bit database integers: a larger number is no product, not a database error.
MAX_ID = 2**63 - 1


def _product_id(value) -> int:
    try:
        product_id = int(value)
    except (TypeError, ValueError):
        product_id = 0
    if not 0 < product_id <= MAX_ID:
        raise UnknownProduct("There is no such product for sale.")
    return product_id


class FavouriteService:
    def __init__(self, *, catalog: CatalogQueries, clock: Clock, max_per_user: int):
        self._catalog = catalog
        self._clock = clock
        self.max_per_user = int(max_per_user)

    def add(self, *, user_id: int, product_id) -> bool:
        """Put a product buyers can see on the list; ``False`` if it was there already."""
        product_id = _product_id(product_id)
        # Hidden products count as unknown, as on their page: their existence is not ours to tell.
        if self._catalog.visible_product(product_id=product_id, viewer_id=None) is None:
            raise UnknownProduct("There is no such product for sale.")
        Favourite = _models().Favourite
        with transaction.atomic():
            # One add at a time per user, so two at once cannot both pass the limit check.
            list(get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk"))
            mine = Favourite.objects.filter(user_id=user_id)
            if mine.filter(product_id=product_id).exists():
                return False
            if mine.count() >= self.max_per_user:
                raise TooManyFavourites(f"Your list is full ({self.max_per_user} products): remove one first.")
            try:
                # A savepoint: a twin request that won the race leaves this transaction usable.
                with transaction.atomic():
                    Favourite.objects.create(user_id=user_id, product_id=product_id, created_at=self._clock.now())
            except IntegrityError:
                return False
        return True

    def remove(self, *, user_id: int, product_id) -> bool:
        """Take a product off the list; ``False`` if it was not on it."""
        deleted, _ = _models().Favourite.objects.filter(user_id=user_id, product_id=_product_id(product_id)).delete()
        return deleted > 0

    def is_favourite(self, *, user_id: int, product_id) -> bool:
        return _models().Favourite.objects.filter(user_id=user_id, product_id=_product_id(product_id)).exists()

    def count_for(self, *, user_id: int) -> int:
        return _models().Favourite.objects.filter(user_id=user_id).count()

    def list_for(self, *, user_id: int) -> list[FavouriteRow]:
        """The user's list, newest first, in one query; products hidden since are marked unavailable."""
        rows = (
            _models()
            .Favourite.objects.filter(user_id=user_id, product__deleted_at=None)
            .select_related("product__vendor")
            .order_by("-created_at", "-id")
        )
        return [
            FavouriteRow(
                product_id=row.product_id,
                title=row.product.title,
                price_sat=row.product.price_sat,
                vendor_name=row.product.vendor.shop_name,
                vendor_slug=row.product.vendor.slug,
                available=_listed(row.product),
                added_at=row.created_at,
            )
            for row in rows
        ]

    def on_product_deleted(self, topic: str, payload: dict) -> None:
        """``products.deleted``: a deleted product leaves every list."""
        _models().Favourite.objects.filter(product_id=payload["product_id"]).delete()

    def stats(self) -> dict:
        return {"favourites": _models().Favourite.objects.count(), "max_per_user": self.max_per_user}


def _listed(product) -> bool:
    vendor = product.vendor
    return product.deleted_at is None and product.is_active and product.moderation == "ok" and vendor.is_active
