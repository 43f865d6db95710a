"""Shops as JSON: a storefront anyone may read, and a vendor's own shop, through ``VendorService``.

The vendors module does not know products (products depends on vendors): a storefront's rows are
whatever fills the ``listings`` slot (services/vendor_slots.py), read here by the slot's contract.
"""

from datetime import datetime

from ninja import Schema

from marketplace.api.auth import principal, scoped
from marketplace.api.errors import documented
from marketplace.api.routing import Router
from marketplace.api.schemas import Page, btc, page_of
from marketplace.api.wiring import injected
from marketplace.vendors.views import VENDOR_SERVICE
from services.errors import NotFound
from services.vendor_service import VendorService

router = Router()


class RatingOut(Schema):
    average: float | None
    count: int
    label: str


class ListingOut(Schema):
    id: int | None
    title: str
    price_sat: int
    price_btc: str
    stock: int
    image_url: str | None
    url: str


class StorefrontOut(Page):
    slug: str
    name: str
    description: str
    rating: RatingOut
    active: bool  # false only for the shop's owner, who may see their shop while it is not open
    selling_since: datetime
    items: list[ListingOut]


class OwnShopOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    status: str  # pending, approved, rejected
    status_label: str
    active: bool
    suspended: bool
    suspension_reason: str
    review_note: str
    created_at: datetime
    reviewed_at: datetime | None


def _rating(rating) -> dict:
    average = None if rating.average is None else round(float(rating.average), 2)
    return {"average": average if rating.count else None, "count": rating.count, "label": rating.label}


def _listing(row) -> dict:
    return {
        "id": getattr(row, "id", None),
        "title": row.title,
        "price_sat": row.price_sat,
        "price_btc": btc(row.price_sat),
        "stock": row.stock,
        "image_url": row.image_url,
        "url": row.url,
    }


class ShopOut(Schema):
    slug: str
    name: str
    description: str
    rating: RatingOut
    selling_since: datetime


class ShopsOut(Page):
    items: list[ShopOut]


@router.get("/shops", response=documented(ShopsOut), auth=scoped("catalog:read", public=True))
@injected
def shops(request, page: int = 1, vendors: VendorService = VENDOR_SERVICE):
    """The shops that sell now, by name, with their ratings, 24 to a page."""
    listed = vendors.open_shops(page=min(max(page, 1), 100_000))
    items = [
        {
            "slug": shop.slug,
            "name": shop.shop_name,
            "description": shop.description,
            "rating": _rating(rating),
            "selling_since": shop.reviewed_at or shop.created_at,
        }
        for shop, rating in listed.rows
    ]
    return page_of(listed, items)


@router.get("/shops/{slug}", response=documented(StorefrontOut), auth=scoped("catalog:read", public=True))
@injected
def storefront(request, slug: str, page: int = 1, vendors: VendorService = VENDOR_SERVICE):
    """A shop's public face: its name, description, rating and listed products, newest first.

    A shop that is not open (waiting for review, rejected, suspended) is a 404 to everyone but
    its owner (staff who manage shops see it on the site, behind their second factor: staff
    powers are not in the API)."""
    viewer = principal(request).user_id or None
    front = vendors.storefront(slug=slug, page=page, viewer_id=viewer)
    shop = front.vendor
    if not shop.is_active and shop.user_id != viewer:
        raise NotFound("No such shop.")
    return {
        **page_of(front.listing, [_listing(row) for row in front.listing.rows]),
        "slug": shop.slug,
        "name": shop.shop_name,
        "description": shop.description,
        "rating": _rating(front.rating),
        "active": shop.is_active,
        "selling_since": shop.reviewed_at or shop.created_at,
    }


@router.get("/vendor/shop", response=documented(OwnShopOut), auth=scoped("vendor:read"))
@injected
def own_shop(request, vendors: VendorService = VENDOR_SERVICE):
    """Your shop and where its application stands (its products: `/vendor/products`)."""
    shop = vendors.get_for_user(user_id=principal(request).user_id)
    if shop is None:
        raise NotFound("You have no shop: apply on the site to open one.")
    return {
        "id": shop.id,
        "slug": shop.slug,
        "name": shop.shop_name,
        "description": shop.description,
        "status": shop.status,
        "status_label": shop.status_label,
        "active": shop.is_active,
        "suspended": shop.suspended,
        "suspension_reason": shop.suspension_reason,
        "review_note": shop.review_note,
        "created_at": shop.created_at,
        "reviewed_at": shop.reviewed_at,
    }
