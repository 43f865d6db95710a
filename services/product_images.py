"""Product pictures: checked with Pillow, re-encoded, stored; never served as uploaded.

Checks, cheapest first: the upload's size; the format and the pixel count read from the
header alone (a decompression bomb is refused before any pixel is decoded); a full decode.
The picture is then re-encoded, which drops metadata (camera, GPS) and anything smuggled
after the image data, turned upright from its EXIF orientation, and shrunk to ``max_side``.

Beside it, two thumbnails for pages that show it small (``THUMBNAIL_WIDTHS``): WebP, bounded by
their *width* (what a ``srcset`` ``w`` descriptor states, so the browser's choice is exact), the
height following the picture's proportions; a picture narrower than that is not enlarged.

Storage failures (a bucket that is down, a refused permission) come out as ``ServiceUnavailable``
with a message for the form, after deleting what was written for that picture.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from services.errors import ImageRejected, NotFound, ServiceUnavailable

if TYPE_CHECKING:
    from PIL import Image

    from services.ports import ImageStorage

# Pillow's format name -> what we store it as (GIF becomes a PNG of its first frame).
FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
MAX_EDGE = 20_000
# Catalog boxes are 240 CSS pixels wide: 240 for them, 480 for them on 2x screens and for the
# product page (which adds the original for wide screens).
THUMBNAIL_WIDTHS = (240, 480)
THUMBNAIL_TYPE = "image/webp"
THUMBNAIL_QUALITY = 80
STORE_FAILED = gettext_noop("The picture could not be stored; try again later.")
READ_FAILED = gettext_noop("The picture cannot be read from storage right now; try again later.")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thumbnail:
    bound: int  # the width it was made for (one of THUMBNAIL_WIDTHS)
    content: bytes
    width: int
    height: int


@dataclass(frozen=True)
class PreparedImage:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnails: tuple[Thumbnail, ...] = ()

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class StoredImage:
    """What ``store`` wrote: the picture's name and its thumbnails' by width."""

    file: str
    thumbnails: dict[int, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [self.file, *self.thumbnails.values()]


@dataclass(frozen=True)
class OpenedPicture:
    """A stored picture ready to send: ``exact`` is False when the size asked for was missing
    and the original stands in for it."""

    handle: object
    content_type: str
    exact: bool


class ProductImages:
    def __init__(self, *, storage: ImageStorage, max_bytes: int, max_pixels: int, max_side: int):
        self._storage = storage
        self.max_bytes = int(max_bytes)
        self.max_pixels = int(max_pixels)
        self.max_side = int(max_side)

    @staticmethod
    def thumbnail_width(size) -> int | None:
        """``"240"`` -> 240 for a size pages may ask for; ``None`` for anything else."""
        return next((width for width in THUMBNAIL_WIDTHS if str(size) == str(width)), None)

    def describe_limits(self) -> str:
        return _("JPEG, PNG, WebP or GIF, up to %(size)s MB each") % {"size": self.max_bytes // (1024 * 1024)}

    def prepare(self, upload) -> PreparedImage:
        """Check one uploaded file and re-encode it; ``ImageRejected`` says what is wrong."""
        name = str(getattr(upload, "name", "") or "the file")[:80]
        size = getattr(upload, "size", None)
        if not size:
            raise ImageRejected(_("%(name)s is empty.") % {"name": name}, field="images")
        if size > self.max_bytes:
            raise ImageRejected(
                _("%(name)s is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "name": name,
                    "size": f"{size / (1024 * 1024):.1f}",
                    "limit": f"{self.max_bytes / (1024 * 1024):.0f}",
                },
                field="images",
            )
        not_an_image = ImageRejected(
            _("%(name)s is not a picture we can read (%(limits)s).") % {"name": name, "limits": self.describe_limits()},
            field="images",
        )
        # Pillow is imported where a picture is read: a process that reads none never loads it.
        from PIL import Image, UnidentifiedImageError

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
                            _("%(name)s is %(width)s×%(height)s pixels; the limit is %(limit)s million pixels.")
                            % {"name": name, "width": width, "height": height, "limit": self.max_pixels // 1_000_000},
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
            raise ImageRejected(_("%(name)s is too large once decoded.") % {"name": name}, field="images") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
            raise not_an_image from None

    def _reencode(self, image: Image.Image, source_format: str) -> PreparedImage:
        from PIL import ImageOps

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
        return PreparedImage(
            buffer.getvalue(), content_type, extension, image.width, image.height, self._thumbnails(image)
        )

    @staticmethod
    def _thumbnails(image: Image.Image) -> tuple[Thumbnail, ...]:
        from PIL import Image

        has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
        source = image.convert("RGBA" if has_alpha else "RGB")
        made = []
        for bound in THUMBNAIL_WIDTHS:
            thumb = source.copy()
            if thumb.width > bound:
                height = max(1, round(thumb.height * bound / thumb.width))
                thumb = thumb.resize((bound, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            buffer = io.BytesIO()
            thumb.save(buffer, format="WEBP", quality=THUMBNAIL_QUALITY, method=4)
            made.append(Thumbnail(bound, buffer.getvalue(), thumb.width, thumb.height))
        return tuple(made)

    def thumbnails_from_stored(self, content: bytes) -> tuple[Thumbnail, ...]:
        """Thumbnails of a picture already stored (re-encoded by us when it was uploaded)."""
        from PIL import Image, UnidentifiedImageError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content)) as image:
                    if image.format not in FORMATS or image.width * image.height > self.max_pixels:
                        raise ImageRejected(_("The stored picture is not one we can read."))
                    image.load()
                    return self._thumbnails(image)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected(_("The stored picture is too large once decoded.")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError):
            raise ImageRejected(_("The stored picture is not one we can read.")) from None

    # storage
    def save(self, prepared: PreparedImage) -> str:
        """The picture alone (no thumbnails), as the storage named it."""
        return self._storage.save(f"products/{uuid.uuid4().hex}.{prepared.extension}", ContentFile(prepared.content))

    def store(self, prepared: PreparedImage) -> StoredImage:
        """The picture and its thumbnails: ``products/<uuid>.<ext>`` and ``products/<uuid>.w240.webp``...

        All or nothing: when the storage refuses one file, the ones written before it are
        deleted and ``ServiceUnavailable`` says so (for the form's ``images`` field)."""
        stem = f"products/{uuid.uuid4().hex}"
        written: list[str] = []
        try:
            file = self._storage.save(f"{stem}.{prepared.extension}", ContentFile(prepared.content))
            written.append(file)
            thumbnails = self._save_thumbnails(stem, prepared.thumbnails, written)
        except Exception as error:
            log.warning("a product picture could not be stored: %s: %s", type(error).__name__, error)
            self.discard(written)
            raise ServiceUnavailable(_(STORE_FAILED), field="images") from error
        return StoredImage(file, thumbnails)

    def store_thumbnails(self, name: str, thumbnails: tuple[Thumbnail, ...]) -> dict[int, str]:
        """Thumbnails for the stored picture ``name``, named after it plus a token of their own
        (two runs never write, or delete, each other's files); all or nothing, as ``store``."""
        stem = f"{name.rsplit('.', 1)[0]}-{uuid.uuid4().hex[:8]}"
        written: list[str] = []
        try:
            return self._save_thumbnails(stem, thumbnails, written)
        except Exception as error:
            log.warning("thumbnails of %s could not be stored: %s: %s", name, type(error).__name__, error)
            self.discard(written)
            raise ServiceUnavailable(_(STORE_FAILED), field="images") from error

    def _save_thumbnails(self, stem: str, thumbnails: tuple[Thumbnail, ...], written: list[str]) -> dict[int, str]:
        names: dict[int, str] = {}
        for thumb in thumbnails:
            names[thumb.bound] = self._storage.save(f"{stem}.w{thumb.bound}.webp", ContentFile(thumb.content))
            written.append(names[thumb.bound])
        return names

    def delete(self, name: str) -> None:
        self._storage.delete(name)

    def discard(self, names) -> None:
        """Delete what can be deleted; a file left behind is logged, never a failure."""
        for name in names:
            if not name:
                continue
            try:
                self._storage.delete(name)
            except Exception:
                log.warning("product image %s could not be deleted; left in storage", name, exc_info=True)

    def open(self, name: str):
        """The stored file, as the storage gives it (``FileNotFoundError`` when missing)."""
        return self._storage.open(name, "rb")

    def read(self, name: str) -> bytes:
        """A stored file's bytes: ``NotFound`` when missing, ``ServiceUnavailable`` when the
        storage cannot answer."""
        handle = self._checked_open(name)
        try:
            return handle.read()
        except Exception as error:
            raise ServiceUnavailable(_(READ_FAILED)) from error
        finally:
            handle.close()

    def open_sized(
        self, *, file: str, content_type: str, thumbnails: dict[int, str], width: int | None
    ) -> OpenedPicture:
        """The thumbnail of ``width`` (``None``: the picture itself). A thumbnail not made yet, or
        missing from storage, is stood in for by the picture; ``NotFound`` when that is missing
        too, ``ServiceUnavailable`` when the storage cannot answer."""
        name = thumbnails.get(width) if width else None
        if name:
            try:
                return OpenedPicture(self._checked_open(name), THUMBNAIL_TYPE, True)
            except NotFound:
                log.warning("thumbnail %s is missing from storage; sending the picture instead", name)
        return OpenedPicture(self._checked_open(file), content_type, width is None)

    def _checked_open(self, name: str):
        try:
            return self._storage.open(name, "rb")
        except FileNotFoundError:
            raise NotFound(_("There is no such picture.")) from None
        except Exception as error:
            log.warning("product image %s could not be read: %s: %s", name, type(error).__name__, error)
            raise ServiceUnavailable(_(READ_FAILED)) from error
