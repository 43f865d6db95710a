"""Pictures for the demo products, drawn on the spot (no binary files in the repository).

The title is the point of the picture, so it must read on a catalog tile (240 px, or less on a
phone): its letters are at least 11% of the picture's height, wrapped on words, dark on a light
panel. The font is DejaVu Sans Bold when the machine has it (Debian: fonts-dejavu-core), else
Pillow's own scalable font (Pillow >= 10.1), so a fresh machine draws the same layout.
"""

import io
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",  # Fedora, Alpine
    "DejaVuSans-Bold.ttf",  # wherever Pillow's font search finds it
)
LARGEST, SMALLEST = 0.15, 0.11  # of the picture's height
MAX_LINES = 4
INK, PANEL = (24, 24, 28), (255, 255, 255)


@cache
def title_font(px: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, px)
        except OSError:
            continue
    return ImageFont.load_default(size=px)


def wrap(title: str, font, width: int) -> list[str]:
    """The title's words in lines no wider than ``width`` (a word too long alone is cut)."""
    lines: list[str] = []
    for word in title.split():
        while font.getlength(word) > width and len(word) > 1:
            word = word[:-2] + "…"
        if lines and font.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def layout(title: str, size: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (between SMALLEST and LARGEST of ``size``) whose lines fit; at the
    smallest, lines beyond MAX_LINES are dropped and the last one ends with an ellipsis."""
    width = size - 2 * (size // 12)
    px = round(size * LARGEST)
    while True:
        font = title_font(px)
        lines = wrap(title, font, width)
        whole_words = all(not line.endswith("…") or title.endswith("…") for line in lines)
        if (len(lines) <= MAX_LINES and whole_words) or px <= round(size * SMALLEST):
            break
        px -= max(1, size // 100)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        last = lines[-1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return font, lines


def demo_picture(title: str, colour: str, size: int = 480) -> SimpleUploadedFile:
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, 2 * size, size // 20):
        draw.line([(i, 0), (0, i)], fill="white", width=max(1, size // 240))
    font, lines = layout(title, size)
    margin = size // 12
    line_height = round(font.size * 1.2)
    panel_top = size - margin - len(lines) * line_height - margin
    draw.rounded_rectangle(
        [margin // 2, panel_top, size - margin // 2, size - margin // 2], radius=size // 40, fill=PANEL
    )
    y = panel_top + margin // 2
    for line in lines:
        draw.text((margin, y), line, font=font, fill=INK)
        y += line_height
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{title[:30]}.png", buffer.getvalue(), content_type="image/png")
