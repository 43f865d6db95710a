"""E-mail pages: confirming an address by its link, changing it, and resetting a forgotten password.

Password resets are Django's own views; the service only counts requests first (per address
asked for and per client address), so that the form cannot become a mail bomb.
"""

from dependency_injector.wiring import Provide, inject
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.accounts.forms import EmailChangeForm, VerifiedPasswordResetForm
from marketplace.accounts.reauth import recent_auth_required
from marketplace.client_ip import client_ip
from marketplace.forms import apply_service_error
from services.errors import EmailLinkInvalid, MailThrottled, ServiceError
from services.user_service import UserService

USER_SERVICE = Provide["accounts.user_service"]


def verification_link_for(request):
    """``token -> absolute URL`` of the page that applies a verification link."""
    return lambda token: request.build_absolute_uri(reverse("accounts:verify_email", args=[token]))


@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
@inject
def change_email(request, user_service: UserService = USER_SERVICE):
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent_to = user_service.request_email_change(
                user_id=request.user.pk, new_email=form.cleaned_data["email"], link_for=verification_link_for(request)
            )
        except MailThrottled as error:
            return _too_many(request, "accounts/email_change.html", {"form": form}, error)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            messages.info(request, f"We sent a link to {sent_to}. Your address changes when you open it.")
            return redirect("accounts:profile")
    return render(request, "accounts/email_change.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
@inject
def resend_verification(request, user_service: UserService = USER_SERVICE):
    try:
        sent_to = user_service.send_email_verification(user_id=request.user.pk, link_for=verification_link_for(request))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, f"We sent a new link to {sent_to}.")
    return redirect("accounts:profile")


@require_http_methods(["GET", "POST"])
@inject
def verify_email(request, token: str, user_service: UserService = USER_SERVICE):
    """GET asks, POST applies: mail scanners that open every link must not confirm on their own."""
    if request.method == "GET":
        return render(request, "accounts/email_verify.html", {"token": token})
    try:
        profile = user_service.confirm_email(token=token)
    except EmailLinkInvalid as error:
        return render(request, "accounts/email_verify.html", {"error": error.message}, status=400)
    messages.success(request, f"Your e-mail address {profile.email} is confirmed.")
    return redirect("accounts:profile" if request.user.is_authenticated else "home")


# password reset
class ThrottledPasswordResetView(auth_views.PasswordResetView):
    form_class = VerifiedPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    user_service = None  # given by ``password_reset`` below

    def form_valid(self, form):
        try:
            self.user_service.allow_password_reset(email=form.cleaned_data["email"], client_ip=client_ip(self.request))
        except MailThrottled as error:
            return _too_many(self.request, self.template_name, self.get_context_data(form=form), error)
        form.mailer = self.user_service.queue_mail
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@inject
def password_reset(request, user_service: UserService = USER_SERVICE):
    return ThrottledPasswordResetView.as_view(user_service=user_service)(request)


class NewPasswordForm(SetPasswordForm):
    """Django's form, held to the marketplace's password rules as well (``UserService``)."""

    def __init__(self, user, *args, user_service, **kwargs):
        self.user_service = user_service
        super().__init__(user, *args, **kwargs)

    def clean(self):
        data = super().clean()
        password = data.get("new_password2")
        if password and not self.has_error("new_password2"):
            for problem in self.user_service.password_problems(user=self.user, password=password):
                self.add_error("new_password2", problem)
        return data


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    user_service = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user_service": self.user_service}

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def render_to_response(self, context, **kwargs):
        # A used, expired or altered link is refused, and says so to machines too.
        if not self.validlink:
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)


@inject
def password_reset_confirm(request, uidb64: str, token: str, user_service: UserService = USER_SERVICE):
    view = PasswordResetConfirmView.as_view(user_service=user_service)
    return view(request, uidb64=uidb64, token=token)


password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


def _too_many(request, template: str, context: dict, error: MailThrottled):
    response = render(request, template, {**context, "throttled": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response
