"""Rules for text that people type and others read: plain text, trimmed, bounded.

Descriptions are shown as plain text (escaped, line breaks kept), so markup could never run;
markup is still refused with a clear message, because a seller who pastes HTML expects it to
render and should learn at once that it will not.
"""

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None) -> str:
    """Trimmed, with Windows line ends made plain and control characters dropped."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def text_errors(
    text: str, *, max_length: int, min_length: int = 0, required: bool = False, plain: bool = True
) -> list[str]:
    if required and not text:
        return [_("This field is required.")]
    if text and len(text) < min_length:
        return [
            ngettext("At least %(count)s character.", "At least %(count)s characters.", min_length)
            % {"count": min_length}
        ]
    if len(text) > max_length:
        return [
            ngettext(
                "At most %(count)s character (this has %(length)s).",
                "At most %(count)s characters (this has %(length)s).",
                max_length,
            )
            % {"count": max_length, "length": len(text)}
        ]
    if plain and _TAG.search(text):
        tag = _TAG.search(text).group(0)[:40]
        return [_("Plain text only: remove the HTML markup (%(tag)s).") % {"tag": tag}]
    return []
