"""The client's address, as far as it can be trusted.

``MARKETPLACE_TRUSTED_PROXIES`` says how many proxies of our own stand in front of the
application (0: none, clients connect directly). Each of them appends the address it received
the request from to ``X-Forwarded-For``, so with N trusted proxies the client is the N-th
address from the right of ``X-Forwarded-For`` + ``REMOTE_ADDR``; anything further left was
written by the client and is never read. With no proxy the header is ignored altogether.

(django-ipware's ``proxy_count`` counts the proxies listed in the header rather than the hops in
front of us, and answers nothing in the common one-proxy case under its strict mode; the rule is
short enough to state here and test exactly: tests/integration/test_sign_in_throttle.py.)
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or ""
    hops = int(getattr(settings, "MARKETPLACE_TRUSTED_PROXIES", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [*[part for part in forwarded if part], remote]
    if len(chain) <= hops:
        # Fewer addresses than trusted proxies: the request did not come through all of them.
        return remote
    return _valid(chain[-(hops + 1)]) or remote


def _valid(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
