"""Fixtures for the products module beyond ``marketplace.testing`` (users, shops, categories,
products): pictures, moderation, many rows at once."""

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
def moderation_service(container):
    return container.products.moderation_service()


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

        container.products.search_index().rebuild()  # bulk_create bypasses CatalogService
        container.vendors.page_cache().bump(["catalog", f"shop:{owner.shop_slug}"])

    return make
