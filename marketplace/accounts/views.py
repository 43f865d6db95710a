"""Thin views: parse the form, call ``UserService``, show its answer."""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from containers import ApplicationContainer
from marketplace.accounts.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm
from marketplace.forms import apply_service_error
from services.errors import AuthenticationFailed, LoginThrottled, ServiceError
from services.user_service import UserService

USER_SERVICE = Provide[ApplicationContainer.accounts.user_service]
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
@inject
def register(request, user_service: UserService = USER_SERVICE):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
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
            login(request, user, backend=BACKEND)
            messages.success(request, f"Welcome, {user.username}. Your account is ready.")
            return redirect("accounts:profile")
    rules = user_service.get_required_config()
    return render(request, "accounts/register.html", {"form": form, "rules": rules}, status=_status(form))


@require_http_methods(["GET", "POST"])
@inject
def login_view(request, user_service: UserService = USER_SERVICE):
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = user_service.authenticate(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                client_ip=_client_ip(request),
            )
        except LoginThrottled as error:
            form.add_error(None, error.message)
            status = 429
        except AuthenticationFailed as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend=BACKEND)
            return redirect(_safe_next(request, "accounts:profile"))
    context = {"form": form, "next": _safe_next(request, "")}
    response = render(request, "accounts/login.html", context, status=status if status != 200 else _status(form))
    if status == 429:
        response["Retry-After"] = str(user_service.get_required_config()["login_window_seconds"])
    return response


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
@inject
def profile(request, user_service: UserService = USER_SERVICE):
    current = user_service.get_profile(user_id=request.user.pk)
    initial = {"display_name": current.display_name, "email": current.email, "bio": current.bio}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            current = user_service.update_profile(user_id=request.user.pk, **form.cleaned_data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"profile": current, "form": form}, status=_status(form))


@login_required
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


def _status(form) -> int:
    """A form sent back with errors is a 400 to machines and a page with messages to people."""
    return 400 if form.is_bound and form.errors else 200
