"""Every URL pattern of the site, filled with real objects, requested as every kind of visitor.

``tests/integration/test_authorization_matrix.py`` holds what each visitor must get; this module
knows how to list the patterns (from the live URLconf, never a hand-kept list), fill their
arguments and describe an answer in one short token:

``200``/``400``/``403``/``404``/``405``… the status; ``L`` a redirect to a sign-in page;
``2F`` a redirect to the second-factor page; ``RA`` to re-authentication; ``R`` any other redirect.
"""

import copy
import re
from dataclasses import dataclass

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

VISITORS = (
    "anon",
    "buyer",
    "buyer2",
    "vendor",
    "vendor2",
    "support",
    "moderator",
    "finance",
    "operator",
    "super",
)


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, e.g. "wallets:withdraw"
    route: str  # the pattern as written, e.g. "wallets/withdrawals/<int:withdrawal_id>/cancel/"
    params: tuple[str, ...]  # its arguments, in order


def routes() -> list[Route]:
    return [
        Route(name=name, route=route, params=tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)))
        for route, name in _walk(get_resolver().url_patterns, "", None)
    ]


def _walk(patterns, prefix: str, namespace: str | None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            # An unnamed pattern (the admin's redirects) goes by its route, under its namespace.
            name = pattern.name or prefix + str(pattern.pattern)
            yield prefix + str(pattern.pattern), f"{namespace}:{name}" if namespace else name


def token(response, *, login: tuple[str, ...], two_factor: str, reauth: str) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        path = response.headers.get("Location", "").split("?", 1)[0]
        if any(path.endswith(p) for p in login):
            return "L"
        if path.endswith(two_factor):
            return "2F"
        if path.endswith(reauth):
            return "RA"
        return "R"
    return str(response.status_code)


def request_once(client, method: str, url: str, data: dict | None = None):
    """One request whose database effects are undone, so every cell starts from the same world.

    The client's cookies are put back too: signing out (or in) hands the client a new session
    cookie whose row the rollback removes.
    """
    cookies = copy.copy(client.cookies)
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        transaction.set_rollback(True)
    client.cookies = cookies
    return response
