"""Recent re-authentication before a sensitive change (e-mail, password, withdrawals).

``@recent_auth_required`` on a view lets it run only if, within the last
``RECENT_AUTH_SECONDS``, this session's user gave their password again (and a code from their
authenticator when they have one) on the ``accounts:reauth`` page, or signed in that way.
Anyone else is sent there and brought back: to the same URL after a GET; after a POST (whose
body is not kept, so it is never replayed) to the page the form was on, where they submit again.
The password goes through ``django.contrib.auth.authenticate``, so django-axes throttles it
like any other sign-in.
"""

import functools
import time

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

RECENT_AUTH_SECONDS = 5 * 60
SESSION_KEY = "accounts_recent_auth_at"


def mark_recent_auth(request) -> None:
    """Record that the user of this session has just proved who they are."""
    request.session[SESSION_KEY] = int(time.time())


def has_recent_auth(request) -> bool:
    if not request.user.is_authenticated:
        return False
    at = request.session.get(SESSION_KEY)
    return isinstance(at, int) and 0 <= time.time() - at <= RECENT_AUTH_SECONDS


def reauth_url(next_url: str) -> str:
    return f"{reverse('accounts:reauth')}?{urlencode({'next': next_url})}"


def _come_back_to(request) -> str:
    if request.method not in ("GET", "HEAD"):
        referer = request.META.get("HTTP_REFERER", "")
        if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
            return referer
    return request.get_full_path()


def recent_auth_required(view):
    """Decorate a view: signed in, and re-authenticated within ``RECENT_AUTH_SECONDS``."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_recent_auth(request):
            return redirect(reauth_url(_come_back_to(request)))
        return view(request, *args, **kwargs)

    guarded.recent_auth_required = True
    return guarded
