"""A signed-in page as a shared part with holes, and the holes filled per request.

A page rendered "shared" (``SharedRender`` on the request) draws every ``{% personal %}``
fragment (templatetags/personal_parts.py: the header's navigation, the messages, a product's
module slot) as a marker, and every CSRF token as another (``shared_render`` below, a context
processor), so what is left holds nothing of the person it was rendered for and may be kept
and served to any other signed-in person. Serving it renders only the fragments, with that
request's context (its user, balance, unread count, messages, token), and splices them in.

A fragment sees the context processors' values and the values its tag names, never the rest of
the page's context, whether the page is rendered shared or not: both ways draw the same bytes.
Markers carry a random nonce per render, so no text a person types can pass for one.

A fragment marked ``kept`` may come from ``kept`` (marketplace/vendors/kept_parts.py): drawn for
this person before, with a marker for its CSRF token, and still current.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Protocol

from django.middleware.csrf import get_token
from django.template import RequestContext, engines

ATTRIBUTE = "_shared_render"
CSRF = "csrf"


class Kept(Protocol):
    """The fragments kept for the person reading (marketplace/vendors/kept_parts.py)."""

    def part(self, template_name: str) -> tuple[str, str] | None:
        """``(CSRF marker, text)`` drawn for this person before and still current."""

    def keep(self, template_name: str, marker: str, text: str) -> None: ...


def new_nonce() -> str:
    return secrets.token_hex(12)


def csrf_marker(nonce: str) -> str:
    # Letters, digits, ':' and ';' only: HTML escaping (a token sits in an attribute) keeps it whole.
    return f"{nonce}:{CSRF};"


@dataclass
class SharedRender:
    nonce: str = field(default_factory=new_nonce)
    fragments: list[tuple[str, dict, bool]] = field(default_factory=list)

    def hole(self, template_name: str, values: dict, kept: bool = False) -> str:
        self.fragments.append((template_name, values, kept))
        return f"{self.nonce}:{len(self.fragments) - 1};"

    @property
    def csrf_marker(self) -> str:
        return csrf_marker(self.nonce)

    def split(self, html: str) -> tuple:
        """The page as literal text at even places and, between them, a fragment's index or CSRF."""
        parts = re.split(f"{self.nonce}:(\\d+|{CSRF});", html)
        return tuple(part if i % 2 == 0 or part == CSRF else int(part) for i, part in enumerate(parts))


def begin(request) -> SharedRender:
    recorder = SharedRender()
    setattr(request, ATTRIBUTE, recorder)
    return recorder


def end(request) -> None:
    if hasattr(request, ATTRIBUTE):
        delattr(request, ATTRIBUTE)


def recorder_of(context) -> SharedRender | None:
    return getattr(context.get("request"), ATTRIBUTE, None)


def shared_render(request) -> dict:
    """Context processor, listed last: while a page is drawn shared, its tokens are markers."""
    recorder = getattr(request, ATTRIBUTE, None)
    return {"csrf_token": recorder.csrf_marker} if recorder is not None else {}


def assemble(request, parts: tuple, fragments: tuple | list, kept: Kept | None = None) -> str:
    """The page for this request: the shared text with its fragments drawn for this person."""
    drawn = render_fragments(request, fragments, kept)
    token = get_token(request) if CSRF in parts[1::2] or any(marker for marker, _ in drawn) else ""
    drawn = [text.replace(marker, token) if marker else text for marker, text in drawn]
    return "".join(part if i % 2 == 0 else (token if part == CSRF else drawn[part]) for i, part in enumerate(parts))


def render_fragments(request, fragments, kept: Kept | None = None) -> list[tuple[str, str]]:
    """Each fragment as ``(CSRF marker or "", text)``: a kept one carries a marker for its token."""
    drawn: list[tuple[str, str] | None] = [None] * len(fragments)
    if kept is not None:
        for i, (name, _, keep) in enumerate(fragments):
            if keep:
                drawn[i] = kept.part(name)
    todo = [i for i, found in enumerate(drawn) if found is None]
    if not todo:
        return drawn
    engine = engines["django"]
    templates = {i: engine.get_template(fragments[i][0]).template for i in todo}
    context = RequestContext(request)
    # One pass of the context processors for every fragment of the page.
    with context.bind_template(templates[todo[0]]):
        for i in todo:
            name, values, keep = fragments[i]
            if keep and kept is not None:
                marker = csrf_marker(new_nonce())
                with context.push(values, csrf_token=marker):
                    text = templates[i].render(context)
                kept.keep(name, marker, text)
                drawn[i] = (marker, text)
            else:
                with context.push(values):
                    drawn[i] = ("", templates[i].render(context))
    return drawn
