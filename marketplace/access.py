"""One decorator for staff pages: signed in, holding the capability, and signed in with a second factor.

Anonymous visitors are sent to sign in; people without the capability get 403; staff whose
session has no second factor yet are sent to enrol (or enter a code) and then come back.
"""

import functools

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from containers import ApplicationContainer
from services.staff_access import Capability, StaffAccess


def login_url() -> str:
    # The accounts sign-in page when it is mounted; the admin's otherwise (always there).
    for name in (settings.LOGIN_URL, "admin:login"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/admin/login/"


@inject
def staff_access(access: StaffAccess = Provide[ApplicationContainer.core.staff_access]) -> StaffAccess:
    return access


def second_factor_done(request) -> bool:
    verified = getattr(request.user, "is_verified", None)
    return bool(verified and verified())


def second_factor_page(request):
    """Where staff go to enter (or enrol) their second factor, coming back here afterwards."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('accounts:two_factor')}?{query}")


def staff_required(capability: Capability):
    """``@staff_required(Capability.OPERATE)`` on a view."""
    capability = Capability(capability)

    def decorate(view):
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url())
            if not staff_access().can(user, capability):
                raise PermissionDenied("Your staff role does not cover this page.")
            if not second_factor_done(request):
                return second_factor_page(request)
            return view(request, *args, **kwargs)

        guarded.staff_capability = capability
        return guarded

    return decorate
