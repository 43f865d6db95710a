"""Recent re-authentication (marketplace/accounts/reauth.py) before sensitive changes."""

import pyotp
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from marketplace.accounts.reauth import RECENT_AUTH_SECONDS, SESSION_KEY
from tests.support.staff import enrol_totp, totp_secret

pytestmark = pytest.mark.django_db

PASSWORD = reverse("accounts:password")
REAUTH = reverse("accounts:reauth")
GOOD = "a sturdy passphrase"
FRESH = {"old_password": GOOD, "new_password": "fresh passphrase", "new_password_again": "fresh passphrase"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # a session older than its last password entry, as after a while
    return client


def test_a_password_change_needs_the_password_again_first(make_user):
    client = signed_in(make_user("frank"))
    sent = client.get(PASSWORD)
    assert sent.status_code == 302 and sent["Location"] == f"{REAUTH}?next=%2Faccounts%2Fpassword%2F"
    assert client.post(PASSWORD, FRESH).status_code == 302  # refused: sent to confirm, nothing changed
    assert Client().post(reverse("accounts:login"), {"username": "frank", "password": GOOD}).status_code == 302

    wrong = client.post(sent["Location"], {"password": "not it"})
    assert wrong.status_code == 400 and "Wrong password" in wrong.content.decode()
    right = client.post(sent["Location"], {"password": GOOD})
    assert right.status_code == 302 and right["Location"] == PASSWORD
    assert client.get(PASSWORD).status_code == 200
    assert client.post(PASSWORD, FRESH).status_code == 302


def test_it_lasts_a_few_minutes(make_user):
    client = signed_in(make_user("frank"))
    client.post(REAUTH, {"password": GOOD})
    assert client.get(PASSWORD).status_code == 200
    session = client.session
    session[SESSION_KEY] -= RECENT_AUTH_SECONDS + 1
    session.save()
    assert client.get(PASSWORD)["Location"].startswith(REAUTH)


def test_with_an_authenticator_it_asks_a_code_too(make_user):
    user = make_user("frank")
    secret = totp_secret(enrol_totp(user))
    client = signed_in(user)
    page = client.get(REAUTH)
    assert 'name="code"' in page.content.decode()
    without = client.post(REAUTH, {"password": GOOD})
    assert without.status_code == 400 and client.get(PASSWORD).status_code == 302
    done = client.post(REAUTH, {"password": GOOD, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and client.get(PASSWORD).status_code == 200


def test_wrong_passwords_here_are_throttled_like_any_sign_in(make_user):
    client = signed_in(make_user("frank"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(REAUTH, {"password": "guess"}).status_code == 400
    locked = client.post(REAUTH, {"password": "guess"})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert client.post(REAUTH, {"password": GOOD}).status_code == 429
    assert client.get(PASSWORD).status_code == 302


def test_it_goes_back_to_this_site_only(make_user):
    client = signed_in(make_user("frank"))
    response = client.post(f"{REAUTH}?next=https://evil.example/", {"password": GOOD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")


def test_a_late_post_goes_back_to_the_page_of_its_form(make_user):
    client = signed_in(make_user("frank"))
    response = client.post(reverse("accounts:recovery_codes"), HTTP_REFERER="http://testserver/accounts/profile/")
    assert response["Location"] == f"{REAUTH}?next=http%3A%2F%2Ftestserver%2Faccounts%2Fprofile%2F"
    foreign = client.post(reverse("accounts:recovery_codes"), HTTP_REFERER="https://evil.example/")
    assert foreign["Location"] == f"{REAUTH}?next=%2Faccounts%2Ftwo-factor%2Frecovery-codes%2F"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_withdrawal_needs_the_password_again_first(make_user):
    client = signed_in(make_user("frank"))
    withdraw = reverse("wallets:withdraw")
    sent = client.get(withdraw)
    assert sent.status_code == 302 and sent["Location"] == f"{REAUTH}?next=%2Fwallets%2Fwithdraw%2F"
    assert client.post(sent["Location"], {"password": GOOD})["Location"] == withdraw
    assert client.get(withdraw).status_code == 200
