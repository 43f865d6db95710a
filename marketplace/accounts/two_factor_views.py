"""Two-factor pages: set up an authenticator, enter a code, recovery codes, and re-authentication."""

import django_otp
from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.accounts import sign_in
from marketplace.accounts.forms import CodeForm, ReauthForm
from marketplace.accounts.reauth import mark_recent_auth, recent_auth_required
from services.errors import AuthenticationFailed, LoginThrottled, TwoFactorError
from services.two_factor_service import TwoFactorService
from services.user_service import UserService

USER_SERVICE = Provide["accounts.user_service"]
TWO_FACTOR = Provide["accounts.two_factor_service"]


@login_required
@require_http_methods(["GET", "POST"])
@inject
def two_factor(request, two_factor: TwoFactorService = TWO_FACTOR):
    """Set up an authenticator when there is none; otherwise ask its code. Then on to ``next``."""
    target = sign_in.safe_next(request, reverse("accounts:profile"))
    if request.user.is_verified():
        return redirect(target)
    form = CodeForm(request.POST or None)
    if two_factor.has_device(request.user):
        if request.method == "POST" and form.is_valid():
            try:
                device = two_factor.verify(request.user, form.cleaned_data["code"])
            except TwoFactorError as error:
                form.add_error("code", error.message)
            else:
                django_otp.login(request, device)
                return redirect(target)
        context = {"form": form, "next": target}
        return render(request, "accounts/two_factor_code.html", context, status=_status(form))
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_enrolment(request.user, form.cleaned_data["code"])
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            django_otp.login(request, device)
            messages.success(request, "Two-factor sign-in is on.")
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})
    try:
        enrolment = two_factor.start_enrolment(request.user)
    except TwoFactorError as error:  # turned on meanwhile, in another tab
        messages.info(request, error.message)
        return redirect(request.get_full_path())
    context = {
        "form": form,
        "next": target,
        "secret": enrolment.secret,
        "qr_svg": _qr_svg(enrolment.otpauth_url),
        "required": two_factor.is_required(request.user),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=_status(form))


@login_required
@recent_auth_required
@require_POST
@inject
def recovery_codes(request, two_factor: TwoFactorService = TWO_FACTOR):
    try:
        codes = two_factor.new_recovery_codes(request.user)
    except TwoFactorError as error:
        messages.error(request, error.message)
        return redirect("accounts:profile")
    messages.success(request, "New recovery codes made; the old ones no longer work.")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:profile")})


@login_required
@recent_auth_required
@require_POST
@inject
def disable_two_factor(request, two_factor: TwoFactorService = TWO_FACTOR):
    try:
        two_factor.disable(request.user)
    except TwoFactorError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Two-factor sign-in is off.")
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
@inject
def reauth(request, user_service: UserService = USER_SERVICE, two_factor: TwoFactorService = TWO_FACTOR):
    """Prove it is still you: the password again, and a code when you have an authenticator."""
    target = sign_in.safe_next(request, reverse("accounts:profile"))
    with_code = two_factor.has_device(request.user)
    form = ReauthForm(request.POST or None, with_code=with_code)
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            user = user_service.authenticate(
                request=request, username=request.user.get_username(), password=form.cleaned_data["password"]
            )
            if user.pk != request.user.pk:  # a name matching another account's in another case
                raise AuthenticationFailed("Wrong password.")
            if with_code:
                two_factor.verify(request.user, form.cleaned_data["code"])
        except LoginThrottled as error:
            form.add_error(None, error.message)
            status = 429
        except AuthenticationFailed:
            form.add_error("password", "Wrong password.")
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            mark_recent_auth(request)
            return redirect(target)
    response = render(request, "accounts/reauth.html", {"form": form, "next": target}, status=status or _status(form))
    if status == 429:
        response["Retry-After"] = str(user_service.get_required_config()["login_window_seconds"])
    return response


def _qr_svg(otpauth_url: str):
    """The setup URL as inline SVG (segno: path data and a title only, no script, no style attribute)."""
    import segno  # at first use: see marketplace/wallets/qr.py

    svg = segno.make(otpauth_url, error="m").svg_inline(scale=4, dark="#1d1f24", light="#ffffff", title="QR code")
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308  (segno's own markup)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
