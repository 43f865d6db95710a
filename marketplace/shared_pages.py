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
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django.middleware.csrf import get_token
from django.template import RequestContext, engines

ATTRIBUTE = "_shared_render"
CSRF = "csrf"


@dataclass
class SharedRender:
    nonce: str = field(default_factory=lambda: secrets.token_hex(12))
    fragments: list[tuple[str, dict]] = field(default_factory=list)

    def hole(self, template_name: str, values: dict) -> str:
        self.fragments.append((template_name, values))
        return f"{self.nonce}:{len(self.fragments) - 1};"

    @property
    def csrf_marker(self) -> str:
        # Letters, digits, ':' and ';' only: HTML escaping (a token sits in an attribute) keeps it whole.
        return f"{self.nonce}:{CSRF};"

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


def assemble(request, parts: tuple, fragments: tuple | list) -> str:
    """The page for this request: the shared text with its fragments drawn for this person."""
    drawn = render_fragments(request, fragments)
    token = get_token(request) if CSRF in parts[1::2] else ""
    return "".join(part if i % 2 == 0 else (token if part == CSRF else drawn[part]) for i, part in enumerate(parts))


def render_fragments(request, fragments) -> list[str]:
    if not fragments:
        return []
    engine = engines["django"]
    templates = [engine.get_template(name).template for name, _ in fragments]
    context = RequestContext(request)
    # One pass of the context processors for every fragment of the page.
    with context.bind_template(templates[0]):
        drawn = []
        for template, (_, values) in zip(templates, fragments, strict=True):
            with context.push(values):
                drawn.append(template.render(context))
    return drawn
