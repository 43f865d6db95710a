"""Parsing only: lengths and presence. The rules live in ``UserService``."""

import copy

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from services.user_service import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX, USERNAME_MAX

CODE_MAX = 32


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX, strip=True, label=_("Username"))
    email = forms.EmailField(max_length=EMAIL_MAX, label=_("E-mail"))
    password = forms.CharField(max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("Password"))
    password_again = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("Password (again)")
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class LoginForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX, strip=True, label=_("Username"))
    password = forms.CharField(max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("Password"))


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=DISPLAY_NAME_MAX, required=False, label=_("Display name"))
    bio = forms.CharField(max_length=BIO_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4}), label=_("Bio"))


class EmailChangeForm(forms.Form):
    email = forms.EmailField(max_length=EMAIL_MAX, label=_("New e-mail address"))


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=CODE_MAX,
        label=_("Code"),
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class ReauthForm(forms.Form):
    password = forms.CharField(max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("Password"))

    def __init__(self, *args, with_code: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_code:
            self.fields["code"] = copy.deepcopy(CodeForm.base_fields["code"])


class VerifiedPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending only to addresses their owner confirmed (a link they opened):
    an address typed wrong at sign-up must not let its real owner take the account."""

    mailer = None  # the view's: queues the message (UserService.queue_mail) instead of sending it here

    def get_users(self, email):
        return (user for user in super().get_users(email) if user.email_verified)

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        self.mailer(to=to_email, subject=subject, body=loader.render_to_string(email_template_name, context))


class PasswordForm(forms.Form):
    old_password = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("Current password")
    )
    new_password = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("New password")
    )
    new_password_again = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label=_("New password (again)")
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two passwords differ."))
        return data
