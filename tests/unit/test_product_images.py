"""Pictures are checked with Pillow and re-encoded; anything else is refused with a clear reason."""

import io

import pytest
from django.core.files.storage import InMemoryStorage
from PIL import Image

from services.errors import ImageRejected
from services.product_images import ProductImages
from tests.support.catalog import picture_bytes, upload


@pytest.fixture
def images():
    return ProductImages(storage=InMemoryStorage(), max_bytes=1024 * 1024, max_pixels=4_000_000, max_side=200)


@pytest.mark.parametrize(
    "fmt, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/png")]
)
def test_common_formats_are_accepted_and_re_encoded(images, fmt, content_type):
    prepared = images.prepare(upload(picture_bytes(fmt, (120, 80)), name=f"x.{fmt.lower()}"))
    assert prepared.content_type == content_type
    assert (prepared.width, prepared.height) == (120, 80)
    assert Image.open(io.BytesIO(prepared.content)).size == (120, 80)


def test_big_pictures_are_shrunk_and_metadata_is_dropped(images):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # orientation: turn 90° to be upright
    raw = picture_bytes("JPEG", (800, 400), exif=exif.tobytes())
    prepared = images.prepare(upload(raw, name="big.jpg"))
    assert max(prepared.width, prepared.height) == 200
    assert prepared.height > prepared.width  # turned upright from its EXIF orientation
    assert b"SpyCam" not in prepared.content
    assert not Image.open(io.BytesIO(prepared.content)).getexif()


def test_bytes_after_the_image_are_not_kept(images):
    raw = picture_bytes("PNG") + b"<script>alert(1)</script>"
    prepared = images.prepare(upload(raw))
    assert b"<script>" not in prepared.content


@pytest.mark.parametrize(
    "content, message",
    [
        (b"just some text, not a picture", "is not a picture we can read"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj", "is not a picture we can read"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "is not a picture"),
        (picture_bytes("PNG")[:60], "is not a picture we can read"),  # truncated
        (picture_bytes("BMP", (10, 10)), "is not a picture we can read"),  # a format we do not take
        (b"", "is empty"),
    ],
)
def test_what_is_not_a_usable_picture_is_refused(images, content, message):
    with pytest.raises(ImageRejected) as caught:
        images.prepare(upload(content, name="file.png"))
    assert message in caught.value.message
    assert caught.value.field == "images"


def test_an_oversize_file_is_refused_before_it_is_read(images):
    class Huge:
        name = "huge.png"
        size = 10 * 1024 * 1024

        def seek(self, *_):
            raise AssertionError("the file must not be read")

    with pytest.raises(ImageRejected) as caught:
        images.prepare(Huge())
    assert "10.0 MB; the limit is 1 MB" in caught.value.message


def test_a_decompression_bomb_is_refused_from_its_header(images):
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")  # 64 million pixels in a few kB
    assert buffer.tell() < 100_000
    with pytest.raises(ImageRejected) as caught:
        images.prepare(upload(buffer.getvalue(), name="bomb.png"))
    assert "8000×8000 pixels" in caught.value.message


def test_pillow_s_own_bomb_guard_is_a_refusal_too(images, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ImageRejected) as caught:
        images.prepare(upload(picture_bytes("PNG", (40, 40))))
    assert "too large once decoded" in caught.value.message


def test_saved_pictures_can_be_read_back_and_deleted(images):
    prepared = images.prepare(upload(picture_bytes("PNG")))
    name = images.save(prepared)
    assert name.startswith("products/") and name.endswith(".png")
    with images.open(name) as handle:
        assert handle.read() == prepared.content
    images.delete(name)
    with pytest.raises(FileNotFoundError):
        images.open(name)
