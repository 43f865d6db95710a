"""Thin views: parse the form, call ``UserService``, show its answer."""

from dependency_injector.wiring import Provide, inject
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from marketplace.accounts import sign_in
from marketplace.accounts.email_views import verification_link_for
from marketplace.accounts.forms import CodeForm, LoginForm, PasswordForm, ProfileForm, RegisterForm
from marketplace.accounts.reauth import recent_auth_required
from marketplace.forms import apply_service_error
from services.errors import AuthenticationFailed, LoginThrottled, NotFound, ServiceError, TwoFactorError
from services.two_factor_service import TwoFactorService
from services.user_service import UserService

USER_SERVICE = Provide["accounts.user_service"]
TWO_FACTOR = Provide["accounts.two_factor_service"]


@require_http_methods(["GET", "POST"])
@inject
def register(request, user_service: UserService = USER_SERVICE):
    target = _after_sign_in(request)
    if request.user.is_authenticated:
        return redirect(target)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_service.register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            sign_in.sign_in(request, user)
            messages.success(request, f"Welcome, {user.username}. Your account is ready.")
            try:
                sent_to = user_service.send_email_verification(user_id=user.pk, link_for=verification_link_for(request))
            except ServiceError as error:  # the account stands; the link can be sent again later
                messages.warning(request, error.message)
            else:
                messages.info(request, f"We sent a link to {sent_to}: open it to confirm your address.")
            return redirect(target)
    rules = user_service.get_required_config()
    context = {"form": form, "rules": rules, "next": sign_in.safe_next(request, "")}
    return render(request, "accounts/register.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@inject
def login_view(request, user_service: UserService = USER_SERVICE, two_factor: TwoFactorService = TWO_FACTOR):
    form = LoginForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            user = user_service.authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except LoginThrottled as error:
            form.add_error(None, error.message)
            retry_after = error.retry_after
        except AuthenticationFailed as error:
            form.add_error(None, error.message)
        else:
            target = _after_sign_in(request)
            if two_factor.has_device(user):
                sign_in.start_pending(request, user, target)
                return redirect("accounts:login_code")
            sign_in.sign_in(request, user)
            if two_factor.is_required(user):  # staff without an authenticator: set one up first
                return redirect(sign_in.two_factor_url(target))
            return redirect(target)
    context = {"form": form, "next": sign_in.safe_next(request, "")}
    if retry_after is None:
        return render(request, "accounts/login.html", context, status=_status(form))
    response = render(request, "accounts/login.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
@inject
def login_code(request, user_service: UserService = USER_SERVICE, two_factor: TwoFactorService = TWO_FACTOR):
    """The second step of signing in with an authenticator: the password was right, now the code."""
    half_way = sign_in.pending(request)
    try:
        user = user_service.get_user_by_id(half_way.user_id) if half_way else None
    except NotFound:
        user = None
    if user is None:
        messages.info(request, "Please sign in again: the code must follow the password within five minutes.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify(user, form.cleaned_data["code"])
        except TwoFactorError as error:
            form.add_error("code", error.message)
        else:
            sign_in.sign_in(request, user, device)
            _warn_when_recovery_code_used(request, two_factor, user, device)
            return redirect(half_way.next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login_code.html", {"form": form}, status=_status(form))


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
@inject
def profile(request, user_service: UserService = USER_SERVICE, two_factor: TwoFactorService = TWO_FACTOR):
    current = user_service.get_profile(user_id=request.user.pk)
    initial = {"display_name": current.display_name, "bio": current.bio}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            current = user_service.update_profile(user_id=request.user.pk, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    context = {
        "profile": current,
        "form": form,
        "two_factor_on": two_factor.has_device(request.user),
        "two_factor_required": two_factor.is_required(request.user),
        "recovery_codes_left": two_factor.recovery_codes_left(request.user),
    }
    return render(request, "accounts/profile.html", context, status=_status(form))


@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
@inject
def change_password(request, user_service: UserService = USER_SERVICE):
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_service.change_password(
                user_id=request.user.pk,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            request.user.refresh_from_db()
            update_session_auth_hash(request, request.user)
            messages.success(request, "Password changed.")
            return redirect("accounts:profile")
    rules = user_service.get_required_config()
    return render(request, "accounts/password.html", {"form": form, "rules": rules}, status=_status(form))


def _warn_when_recovery_code_used(request, two_factor: TwoFactorService, user, device) -> None:
    if not isinstance(device, StaticDevice):
        return
    left = two_factor.recovery_codes_left(user)
    messages.warning(
        request, f"You signed in with a recovery code; {left} left. Make new ones from your profile if few remain."
    )


def _after_sign_in(request) -> str:
    """Where signing in or registering leads: the ``next`` asked for when it is on this site
    (a URL of another site or another scheme is refused), else ``LOGIN_REDIRECT_URL`` (home)."""
    return sign_in.safe_next(request, resolve_url(settings.LOGIN_REDIRECT_URL))


def _status(form) -> int:
    """A form sent back with errors is a 400 to machines and a page with messages to people."""
    return 400 if form.is_bound and form.errors else 200
