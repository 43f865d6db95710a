"""Thumbnails of product pictures: made at upload, served by size, drawn with srcset, made for
older pictures by ``make_thumbnails``, and a storage that refuses is a form error, not a 500."""

import io

import pytest
from django.core.files.storage import InMemoryStorage, default_storage
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from marketplace.products.models import Product, ProductImage
from tests.support.catalog import picture_bytes, upload

pytestmark = pytest.mark.django_db


def decoded(content: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(content)) as image:
        return image.format, image.size


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def stored_files() -> set[str]:
    return {f"products/{name}" for name in default_storage.listdir("products")[1]}


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def image_url(image_id: int, size=None) -> str:
    url = reverse("products:image", args=[image_id])
    return f"{url}?size={size}" if size else url


def form(categories, **overrides):
    data = {
        "title": "Brass desk lamp",
        "description": "A lamp.",
        "price": "0.0012",
        "stock": "4",
        "category": str(categories["lighting"]),
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def bob(make_vendor):
    return make_vendor("bob")


# made at upload
@pytest.mark.parametrize(
    "size, small, large",
    [
        ((1200, 800), (240, 160), (480, 320)),  # landscape: bounded by the width
        ((600, 1200), (240, 480), (480, 960)),  # portrait: the width too, the height follows
        ((2400, 600), (240, 60), (480, 120)),  # shrunk to 1600 first, then thumbnailed
        ((100, 300), (100, 300), (100, 300)),  # narrower than both: never enlarged
    ],
)
def test_an_upload_stores_the_picture_and_two_webp_thumbnails(bob, make_product, png, size, small, large):
    product_id = make_product(bob, images=[png(size)])
    image = ProductImage.objects.get(product_id=product_id)
    assert image.file.endswith(".png") and decoded(stored(image.file))[0] == "PNG"
    assert image.thumbnail_240.endswith(".w240.webp") and image.thumbnail_480.endswith(".w480.webp")
    assert decoded(stored(image.thumbnail_240)) == ("WEBP", small)
    assert decoded(stored(image.thumbnail_480)) == ("WEBP", large)
    assert len(stored(image.thumbnail_240)) <= len(stored(image.thumbnail_480))


def test_a_transparent_picture_keeps_its_transparency_in_its_thumbnails(bob, make_product):
    buffer = io.BytesIO()
    Image.new("RGBA", (600, 400), (200, 80, 10, 0)).save(buffer, format="PNG")
    product_id = make_product(bob, images=[upload(buffer.getvalue())])
    image = ProductImage.objects.get(product_id=product_id)
    with Image.open(io.BytesIO(stored(image.thumbnail_240))) as thumb:
        assert thumb.mode == "RGBA" and thumb.getpixel((10, 10))[3] == 0


# served by size
def test_the_view_serves_the_picture_and_each_thumbnail(client, bob, make_product, png):
    product_id = make_product(bob, images=[png((1200, 900))])
    image = ProductImage.objects.get(product_id=product_id)
    for size, name, content_type, dimensions in [
        (None, image.file, "image/png", (1200, 900)),
        (240, image.thumbnail_240, "image/webp", (240, 180)),
        (480, image.thumbnail_480, "image/webp", (480, 360)),
    ]:
        response = client.get(image_url(image.pk, size))
        assert response.status_code == 200, size
        assert response["Content-Type"] == content_type
        assert response["Cache-Control"] == "public, max-age=86400, immutable"
        assert response["X-Content-Type-Options"] == "nosniff"
        content = body(response)
        assert content == stored(name) and decoded(content)[1] == dimensions


@pytest.mark.parametrize("size", ["", "0", "120", "241", "1600", "abc", "240px", "0240", "²⁴⁰", "480,240", " 240"])
def test_a_size_pages_never_ask_for_is_a_404(client, bob, make_product, png, size):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png()]))
    response = client.get(reverse("products:image", args=[image.pk]), {"size": size})
    assert response.status_code == 404
    assert "no such picture size" in response.content.decode()


def test_a_picture_without_thumbnails_yet_is_sent_in_their_place_for_a_short_while(client, bob, make_product, png):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png((900, 600))]))
    ProductImage.objects.filter(pk=image.pk).update(thumbnail_240=None, thumbnail_480=None)
    response = client.get(image_url(image.pk, 240))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert body(response) == stored(image.file)
    # Not "immutable": the thumbnail takes its place once make_thumbnails has run.
    assert response["Cache-Control"] == "public, max-age=600"


def test_a_thumbnail_missing_from_storage_falls_back_to_the_picture(client, bob, make_product, png):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png((900, 600))]))
    default_storage.delete(image.thumbnail_480)
    response = client.get(image_url(image.pk, 480))
    assert response.status_code == 200 and body(response) == stored(image.file)
    default_storage.delete(image.file)
    assert client.get(image_url(image.pk, 480)).status_code == 404
    assert client.get(image_url(image.pk)).status_code == 404


def test_a_hidden_product_s_thumbnails_stay_private(client, bob, make_product, png):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png()], is_active=False))
    assert client.get(image_url(image.pk, 240)).status_code == 404  # anonymous: no such picture
    client.force_login(bob)
    response = client.get(image_url(image.pk, 240))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}


# drawn with srcset, in as many queries as before
def test_catalog_boxes_use_the_240_thumbnail_with_a_480_candidate(
    client, bob, make_product, png, django_assert_num_queries
):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png((1200, 800))]))
    make_product(bob, title="No picture")
    small, large = image_url(image.pk, 240), image_url(image.pk, 480)
    expected = (
        f'<img class="listing-image" src="{small}" srcset="{small} 240w, {large} 480w" '
        f'sizes="(max-width: 480px) 100vw, 240px" alt="" loading="lazy" width="240" height="240">'
    )
    with django_assert_num_queries(3):  # categories, count, one page of rows with first pictures
        catalog = client.get(reverse("products:list")).content.decode()
    with django_assert_num_queries(5):  # the shop, the count, one page of rows, its rating, its reviews
        shop = client.get(reverse("vendors:storefront", args=[bob.shop_slug])).content.decode()
    for page in (catalog, shop):
        assert expected in page
        assert page.count("srcset=") == 1  # the product without a picture draws none


def test_the_product_page_uses_the_480_thumbnail_and_the_original_for_dense_screens(
    client, bob, make_product, png, django_assert_num_queries
):
    product_id = make_product(bob, images=[png((1200, 800)), png((300, 200))])
    big, small = ProductImage.objects.filter(product_id=product_id).order_by("position")
    with django_assert_num_queries(3):  # the product with its shop, its pictures, the categories
        page = client.get(reverse("products:detail", args=[product_id])).content.decode()
    # Shown at most 420 CSS px wide: the 480 thumbnail at 1x, the original at 2x and more (and
    # as ``src`` for what knows no srcset).
    assert (
        f'<img src="{image_url(big.pk)}" srcset="{image_url(big.pk, 480)} 1x, {image_url(big.pk)} 2x" '
        f'alt="Brass desk lamp, picture 1" width="1200" height="800">'
    ) in page
    # A picture no wider than 480: its thumbnail is all any screen needs.
    assert (
        f'<img src="{image_url(small.pk)}" srcset="{image_url(small.pk, 480)} 1x" '
        f'alt="Brass desk lamp, picture 2" width="300" height="200" loading="lazy">'
    ) in page


def test_the_edit_page_shows_the_small_thumbnails(client, bob, make_product, png):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png()]))
    client.force_login(bob)
    page = client.get(reverse("products:edit", args=[image.product_id])).content.decode()
    assert f'<img src="{image_url(image.pk, 240)}" alt="Picture 1">' in page


# make_thumbnails, for pictures stored before thumbnails existed
@pytest.fixture
def older_pictures(bob, make_product, png):
    """Three pictures as they were stored before thumbnails: rows without them, no files."""
    product_id = make_product(bob, images=[png((800, 600)), png((640, 480)), png((100, 75))])
    images = list(ProductImage.objects.filter(product_id=product_id).order_by("position"))
    for image in images:
        default_storage.delete(image.thumbnail_240)
        default_storage.delete(image.thumbnail_480)
    ProductImage.objects.filter(product_id=product_id).update(thumbnail_240=None, thumbnail_480=None)
    return images


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("make_thumbnails", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_makes_missing_thumbnails_and_a_second_run_does_nothing(older_pictures, client):
    out, err = run()
    assert "3 picture(s) to do: 3 made, 0 missing from storage, 0 unreadable, 0 failed." in out and not err
    rows = {row.pk: row for row in ProductImage.objects.filter(pk__in=[i.pk for i in older_pictures])}
    for image, width in zip(older_pictures, (800, 640, 100), strict=True):
        row = rows[image.pk]
        assert row.file == image.file
        assert decoded(stored(row.thumbnail_240)) == ("WEBP", (min(240, width), round(min(240, width) * 3 / 4)))
        assert decoded(stored(row.thumbnail_480))[1][0] == min(480, width)
        assert client.get(image_url(row.pk, 240))["Content-Type"] == "image/webp"
    files = stored_files()
    out, err = run()
    assert out.strip() == "0 picture(s) to do: 0 made, 0 missing from storage, 0 unreadable, 0 failed."
    assert stored_files() == files
    assert {row.pk: (row.thumbnail_240, row.thumbnail_480) for row in rows.values()} == {
        row.pk: (row.thumbnail_240, row.thumbnail_480) for row in ProductImage.objects.filter(pk__in=rows)
    }


def test_the_command_reports_and_skips_a_picture_whose_file_is_missing(older_pictures):
    gone, *others = older_pictures
    default_storage.delete(gone.file)
    out, err = run()
    assert "3 picture(s) to do: 2 made, 1 missing from storage" in out
    assert f"picture {gone.pk} skipped: its file is missing from storage" in err
    assert ProductImage.objects.get(pk=gone.pk).thumbnail_240 is None
    assert all(ProductImage.objects.get(pk=i.pk).thumbnail_240 for i in others)
    out, err = run()  # still reported, nothing else to do
    assert "1 picture(s) to do: 0 made, 1 missing from storage" in out


def test_the_command_skips_a_stored_file_that_is_not_a_picture(older_pictures):
    broken = older_pictures[0]
    default_storage.delete(broken.file)
    default_storage.save(broken.file, io.BytesIO(b"not a picture at all"))
    out, err = run()
    assert "2 made, 0 missing from storage, 1 unreadable" in out
    assert f"picture {broken.pk} skipped: its file is not a picture we can decode" in err


def test_all_makes_every_thumbnail_again_and_deletes_the_old_files(bob, make_product, png):
    image = ProductImage.objects.get(product_id=make_product(bob, images=[png((800, 600))]))
    out, _ = run("--all")
    assert "1 picture(s) to do: 1 made" in out
    again = ProductImage.objects.get(pk=image.pk)
    assert again.thumbnail_240 != image.thumbnail_240 and again.thumbnail_480 != image.thumbnail_480
    assert not default_storage.exists(image.thumbnail_240) and not default_storage.exists(image.thumbnail_480)
    assert decoded(stored(again.thumbnail_240)) == ("WEBP", (240, 180))


def test_the_pictures_of_deleted_products_are_left_alone(bob, make_product, png, catalog_service):
    product_id = make_product(bob, images=[png()])
    ProductImage.objects.filter(product_id=product_id).update(thumbnail_240=None, thumbnail_480=None)
    catalog_service.delete_product(actor_id=bob.pk, product_id=product_id)
    assert run()[0].startswith("0 picture(s) to do")


@pytest.mark.parametrize(
    "meanwhile, outcome",
    [
        (
            lambda row: row.update(
                thumbnail_240="products/theirs.w240.webp", thumbnail_480="products/theirs.w480.webp"
            ),
            "present",
        ),
        (lambda row: row.delete(), "gone"),
    ],
)
def test_a_picture_done_or_removed_meanwhile_keeps_no_file_of_this_run(older_pictures, container, meanwhile, outcome):
    image = older_pictures[0]

    class Meanwhile(InMemoryStorage):
        """Reads from the real storage; when this run writes its last thumbnail, another run (or
        the vendor) has just changed the row."""

        def _open(self, name, mode="rb"):
            return default_storage.open(name, mode)

        def _save(self, name, content):
            if name.endswith(".w480.webp"):
                meanwhile(ProductImage.objects.filter(pk=image.pk))
            return super()._save(name, content)

    storage = Meanwhile()
    with container.products.image_storage.override(storage):
        assert container.products.catalog_service().make_thumbnails(image_id=image.pk) == outcome
    assert not storage.exists("products") or storage.listdir("products")[1] == []


def test_a_storage_that_is_down_fails_the_run_and_stops_it(bob, make_product, png, container):
    make_product(bob, images=[png() for _ in range(6)])
    make_product(bob, title="Brass floor lamp", images=[png()])
    ProductImage.objects.update(thumbnail_240=None, thumbnail_480=None)

    class Down(InMemoryStorage):
        def _open(self, name, mode="rb"):
            raise ConnectionError("the bucket is not answering")

    out, err = io.StringIO(), io.StringIO()
    with container.products.image_storage.override(Down()), pytest.raises(SystemExit) as exited:
        call_command("make_thumbnails", stdout=out, stderr=err)
    assert exited.value.code == 1
    assert "7 picture(s) to do: 0 made, 0 missing from storage, 0 unreadable, 5 failed." in out.getvalue()
    assert "The picture cannot be read from storage right now" in err.getvalue()
    assert "stopped: the storage failed 5 times in a row" in err.getvalue()
    assert not ProductImage.objects.exclude(thumbnail_240=None).exists()


def test_a_terminal_gets_a_progress_bar(older_pictures, capsys):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    call_command("make_thumbnails", stdout=out)
    assert "3 picture(s) to do: 3 made" in out.getvalue()
    bar = capsys.readouterr().err
    assert "thumbnails: 100%" in bar and "3/3" in bar


# a storage that refuses
class RefusingStorage(InMemoryStorage):
    """Takes ``allow`` files, then refuses every write as a bucket that went away would."""

    def __init__(self, allow: int = 0):
        super().__init__()
        self.allow = allow

    def _save(self, name, content):
        if self.allow <= 0:
            raise ConnectionError("the bucket is not answering")
        self.allow -= 1
        return super()._save(name, content)

    def names(self) -> set[str]:
        return {f"products/{name}" for name in self.listdir("products")[1]} if self.exists("products") else set()


@pytest.mark.parametrize("allow", [0, 1, 2, 4])  # refused on the picture, a thumbnail, the second picture
def test_a_picture_the_storage_refuses_is_a_form_error_and_leaves_nothing_behind(
    client, bob, categories, container, allow
):
    storage = RefusingStorage(allow=allow)
    client.force_login(bob)
    pictures = [upload(picture_bytes("PNG", (500, 400)), "a.png"), upload(picture_bytes("PNG", (400, 300)), "b.png")]
    with container.products.image_storage.override(storage):
        response = client.post(reverse("products:create"), form(categories, images=pictures))
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "The picture could not be stored; try again later." in response.content.decode()
    assert 'value="Brass desk lamp"' in response.content.decode()  # what was typed is kept
    assert not Product.objects.exists() and not ProductImage.objects.exists()
    assert storage.names() == set()  # whatever had been written for this product is gone again


def test_an_edit_whose_picture_cannot_be_stored_changes_nothing(client, bob, categories, make_product, png, container):
    product_id = make_product(bob, title="Brass desk lamp", images=[png()])
    before = list(ProductImage.objects.filter(product_id=product_id).values_list("file", "thumbnail_240"))
    client.force_login(bob)
    storage = RefusingStorage(allow=1)
    with container.products.image_storage.override(storage):
        response = client.post(
            reverse("products:edit", args=[product_id]),
            form(categories, title="Changed", images=upload(picture_bytes("PNG", (300, 300)), "c.png")),
        )
    assert response.status_code == 503
    assert "The picture could not be stored; try again later." in response.content.decode()
    assert Product.objects.get(pk=product_id).title == "Brass desk lamp"
    assert list(ProductImage.objects.filter(product_id=product_id).values_list("file", "thumbnail_240")) == before
    assert storage.names() == set()
    assert all(default_storage.exists(name) for row in before for name in row)  # the old ones are untouched


def test_files_stored_for_a_product_whose_transaction_fails_are_deleted(bob, categories, png, container):
    class Refused(Exception):
        pass

    class BrokenEvents:
        def publish(self, topic, **payload):
            raise Refused(topic)  # inside the transaction, after the rows were written

    files = stored_files()
    with container.core.events.override(BrokenEvents()), pytest.raises(Refused):
        container.products.catalog_service().create_product(
            actor_id=bob.pk,
            title="Brass desk lamp",
            description="",
            price_sat=1000,
            stock=1,
            category_id=categories["lighting"],
            images=[png(), png((600, 600))],
        )
    assert not Product.objects.exists() and not ProductImage.objects.exists()
    assert stored_files() == files


def test_removing_a_picture_deletes_its_thumbnails_too(
    bob, make_product, png, catalog_service, categories, django_capture_on_commit_callbacks
):
    product_id = make_product(bob, images=[png(), png()])
    first = ProductImage.objects.filter(product_id=product_id).order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        catalog_service.update_product(
            actor_id=bob.pk,
            product_id=product_id,
            title="Brass desk lamp",
            description="",
            price_sat=1000,
            stock=1,
            category_id=categories["lighting"],
            is_active=True,
            remove_image_ids=[first.pk],
        )
    for name in (first.file, first.thumbnail_240, first.thumbnail_480):
        assert not default_storage.exists(name)
