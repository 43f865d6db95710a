"""The deposit address as a QR code, inline SVG made with segno (no image files, no JavaScript)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def address_qr_svg(address: str) -> SafeString:
    """A BIP21 ``bitcoin:`` URI for ``address``; the SVG holds only path data and the title."""
    import segno  # its tables cost 60 ms, paid by the pages that draw a code, not every process

    code = segno.make(f"bitcoin:{address}", error="m")
    svg = code.svg_inline(scale=4, dark="#1d1f24", light="#ffffff", title=escape(f"bitcoin:{address}"))
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308  (segno's own markup)
