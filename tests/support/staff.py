"""Staff in tests: a user with roles, and a client signed in with a second factor as staff must be."""

import pyotp
import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice


def enrol_totp(user) -> TOTPDevice:
    """A confirmed TOTP device for ``user`` (codes: ``pyotp.TOTP(totp_secret(device)).now()``)."""
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_secret(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode()


def current_code(device: TOTPDevice) -> str:
    return pyotp.TOTP(totp_secret(device)).now()


def verified_client(user, client: Client | None = None) -> Client:
    """``client`` signed in as ``user`` with a verified second factor (enrolled here if needed)."""
    client = client or Client()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol_totp(user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client_for():
    """``staff_client_for(user)``: a test client signed in as that staff member, second factor done."""
    return verified_client


def browser_sign_in(page, user, url: str) -> None:
    """Sign ``page`` (Playwright) in as ``user`` with the second factor done, on the server at ``url``.

    The session is made as ``verified_client`` makes it, then handed to the browser: tests of
    staff pages start where the sign-in journey (tested on its own) ends."""
    from django.conf import settings

    session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
