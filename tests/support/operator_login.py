"""The demo operator signing in over HTTP as staff do: password, then a code from an authenticator.

For tests and benchmarks that serve a copy of the project with its demo data (``load_demo_data``):
``ENROL`` (for ``manage.py shell -c``) gives the demo operator an authenticator on a known key, and
``sign_in_operator`` signs an ``HttpClient`` in with it, since staff pages want the second factor.
"""

import base64

import pyotp

USERNAME, PASSWORD = "operator", "demo-password-123"
# RFC 6238's test secret ("12345678901234567890"), in the hex django-otp stores.
TOTP_KEY = "3132333435363738393031323334353637383930"
ENROL = (
    "from django.contrib.auth import get_user_model; "
    "from django_otp.plugins.otp_totp.models import TOTPDevice; "
    f"TOTPDevice.objects.create(user=get_user_model().objects.get(username='{USERNAME}'), "
    f"name='authenticator', confirmed=True, key='{TOTP_KEY}')"
)


def sign_in_operator(client) -> None:
    """``client`` (``tests.support.http.HttpClient``) signed in as the demo operator, second factor done."""
    client.login(USERNAME, PASSWORD)  # the password: half-way signed in, the code page comes next
    code = pyotp.TOTP(base64.b32encode(bytes.fromhex(TOTP_KEY)).decode()).now()
    answer = client.post_form("/accounts/login/code/", {"code": code})
    if answer.status != 302:
        raise AssertionError(f"the operator's code was refused: {answer.status}")
