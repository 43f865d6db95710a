"""Two-factor sign-in (django-otp): enrolment with a QR code, the code step after the password,
wrong, replayed and throttled codes, recovery codes, and staff who must have it everywhere."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.staff import enrol_totp, totp_secret

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
LOGIN_CODE = reverse("accounts:login_code")
PROFILE = reverse("accounts:profile")
TWO_FACTOR = reverse("accounts:two_factor")
OPS = reverse("ops:index")
GOOD = "a sturdy passphrase"


def code(secret: str, steps_ahead: int = 0) -> str:
    """The authenticator's code ``steps_ahead`` 30-second steps from now (the server accepts one ahead)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def wrong_code(secret: str) -> str:
    """Six digits no step near now would show."""
    near = {code(secret, k) for k in range(-2, 3)}
    return next(c for c in ("000000", "111111", "222222") if c not in near)


def wait_out_throttle():
    """django-otp slows down guessing per device (1, 2, 4 ... s): let that time pass."""
    past = timezone.now() - timedelta(hours=1)
    TOTPDevice.objects.update(throttling_failure_timestamp=past)


def enrol(client) -> tuple[str, str, list[str]]:
    """Through the pages: the secret shown, the code that confirmed it, the recovery codes shown once."""
    page = client.get(TWO_FACTOR)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    first = code(secret)
    done = client.post(TWO_FACTOR, {"code": first})
    assert done.status_code == 200, done.content
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    return secret, first, codes


def password_step(client, username):
    return client.post(LOGIN, {"username": username, "password": GOOD})


def test_enrolment_shows_a_qr_code_and_the_secret_and_needs_a_right_code(client, make_user):
    user = make_user("alice")
    client.force_login(user)
    profile = client.get(PROFILE).content.decode()
    assert "Turn on two-factor sign-in" in profile
    page = client.get(TWO_FACTOR)
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and 'role="img"' in html
    assert "style=" not in html and "<script" not in html  # fit for a strict Content-Security-Policy
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert f'id="totp-secret">{secret}<' in client.get(TWO_FACTOR).content.decode()  # the same until confirmed

    wrong = client.post(TWO_FACTOR, {"code": wrong_code(secret)})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    wait_out_throttle()
    done = client.post(TWO_FACTOR, {"code": code(secret)})
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert done.status_code == 200 and len(codes) == 10 and "shown only this once" in done.content.decode()
    assert TOTPDevice.objects.get(user=user).confirmed
    assert StaticToken.objects.filter(device__user=user).count() == 10
    profile = client.get(PROFILE).content.decode()
    assert "10 recovery codes left" in profile and not any(c in profile for c in codes)  # shown once only
    assert client.get(TWO_FACTOR)["Location"] == PROFILE  # this session is verified now


def test_sign_in_with_a_device_asks_the_code_before_signing_in(client, make_user):
    make_user("alice")
    client.post(LOGIN, {"username": "alice", "password": GOOD})
    secret, first, _ = enrol(client)
    client.post(reverse("accounts:logout"))

    fresh = Client()
    step = fresh.post(LOGIN + "?next=/accounts/password/", {"username": "alice", "password": GOOD})
    assert step.status_code == 302 and step["Location"] == LOGIN_CODE
    assert fresh.get(PROFILE).status_code == 302  # not signed in yet
    page = fresh.get(LOGIN_CODE)
    assert page.status_code == 200 and "authenticator" in page.content.decode()

    replayed = fresh.post(LOGIN_CODE, {"code": first})  # the code the enrolment used
    assert replayed.status_code == 400 and "used already" in replayed.content.decode()
    assert fresh.get(PROFILE).status_code == 302
    wait_out_throttle()
    wrong = fresh.post(LOGIN_CODE, {"code": wrong_code(secret)})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    throttled = fresh.post(LOGIN_CODE, {"code": code(secret, 1)})  # right, but straight after wrong ones
    assert throttled.status_code == 400 and "Too many wrong codes" in throttled.content.decode()

    wait_out_throttle()
    done = fresh.post(LOGIN_CODE, {"code": code(secret, 1)})
    assert done.status_code == 302 and done["Location"] == "/accounts/password/"
    assert fresh.get(PROFILE).status_code == 200
    # Signed in with both factors: the password page does not ask for them again at once.
    assert fresh.get("/accounts/password/").status_code == 200


def test_the_code_step_expires_and_cannot_be_reached_without_the_password(client, make_user):
    user = make_user("alice")
    secret = totp_secret(enrol_totp(user))
    assert client.get(LOGIN_CODE)["Location"] == LOGIN
    password_step(client, "alice")
    session = client.session
    session["accounts_sign_in_pending"]["at"] -= 6 * 60
    session.save()
    late = client.post(LOGIN_CODE, {"code": code(secret)})
    assert late.status_code == 302 and late["Location"] == LOGIN
    assert client.get(PROFILE).status_code == 302


def test_a_recovery_code_works_once(make_user):
    alice = make_user("alice")
    first = Client()
    first.force_login(alice)
    _, _, codes = enrol(first)

    one = Client()
    password_step(one, "alice")
    done = one.post(LOGIN_CODE, {"code": codes[0].upper()})
    assert done.status_code == 302 and one.get(PROFILE).status_code == 200
    assert StaticToken.objects.filter(device__user=alice).count() == 9

    again = Client()
    password_step(again, "alice")
    refused = again.post(LOGIN_CODE, {"code": codes[0]})
    assert refused.status_code == 400 and "not right, or was used already" in refused.content.decode()
    assert again.get(PROFILE).status_code == 302


def test_new_recovery_codes_replace_the_old_and_need_a_recent_password(client, make_user):
    user = make_user("alice")
    client.force_login(user)
    secret, _, old = enrol(client)
    asked = client.post(reverse("accounts:recovery_codes"), HTTP_REFERER="http://testserver" + PROFILE)
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("accounts:reauth"))
    confirm = client.get(asked["Location"])
    assert 'name="code"' in confirm.content.decode()  # with an authenticator, its code too
    back = client.post(asked["Location"], {"password": GOOD, "code": code(secret, 1)})
    assert back.status_code == 302 and back["Location"] == "http://testserver" + PROFILE
    made = client.post(reverse("accounts:recovery_codes"))
    new = re.findall(r"<li>([a-z2-7]{8})</li>", made.content.decode())
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == set(new)


def test_staff_without_a_device_are_sent_to_enrol_from_a_staff_page(make_staff):
    staff = make_staff("operator")
    client = Client()
    client.force_login(staff)
    sent = client.get(OPS)
    assert sent.status_code == 302 and sent["Location"] == f"{TWO_FACTOR}?next=%2Fops%2F"
    setup = client.get(sent["Location"])
    assert "Staff members sign in with a second factor" in setup.content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', setup.content.decode()).group(1)
    done = client.post(sent["Location"], {"code": code(secret), "next": OPS})
    assert done.status_code == 200 and f'href="{OPS}"' in done.content.decode()
    assert client.get(OPS).status_code == 200


def test_staff_without_a_device_are_sent_to_enrol_from_the_admin(make_staff):
    staff = make_staff("operator")
    client = Client()
    client.force_login(staff)
    first = client.get("/admin/")
    assert first.status_code == 302 and first["Location"].startswith(reverse("admin:login"))
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"] == f"{TWO_FACTOR}?next=%2Fadmin%2F"
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', client.get(second["Location"]).content.decode()).group(1)
    client.post(second["Location"], {"code": code(secret)})
    assert client.get("/admin/").status_code == 200


def test_staff_with_a_device_but_an_unverified_session_enter_a_code(make_staff):
    staff = make_staff("operator")
    secret = totp_secret(enrol_totp(staff))
    client = Client()
    client.force_login(staff)
    asked = client.get(client.get(OPS)["Location"])
    assert "Confirm with your authenticator" in asked.content.decode()
    wrong = client.post(f"{TWO_FACTOR}?next=/ops/", {"code": wrong_code(secret)})
    assert wrong.status_code == 400 and client.get(OPS).status_code == 302
    wait_out_throttle()
    done = client.post(f"{TWO_FACTOR}?next=/ops/", {"code": code(secret)})
    assert done.status_code == 302 and done["Location"] == OPS
    assert client.get(OPS).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_the_two_factor_page_goes_on_to_this_site_only(make_staff):
    staff = make_staff("operator")
    secret = totp_secret(enrol_totp(staff))
    client = Client()
    client.force_login(staff)
    done = client.post(f"{TWO_FACTOR}?next=https://evil.example/", {"code": code(secret)})
    assert done.status_code == 302 and done["Location"] == PROFILE


def test_staff_signing_in_without_a_device_set_one_up_first(make_staff):
    staff = make_staff("finance", username="fran")
    client = Client()
    response = client.post(LOGIN + "?next=/ops/", {"username": "fran", "password": staff.raw_password})
    assert response.status_code == 302 and response["Location"] == f"{TWO_FACTOR}?next=%2Fops%2F"


def test_staff_with_a_device_sign_in_on_the_admin_form_with_its_code(make_staff):
    staff = make_staff("operator", username="otto")
    device = enrol_totp(staff)
    client = Client()
    form = {"username": "otto", "password": staff.raw_password, "next": "/admin/"}
    wrong = {**form, "otp_device": device.persistent_id, "otp_token": wrong_code(totp_secret(device))}
    step = client.post(reverse("admin:login"), wrong)
    assert step.status_code == 200 and client.get("/admin/").status_code == 302
    wait_out_throttle()
    good = {**form, "otp_device": device.persistent_id, "otp_token": code(totp_secret(device))}
    assert client.post(reverse("admin:login"), good).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_cannot_turn_it_off_others_can(make_user, make_staff):
    staff = make_staff("support")
    enrol_totp(staff)
    alice = make_user("alice")
    enrol_totp(alice)
    for user, stays_on in ((staff, True), (alice, False)):
        client = Client()
        client.post(LOGIN, {"username": user.username, "password": GOOD})
        client.post(LOGIN_CODE, {"code": code(totp_secret(TOTPDevice.objects.get(user=user)))})
        response = client.post(reverse("accounts:two_factor_off"))
        assert response.status_code == 302
        assert TOTPDevice.objects.filter(user=user).exists() is stays_on


@pytest.mark.parametrize("bad", ["", "x" * 10_000, "１２３４５６", "12\x0034", "<script>", "-" * 8, "9" * 16, "9" * 17])
def test_odd_codes_are_form_errors_never_a_crash(make_user, bad):
    user = make_user("alice")
    enrol_totp(user)
    client = Client()
    password_step(client, "alice")
    response = client.post(LOGIN_CODE, {"code": bad})
    assert response.status_code == 400 and client.get(PROFILE).status_code == 302
    wait_out_throttle()
    setup = Client()
    setup.force_login(make_user("bob"))
    assert setup.post(TWO_FACTOR, {"code": bad}).status_code == 400


@pytest.mark.parametrize("token", ["x", "a" * 5000, "%00", "..", "e30:1:abc"])
def test_odd_verification_links_are_refused_never_a_crash(client, token):
    response = client.post(f"/accounts/email/verify/{token}/")
    assert response.status_code in (400, 404)
