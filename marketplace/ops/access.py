"""Staff-only pages: anonymous visitors are sent to sign in, signed-in non-staff get 403."""

import functools

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse


def login_url() -> str:
    # The accounts sign-in page when it is mounted; the admin's otherwise (always there).
    for name in (settings.LOGIN_URL, "admin:login"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/admin/login/"


def staff_required(view):
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("Staff only.")
        return view(request, *args, **kwargs)

    return guarded
