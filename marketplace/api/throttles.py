"""Rate limits: per token (or signed-in user), and per client address for everyone.

A fixed window per caller, counted with the cache's atomic ``incr`` and ``add`` (Redis when
configured, so every worker of every machine counts together). ninja's own throttles keep a list
of times per caller that they read and write back, which loses counts when two requests of one
caller run at once; and they keep the caller on the instance, which threads share. The address
is the one ``marketplace.client_ip`` trusts, never a header a client could write. Limits are
read from ``settings.MARKETPLACE_API`` on each request.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

from marketplace.client_ip import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"600/m"`` -> (600, 60)."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[:1]]


class Window(BaseThrottle):
    setting = ""

    def __init__(self):
        self._local = threading.local()  # the wait of this thread's refused request

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request) -> bool:
        who = self.ident(request)
        if who is None:
            return True
        limit, period = parse_rate(settings.MARKETPLACE_API[self.setting])
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{self.setting}:{who}:{window}"
        try:
            count = cache.incr(key)  # one round trip for every request but a window's first
        except ValueError:
            count = 1 if cache.add(key, 1, timeout=period + 1) else cache.incr(key)
        self._local.wait = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


class PerAddress(Window):
    setting = "address_rate"

    def ident(self, request) -> str | None:
        return client_ip(request) or "unknown"


class PerCaller(Window):
    setting = "caller_rate"

    def ident(self, request) -> str | None:
        principal = getattr(request, "principal", None)
        if principal is None or not principal.user_id:
            return None  # anonymous: the address limit applies
        return f"token-{principal.token_id}" if principal.token_id else f"user-{principal.user_id}"
