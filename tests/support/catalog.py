"""Fixtures for the vendors and products modules: shops, categories, products, pictures."""

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image


def picture_bytes(fmt: str = "PNG", size=(64, 48), colour="#c2590f", **save) -> bytes:
    mode = "RGB" if fmt in ("JPEG", "PNG", "WEBP") else "P"
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(content: bytes, name: str = "photo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def png():
    """``png()`` -> a fresh small PNG upload (an upload can be read only by one request)."""
    counter = itertools.count(1)

    def make(size=(64, 48), colour="#c2590f"):
        return upload(picture_bytes("PNG", size, colour), name=f"photo{next(counter)}.png")

    return make


@pytest.fixture
def vendor_service(container):
    return container.vendors.vendor_service()


@pytest.fixture
def catalog_service(container):
    return container.products.catalog_service()


@pytest.fixture
def catalog_queries(container):
    return container.products.catalog_queries()


@pytest.fixture
def moderation_service(container):
    return container.products.moderation_service()


@pytest.fixture
def staff(make_staff):
    """A moderator: reviews shops and listings (``MANAGE_VENDORS``, ``MODERATE_CATALOG``)."""
    return make_staff("moderator", username="staffer")


@pytest.fixture
def make_vendor(make_user, vendor_service, staff):
    """``make_vendor("bob")``: a user with an approved shop (``status="pending"`` to stop there)."""

    def make(username: str, *, status: str = "approved", shop_name: str | None = None):
        user = make_user(username)
        vendor = vendor_service.apply(
            user_id=user.pk,
            shop_name=shop_name or f"{username.title()}'s Shop",
            slug=f"{username.lower()}-shop",
            description=f"The shop of {username}.",
        )
        if status == "approved":
            vendor = vendor_service.approve(staff_id=staff.pk, vendor_id=vendor.id)
        elif status == "rejected":
            vendor = vendor_service.reject(staff_id=staff.pk, vendor_id=vendor.id, reason="Not enough detail.")
        user.vendor_id = vendor.id
        user.shop_slug = vendor.slug
        return user

    return make


@pytest.fixture
def categories(catalog_service):
    """hardware > tools, lighting; books > fiction."""
    ids = {}
    for name, slug, parent in [
        ("Hardware", "hardware", None),
        ("Tools", "tools", "hardware"),
        ("Lighting", "lighting", "hardware"),
        ("Books", "books", None),
        ("Fiction", "fiction", "books"),
    ]:
        ids[slug] = catalog_service.create_category(name=name, slug=slug, parent_id=ids.get(parent))
    return ids


@pytest.fixture
def make_product(catalog_service, categories):
    """``make_product(vendor_user, title=..., price_sat=..., ...)`` through ``CatalogService``."""

    def make(
        owner,
        *,
        title="Brass desk lamp",
        description="A lamp.",
        price_sat=120_000,
        stock=5,
        category="lighting",
        images=(),
        is_active=True,
    ):
        return catalog_service.create_product(
            actor_id=owner.pk,
            title=title,
            description=description,
            price_sat=price_sat,
            stock=stock,
            category_id=categories[category],
            is_active=is_active,
            images=list(images),
        )

    return make


@pytest.fixture
def bulk_products(categories):
    """``bulk_products(vendor_user, n)``: many listed products at once (setup only: no service)."""
    from marketplace.products.models import Product

    def make(owner, n: int, *, category="tools", price_sat=1000):
        now = timezone.now()
        Product.objects.bulk_create(
            [
                Product(
                    vendor_id=owner.vendor_id,
                    category_id=categories[category],
                    title=f"Item {i}",
                    description="Bulk item",
                    price_sat=price_sat + i,
                    stock=3,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(n)
            ]
        )
        from containers import container

        container.vendors.page_cache().bump(["catalog", f"shop:{owner.shop_slug}"])

    return make
