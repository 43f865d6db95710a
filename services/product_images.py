"""Product pictures: checked with Pillow, re-encoded, stored; never served as uploaded.

Checks, cheapest first: the upload's size; the format and the pixel count read from the
header alone (a decompression bomb is refused before any pixel is decoded); a full decode.
The picture is then re-encoded, which drops metadata (camera, GPS) and anything smuggled
after the image data, turned upright from its EXIF orientation, and shrunk to ``max_side``.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from services.errors import ImageRejected

if TYPE_CHECKING:
    from services.ports import ImageStorage

# Pillow's format name -> what we store it as (GIF becomes a PNG of its first frame).
FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
MAX_EDGE = 20_000


@dataclass(frozen=True)
class PreparedImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.content)


class ProductImages:
    def __init__(self, *, storage: ImageStorage, max_bytes: int, max_pixels: int, max_side: int):
        self._storage = storage
        self.max_bytes = int(max_bytes)
        self.max_pixels = int(max_pixels)
        self.max_side = int(max_side)

    def describe_limits(self) -> str:
        return f"JPEG, PNG, WebP or GIF, up to {self.max_bytes // (1024 * 1024)} MB each"

    def prepare(self, upload) -> PreparedImage:
        """Check one uploaded file and re-encode it; ``ImageRejected`` says what is wrong."""
        name = str(getattr(upload, "name", "") or "the file")[:80]
        size = getattr(upload, "size", None)
        if not size:
            raise ImageRejected(f"{name} is empty.", field="images")
        if size > self.max_bytes:
            raise ImageRejected(
                f"{name} is {size / (1024 * 1024):.1f} MB; the limit is {self.max_bytes / (1024 * 1024):.0f} MB.",
                field="images",
            )
        not_an_image = ImageRejected(f"{name} is not a picture we can read ({self.describe_limits()}).", field="images")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                upload.seek(0)
                with Image.open(upload) as probe:
                    fmt = probe.format
                    width, height = probe.size
                    if fmt not in FORMATS:
                        raise not_an_image
                    if width * height > self.max_pixels or max(width, height) > MAX_EDGE:
                        raise ImageRejected(
                            f"{name} is {width}×{height} pixels; the limit is "
                            f"{self.max_pixels // 1_000_000} million pixels.",
                            field="images",
                        )
                    probe.verify()
                upload.seek(0)
                with Image.open(upload) as image:
                    if image.format == "JPEG":
                        image.draft("RGB", (self.max_side, self.max_side))
                    image.load()
                    return self._reencode(image, fmt)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(f"{name} is too large once decoded.", field="images") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
            raise not_an_image from None

    def _reencode(self, image: Image.Image, source_format: str) -> PreparedImage:
        out_format, content_type, extension = FORMATS[source_format]
        image = ImageOps.exif_transpose(image)
        if out_format == "JPEG":
            image = image.convert("RGB")
        elif image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.thumbnail((self.max_side, self.max_side))
        buffer = io.BytesIO()
        options = {"JPEG": {"quality": 85, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 85}}[
            out_format
        ]
        image.save(buffer, format=out_format, **options)
        return PreparedImage(buffer.getvalue(), content_type, extension, image.width, image.height)

    # storage
    def save(self, prepared: PreparedImage) -> str:
        return self._storage.save(f"products/{uuid.uuid4().hex}.{prepared.extension}", ContentFile(prepared.content))

    def delete(self, name: str) -> None:
        self._storage.delete(name)

    def open(self, name: str):
        return self._storage.open(name, "rb")
