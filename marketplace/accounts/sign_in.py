"""Signing a person in once every factor they have is proven; the half-way state in between.

With an authenticator, the right password does not sign anyone in: the session only remembers
who is half-way (for ``PENDING_SECONDS``) and the code page finishes the job.
"""

import time
from dataclasses import dataclass

import django_otp
from django.contrib.auth import login
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from marketplace.accounts.reauth import mark_recent_auth

BACKEND = "django.contrib.auth.backends.ModelBackend"
PENDING_KEY = "accounts_sign_in_pending"
PENDING_SECONDS = 5 * 60


@dataclass(frozen=True)
class Pending:
    user_id: int
    next_url: str


def safe_next(request, default: str) -> str:
    """The ``next`` asked for when it stays on this site; ``default`` otherwise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def two_factor_url(next_url: str) -> str:
    return f"{reverse('accounts:two_factor')}?{urlencode({'next': next_url})}"


def start_pending(request, user, next_url: str) -> None:
    request.session[PENDING_KEY] = {"user": user.pk, "next": next_url, "at": int(time.time())}


def pending(request) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("at"), int):
        return None
    if not 0 <= time.time() - data["at"] <= PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(user_id=int(data["user"]), next_url=str(data.get("next") or ""))


def sign_in(request, user, device=None) -> None:
    """Log ``user`` in (with ``device`` as their verified second factor, if any)."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=BACKEND)
    if device is not None:
        django_otp.login(request, device)
    # A sign-in is a fresh proof of identity: sensitive pages need not ask again right away.
    mark_recent_auth(request)
