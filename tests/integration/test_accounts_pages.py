"""The accounts pages through Django's test client: every outcome, and never a 500."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

REGISTER = reverse("accounts:register")
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
HOME = reverse("home")
PASSWORD = reverse("accounts:password")
REAUTH = reverse("accounts:reauth")
GOOD = "a sturdy passphrase"


def register_form(**overrides):
    data = {"username": "alice", "email": "alice@example.com", "password": GOOD, "password_again": GOOD}
    data.update(overrides)
    return data


def test_register_signs_the_new_user_in(client):
    page = client.get(REGISTER)
    assert page.status_code == 200
    assert b"at least 10 characters" in page.content

    response = client.post(REGISTER, register_form())
    assert response.status_code == 302 and response["Location"] == HOME  # no next: the home page
    profile = client.get(PROFILE)
    assert profile.status_code == 200
    assert b"alice@example.com" in profile.content


@pytest.mark.parametrize(
    "overrides, field_error",
    [
        ({"username": ""}, b"This field is required"),
        ({"username": "x" * 5000}, b"at most 150 characters"),
        ({"username": "bad name!"}, b"Enter a valid username"),
        ({"username": "emoji\U0001f600"}, b"Enter a valid username"),
        ({"email": "not-an-email"}, b"Enter a valid email address"),
        ({"email": "a" * 300 + "@example.com"}, b"at most 254 characters"),
        ({"password": "short", "password_again": "short"}, b"Use at least 10 characters"),
        ({"password": "1234567890123", "password_again": "1234567890123"}, b"entirely numeric"),
        ({"password_again": "something else"}, b"The two passwords differ"),
        ({"password": "p" * 10_000, "password_again": "p" * 10_000}, b"at most 128 characters"),
    ],
)
def test_register_bad_input_gets_a_form_error_and_creates_nothing(client, overrides, field_error):
    response = client.post(REGISTER, register_form(**overrides))
    assert response.status_code == 400
    assert field_error in response.content
    assert not get_user_model().objects.exists()


def test_register_a_taken_name_in_another_case(client, make_user):
    make_user("alice")
    response = client.post(REGISTER, register_form(username="ALICE", email="other@example.com"))
    assert response.status_code == 400
    assert b"That username is taken" in response.content
    assert get_user_model().objects.count() == 1


def test_register_accepts_unicode_letters(client):
    response = client.post(REGISTER, register_form(username="Zoë_Łukasz", email="zoe@example.com"))
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="Zoë_Łukasz").exists()


def test_login_and_logout(client, make_user):
    make_user("bob")
    response = client.post(LOGIN, {"username": "bob", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(PROFILE).status_code == 200
    assert client.get(LOGOUT).status_code == 405  # signing out changes state: POST only
    assert client.post(LOGOUT).status_code == 302
    assert client.get(PROFILE).status_code == 302


@pytest.mark.parametrize(
    "form",
    [
        {"username": "bob", "password": "wrong password"},
        {"username": "nobody", "password": GOOD},
        {"username": "", "password": ""},
        {"username": "b" * 10_000, "password": GOOD},
        {"username": "bob", "password": "p" * 10_000},
        {"username": "bøb\u202e", "password": GOOD},
    ],
)
def test_login_failures_are_form_errors(client, make_user, form):
    make_user("bob")
    response = client.post(LOGIN, form)
    assert response.status_code == 400
    assert client.get(PROFILE).status_code == 302


def test_login_wrong_password_says_so(client, make_user):
    make_user("bob")
    response = client.post(LOGIN, {"username": "bob", "password": "wrong password"})
    assert b"Wrong username or password" in response.content


def test_login_is_rate_limited(client, make_user, container):
    make_user("bob")
    limit = container.accounts.user_service().get_required_config()["login_max_attempts"]
    for _ in range(limit - 1):
        assert client.post(LOGIN, {"username": "bob", "password": "guess"}).status_code == 400
    assert client.post(LOGIN, {"username": "bob", "password": "guess"}).status_code == 429  # the limit-th locks
    blocked = client.post(LOGIN, {"username": "bob", "password": GOOD})
    assert blocked.status_code == 429
    assert b"Too many failed sign-in attempts" in blocked.content
    assert int(blocked["Retry-After"]) > 0
    assert client.get(PROFILE).status_code == 302


def test_login_next_never_leaves_the_site(client, make_user):
    make_user("bob")
    response = client.post(LOGIN + "?next=https://evil.example/", {"username": "bob", "password": GOOD})
    assert response["Location"] == HOME
    client.post(LOGOUT)
    response = client.post(LOGIN + "?next=/accounts/password/", {"username": "bob", "password": GOOD})
    assert response["Location"] == PASSWORD


def test_profile_needs_a_signed_in_user(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_profile_edit(client, make_user):
    user = make_user("carol")
    client.force_login(user)
    response = client.post(PROFILE, {"display_name": "Carol C.", "bio": "Books"})
    assert response.status_code == 302
    page = client.get(PROFILE)
    assert b"Carol C." in page.content and b"carol@example.com" in page.content


def test_the_profile_form_never_changes_the_address(client, make_user):
    user = make_user("carol")
    client.force_login(user)
    # An e-mail field smuggled into the profile form is ignored: addresses change by their link only.
    assert client.post(PROFILE, {"display_name": "C", "email": "carol@new.example", "bio": ""}).status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.email) == ("C", "carol@example.com")


@pytest.mark.parametrize(
    "form, message",
    [
        ({"display_name": "x" * 81, "bio": ""}, b"at most 80 characters"),
        ({"display_name": "", "bio": "b" * 2001}, b"at most 2000 characters"),
        ({"display_name": "ok", "bio": "b" * 2001}, b"at most 2000 characters"),
        ({"display_name": "x\x00y", "bio": ""}, b"Null characters are not allowed"),
    ],
)
def test_profile_bad_input_changes_nothing(client, make_user, form, message):
    make_user("dave", email="taken@example.com")
    user = make_user("carol")
    client.force_login(user)
    response = client.post(PROFILE, form)
    assert response.status_code == 400
    assert message in response.content
    user.refresh_from_db()
    assert (user.display_name, user.email, user.bio) == ("", "carol@example.com", "")


def test_profile_shows_markup_as_text(client, make_user):
    user = make_user("eve")
    client.force_login(user)
    client.post(PROFILE, {"display_name": "<script>alert(1)</script>", "bio": "<b>hi</b>"})
    page = client.get(PROFILE).content
    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_password_change_keeps_the_session(client, make_user):
    user = make_user("frank")
    client.force_login(user)
    assert client.post(REAUTH, {"password": GOOD}).status_code == 302  # a session without a recent password
    fresh = {"new_password": "fresh passphrase", "new_password_again": "fresh passphrase"}
    bad = client.post(PASSWORD, {"old_password": "wrong", **fresh})
    assert bad.status_code == 400 and b"current password is wrong" in bad.content
    good = client.post(PASSWORD, {"old_password": GOOD, **fresh})
    assert good.status_code == 302
    assert client.get(PROFILE).status_code == 200
    client.post(LOGOUT)
    assert client.post(LOGIN, {"username": "frank", "password": "fresh passphrase"}).status_code == 302


def test_posts_without_a_csrf_token_are_refused(make_user):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(REGISTER, register_form()).status_code == 403
    assert browser.post(LOGIN, {"username": "x", "password": "y"}).status_code == 403
    assert not get_user_model().objects.exists()


class FakeUserService:
    """Stands in for UserService in a view test; outside our walls it would be a remote API."""

    def __init__(self):
        self.calls = []

    def get_required_config(self):
        self.calls.append("get_required_config")
        return {"min_password_length": 42, "login_max_attempts": 1, "login_window_seconds": 1}


def test_a_view_gets_an_overridden_service_and_the_override_is_undone(client, container):
    fake = FakeUserService()
    with container.accounts.user_service.override(fake):
        page = client.get(REGISTER)
        assert b"at least 42 characters" in page.content
        assert fake.calls == ["get_required_config"]
    page = client.get(REGISTER)
    assert b"at least 42 characters" not in page.content
    assert b"at least 10 characters" in page.content
    assert fake.calls == ["get_required_config"]
