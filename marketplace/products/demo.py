"""Pictures for the demo products, drawn on the spot (no binary files in the repository)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def demo_picture(title: str, colour: str, size: int = 480) -> SimpleUploadedFile:
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    for i in range(0, size, 24):
        draw.line([(i, 0), (0, i)], fill="white", width=1)
    draw.rectangle([size // 8, size * 5 // 8, size * 7 // 8, size * 7 // 8], fill="white")
    draw.text((size // 8 + 12, size * 5 // 8 + 16), title[:40], fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(f"{title[:30]}.png", buffer.getvalue(), content_type="image/png")
