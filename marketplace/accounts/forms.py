"""Parsing only: lengths and presence. The rules live in ``UserService``."""

from django import forms

from services.user_service import BIO_MAX, DISPLAY_NAME_MAX, EMAIL_MAX, PASSWORD_MAX, USERNAME_MAX


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX, strip=True)
    email = forms.EmailField(max_length=EMAIL_MAX, label="E-mail")
    password = forms.CharField(max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label="Password (again)"
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


class LoginForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX, strip=True)
    password = forms.CharField(max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput)


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=DISPLAY_NAME_MAX, required=False)
    email = forms.EmailField(max_length=EMAIL_MAX, label="E-mail")
    bio = forms.CharField(max_length=BIO_MAX, required=False, widget=forms.Textarea(attrs={"rows": 4}))


class PasswordForm(forms.Form):
    old_password = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label="Current password"
    )
    new_password = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label="New password"
    )
    new_password_again = forms.CharField(
        max_length=PASSWORD_MAX, strip=False, widget=forms.PasswordInput, label="New password (again)"
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords differ.")
        return data
