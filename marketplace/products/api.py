"""The catalog and a vendor's own products, as JSON: the same services as the pages."""

import dataclasses
from datetime import datetime

from ninja import File, Query, Schema, Status
from ninja.files import UploadedFile

from marketplace.api.auth import principal, scoped
from marketplace.api.caching import shared_json
from marketplace.api.errors import documented
from marketplace.api.routing import Router
from marketplace.api.schemas import Page, btc, page_of
from marketplace.api.wiring import injected
from marketplace.products.views import CATALOG, PAGE_CACHE, QUERIES, QUERIES_PROVIDER, VENDORS
from marketplace.vendors.caching import query_key
from services.catalog_queries import SMALL, CatalogQueries, image_url
from services.errors import NotFound

router = Router()
NO_PRODUCT = NotFound("There is no such product.")


class RatingOut(Schema):
    """Buyers' reviews of the product: the average to one decimal (null with none) and how many."""

    average: float | None
    count: int
    label: str


class ProductCardOut(Schema):
    id: int
    title: str
    price_sat: int
    price_btc: str
    stock: int
    shop: str
    shop_name: str
    category_id: int
    image_url: str | None
    thumbnail_url: str | None
    rating: RatingOut
    created_at: datetime


class CatalogOut(Page):
    items: list[ProductCardOut]
    notices: list[str]


class ImageOut(Schema):
    id: int
    width: int
    height: int
    url: str


class ProductOut(Schema):
    id: int
    title: str
    description: str
    price_sat: int
    price_btc: str
    stock: int
    category: str | None
    category_id: int | None
    shop: str
    shop_name: str
    listed: bool
    images: list[ImageOut]
    rating: RatingOut
    created_at: datetime
    updated_at: datetime


CATALOG_API_PARAMS = ("q", "category", "vendor", "min_price_sat", "max_price_sat", "sort", "page")


class CatalogParams(Schema):
    q: str = ""
    category: str = ""
    vendor: str = ""
    min_price_sat: int | None = None
    max_price_sat: int | None = None
    sort: str = "newest"
    page: int = 1


def _card(card) -> dict:
    return {
        "id": card.id,
        "title": card.title,
        "price_sat": card.price_sat,
        "price_btc": btc(card.price_sat),
        "stock": card.stock,
        "shop": card.vendor_slug,
        "shop_name": card.vendor_name,
        "category_id": card.category_id,
        "image_url": card.image_url,
        "thumbnail_url": image_url(card.image_id, SMALL) if card.image_id else None,
        "rating": _rating(card.rating),
        "created_at": card.created_at,
    }


def _rating(rating) -> dict:
    return {"average": float(rating.average) if rating.count else None, "count": rating.count, "label": rating.label}


def _product(product) -> dict:
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "price_sat": product.price_sat,
        "price_btc": btc(product.price_sat),
        "stock": product.stock,
        "category": product.category.slug if product.category else None,
        "category_id": product.category.id if product.category else None,
        "shop": product.vendor_slug,
        "shop_name": product.vendor_name,
        "listed": product.listed,
        "images": [{"id": i.id, "width": i.width, "height": i.height, "url": i.url} for i in product.images],
        "rating": _rating(product.rating),
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


@router.get("/products", response=documented(CatalogOut), auth=scoped("catalog:read", public=True))
@injected
def list_products(request, params: Query[CatalogParams], queries_provider=QUERIES_PROVIDER, page_cache=PAGE_CACHE):
    """The catalog with the page's filters, search (`q`) and sorts, 24 to a page."""

    def build() -> dict:
        queries: CatalogQueries = queries_provider()
        raw = {"q": params.q, "category": params.category, "vendor": params.vendor, "sort": params.sort}
        filters, notices = queries.parse_filters({**raw, "page": str(params.page)})
        prices = {"min_price_sat": params.min_price_sat, "max_price_sat": params.max_price_sat}
        for name, value in prices.items():
            if value is not None and value < 0:
                notices.append(f"{name} must be 0 or more; ignored.")
                prices[name] = None
        result = queries.list_products(filters=dataclasses.replace(filters, **prices), notices=notices)
        return {**page_of(result.page, [_card(card) for card in result.page.rows]), "notices": list(result.notices)}

    # The same for every caller: kept rendered, under the catalog's version.
    key = "catalog:" + query_key(request, CATALOG_API_PARAMS)
    return shared_json(page_cache, key=key, scopes=["catalog"], schema=CatalogOut, build=build)


@router.get("/products/{product_id}", response=documented(ProductOut), auth=scoped("catalog:read", public=True))
@injected
def product(request, product_id: int, queries: CatalogQueries = QUERIES):
    """A listed product (or one of your own, listed or not)."""
    viewer = principal(request).user_id or None
    found = queries.visible_product(product_id=product_id, viewer_id=viewer)
    # Staff who moderate the catalog see unlisted products on the site, behind their second
    # factor; staff powers are not in the API (docs/api.md), so here only the owner does.
    if found is None or not (found.listed or found.vendor_user_id == viewer):
        raise NO_PRODUCT
    return _product(found)


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    parent_id: int | None


@router.get("/categories", response=documented(list[CategoryOut]), auth=scoped("catalog:read", public=True))
@injected
def categories(request, queries: CatalogQueries = QUERIES):
    return [
        {"id": node.id, "slug": node.slug, "name": node.name, "parent_id": node.parent_id}
        for node in queries.category_tree().nodes
    ]


# a vendor's own products
class VendorProductOut(ProductOut):
    is_active: bool
    moderation: str
    moderation_note: str
    status: str


class VendorProductRow(Schema):
    id: int
    title: str
    price_sat: int
    price_btc: str
    stock: int
    is_active: bool
    moderation: str
    status: str


class ProductIn(Schema):
    title: str
    description: str = ""
    price_sat: int
    stock: int
    category_id: int
    listed: bool = True


class ProductChange(Schema):
    """Only the fields sent change."""

    title: str | None = None
    description: str | None = None
    price_sat: int | None = None
    stock: int | None = None
    category_id: int | None = None


class ListingIn(Schema):
    listed: bool


def _own_product(queries: CatalogQueries, vendors, user_id: int, product_id: int):
    vendors.require_active(user_id=user_id)
    product = queries.product_detail(product_id=product_id)
    if product is None or product.vendor_user_id != user_id:
        raise NO_PRODUCT
    return product


def _vendor_product(product) -> dict:
    status = (
        "unlisted by staff"
        if product.moderation != "ok"
        else "listed"
        if product.listed
        else "unlisted by you"
        if not product.is_active
        else "shop not active"
    )
    return {
        **_product(product),
        "is_active": product.is_active,
        "moderation": product.moderation,
        "moderation_note": product.moderation_note,
        "status": status,
    }


@router.get("/vendor/products", response=documented(list[VendorProductRow]), auth=scoped("vendor:read"))
@injected
def vendor_products(request, vendors=VENDORS):
    """Your shop's products, listed or not, newest first."""
    rows = vendors.dashboard_products(user_id=principal(request).user_id)
    return [
        {
            "id": row.id,
            "title": row.title,
            "price_sat": row.price_sat,
            "price_btc": btc(row.price_sat),
            "stock": row.stock,
            "is_active": row.is_active,
            "moderation": row.moderation,
            "status": row.status_label.lower(),
        }
        for row in rows
    ]


@router.get("/vendor/products/{product_id}", response=documented(VendorProductOut), auth=scoped("vendor:read"))
@injected
def vendor_product(request, product_id: int, queries: CatalogQueries = QUERIES, vendors=VENDORS):
    return _vendor_product(_own_product(queries, vendors, principal(request).user_id, product_id))


@router.post("/vendor/products", response=documented({201: VendorProductOut}), auth=scoped("vendor:write"))
@injected
def create_product(request, data: ProductIn, catalog=CATALOG, queries: CatalogQueries = QUERIES):
    """List a new product (pictures go up afterwards, to its `pictures`)."""
    product_id = catalog.create_product(
        actor_id=principal(request).user_id,
        title=data.title,
        description=data.description,
        price_sat=data.price_sat,
        stock=data.stock,
        category_id=data.category_id,
        is_active=data.listed,
    )
    return Status(201, _vendor_product(queries.product_detail(product_id=product_id)))


@router.patch("/vendor/products/{product_id}", response=documented(VendorProductOut), auth=scoped("vendor:write"))
@injected
def change_product(
    request, product_id: int, data: ProductChange, catalog=CATALOG, queries: CatalogQueries = QUERIES, vendors=VENDORS
):
    """Change a product's fields (a stock sync sends only `stock`)."""
    user_id = principal(request).user_id
    current = _own_product(queries, vendors, user_id, product_id)
    sent = data.dict(exclude_unset=True)
    catalog.update_product(
        actor_id=user_id,
        product_id=product_id,
        title=sent.get("title", current.title),
        description=sent.get("description", current.description),
        price_sat=sent.get("price_sat", current.price_sat),
        stock=sent.get("stock", current.stock),
        category_id=sent.get("category_id", current.category.id if current.category else None),
        is_active=current.is_active,
    )
    return _vendor_product(queries.product_detail(product_id=product_id))


@router.put("/vendor/products/{product_id}/listing", response=documented(VendorProductOut), auth=scoped("vendor:write"))
@injected
def set_listing(request, product_id: int, data: ListingIn, catalog=CATALOG, queries: CatalogQueries = QUERIES):
    """Show the product in the catalog, or hide it (staff decisions stand)."""
    catalog.set_listed(actor_id=principal(request).user_id, product_id=product_id, listed=data.listed)
    return _vendor_product(queries.product_detail(product_id=product_id))


@router.post(
    "/vendor/products/{product_id}/pictures",
    response=documented({201: VendorProductOut}),
    auth=scoped("vendor:write"),
)
@injected
def add_pictures(
    request,
    product_id: int,
    pictures: File[list[UploadedFile]],
    catalog=CATALOG,
    queries: CatalogQueries = QUERIES,
    vendors=VENDORS,
):
    """Add pictures (multipart/form-data, field `pictures`, one or more files)."""
    changed = _change_pictures(catalog, queries, vendors, principal(request).user_id, product_id, add=pictures)
    return Status(201, changed)


@router.delete(
    "/vendor/products/{product_id}/pictures/{image_id}",
    response=documented(VendorProductOut),
    auth=scoped("vendor:write"),
)
@injected
def remove_picture(
    request, product_id: int, image_id: int, catalog=CATALOG, queries: CatalogQueries = QUERIES, vendors=VENDORS
):
    user_id = principal(request).user_id
    current = _own_product(queries, vendors, user_id, product_id)
    if image_id not in {image.id for image in current.images}:
        raise NotFound("This product has no such picture.")
    return _change_pictures(catalog, queries, vendors, user_id, product_id, remove=[image_id])


def _change_pictures(catalog, queries, vendors, user_id: int, product_id: int, *, add=(), remove=()):
    current = _own_product(queries, vendors, user_id, product_id)
    catalog.update_product(
        actor_id=user_id,
        product_id=product_id,
        title=current.title,
        description=current.description,
        price_sat=current.price_sat,
        stock=current.stock,
        category_id=current.category.id if current.category else None,
        is_active=current.is_active,
        add_images=list(add),
        remove_image_ids=list(remove),
    )
    return _vendor_product(queries.product_detail(product_id=product_id))


@router.delete("/vendor/products/{product_id}", response=documented({204: None}), auth=scoped("vendor:write"))
@injected
def delete_product(request, product_id: int, catalog=CATALOG):
    """Delete the product for everyone (orders that name it keep their copy)."""
    catalog.delete_product(actor_id=principal(request).user_id, product_id=product_id)
    return Status(204, None)
