"""The admin behind a second factor: django-otp's ``OTPAdminSite``, which lets in only sessions
verified by a device, with three changes. A signed-in staff member whose session is not verified
yet is sent to ``accounts:two_factor`` (to enrol, or to enter a code) and back, rather than to a
second login form; a password is changed on the site's own page only (its rules, re-authentication);
and someone signing in on the admin's form without an authenticator is told where to set one up,
rather than asked for a code they cannot have.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from marketplace.accounts.sign_in import safe_next, two_factor_url


class AdminLoginForm(OTPAdminAuthenticationForm):
    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            raise ValidationError(
                "Staff sign in with a second factor, and this account has none yet. Sign in on the site's "
                "sign-in page: it will walk you through setting up an authenticator app.",
                code="no_device",
            )
        return super().clean_otp(user)


class MarketplaceAdminSite(OTPAdminSite):
    login_form = AdminLoginForm

    def password_change(self, request, extra_context=None):
        # One way to change a password: the site's page, with its rules and re-authentication.
        return redirect("accounts:password")

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_staff and not user.is_verified():
            return redirect(two_factor_url(safe_next(request, reverse("admin:index"))))
        return super().login(request, extra_context)
