"""Personal access tokens: made on the owner's page (after the password again), shown once,
kept as a digest, refused once revoked or expired, never more than their scopes."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client

from marketplace.api.models import ApiToken
from services.errors import InvalidToken, NotFound, TokenError
from tests.support.accounts import signed_in_recently
from tests.support.api import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(container, clock):
    return container.api.api_service()


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_asks_for_the_password_again_before_a_token_is_made(make_user):
    user = make_user()
    response = _page_client(user).post("/api/tokens/", {"name": "sync", "scopes": ["catalog:read"]})
    assert response.status_code == 302 and "/accounts/confirm/" in response["Location"]
    assert not ApiToken.objects.exists()


def test_a_token_is_shown_once_and_kept_as_a_digest(make_user):
    user = make_user()
    client = signed_in_recently(_page_client(user))
    response = client.post("/api/tokens/", {"name": "stock sync", "scopes": ["vendor:read", "vendor:write"]})
    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    secret = re.search(r'id="token-secret">(mkt_[\w-]+)<', response.content.decode()).group(1)
    row = ApiToken.objects.get()
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    assert row.scopes == ["vendor:read", "vendor:write"]

    again = client.get("/api/tokens/").content.decode()
    assert secret not in again and row.prefix in again and "stock sync" in again and "never" in again


def test_the_form_refuses_what_it_cannot_make(make_user):
    client = signed_in_recently(_page_client(make_user()))
    response = client.post("/api/tokens/", {"name": "", "scopes": []})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    response = client.post("/api/tokens/", {"name": "x", "scopes": ["root"]})
    assert response.status_code == 400


def test_revoke_through_the_page(make_user, tokens):
    user = make_user()
    issued = tokens.create_token(user_id=user.pk, name="phone", scopes=["catalog:read"])
    api = ApiClient(issued.secret, REMOTE_ADDR="203.0.113.9")
    assert api.get("/products").status_code == 200
    token = ApiToken.objects.get()
    assert token.last_used_at is not None and token.last_used_ip == "203.0.113.9"
    page = _page_client(user).get("/api/tokens/")
    assert page.status_code == 302  # the list too is behind the password again
    page = signed_in_recently(_page_client(user)).get("/api/tokens/").content.decode()
    assert "203.0.113.9" in page

    response = _page_client(user).post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    refused = api.get("/products")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_another_users_token_cannot_be_revoked(make_user, tokens):
    owner, other = make_user(), make_user()
    issued = tokens.create_token(user_id=owner.pk, name="phone", scopes=["catalog:read"])
    response = _page_client(other).post(f"/api/tokens/{issued.token.id}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    with pytest.raises(NotFound):
        tokens.revoke(user_id=other.pk, token_id=issued.token.id)


def test_expired_tokens_and_inactive_owners_are_refused(make_user, tokens, clock):
    user = make_user()
    issued = tokens.create_token(user_id=user.pk, name="short", scopes=["catalog:read"], expires_in_days=1)
    assert tokens.authenticate(secret=issued.secret).user_id == user.pk
    clock.advance(days=1, seconds=1)
    with pytest.raises(InvalidToken):
        tokens.authenticate(secret=issued.secret)
    assert tokens.tokens(user_id=user.pk) == []

    lasting = tokens.create_token(user_id=user.pk, name="long", scopes=["catalog:read"])
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(InvalidToken):
        tokens.authenticate(secret=lasting.secret)


@pytest.mark.parametrize("secret", ["", "mkt_", "mkt_" + "x" * 43, "Bearer", "x" * 500, "mkt_\x00"])
def test_anything_that_is_not_a_live_token_is_refused(tokens, secret):
    with pytest.raises(InvalidToken):
        tokens.authenticate(secret=secret)


def test_limits_on_making_tokens(make_user, tokens, marketplace_config):
    user = make_user()
    with pytest.raises(TokenError) as refused:
        tokens.create_token(user_id=user.pk, name="x", scopes=["catalog:read", "admin"])
    assert refused.value.field == "scopes"
    with pytest.raises(TokenError):
        tokens.create_token(user_id=user.pk, name="x" * 61, scopes=["catalog:read"])
    with pytest.raises(TokenError):
        tokens.create_token(user_id=user.pk, name="x", scopes=["catalog:read"], expires_in_days=10_000)
    for n in range(tokens.max_tokens):
        tokens.create_token(user_id=user.pk, name=f"t{n}", scopes=["catalog:read"])
    with pytest.raises(TokenError, match="revoke one"):
        tokens.create_token(user_id=user.pk, name="one more", scopes=["catalog:read"])
    assert ApiToken.objects.count() == tokens.max_tokens


def test_a_token_never_does_more_than_its_scopes(make_user, api_client):
    user = make_user()
    reader = api_client(user, "catalog:read")
    assert reader.get("/products").status_code == 200
    refused = reader.get("/vendor/products")
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "insufficient_scope",
            "message": "This token does not have the vendor:read scope.",
            "field": None,
            "fields": {},
        }
    }
    # a token without catalog:read is not let through as anonymous either
    assert api_client(user, "orders:read").get("/products").status_code == 403


def test_the_session_acts_for_its_user_with_csrf_on_unsafe_methods(make_user, make_vendor, categories):
    vendor = make_vendor("vera")
    client = Client(enforce_csrf_checks=True)
    client.force_login(vendor)
    assert client.get("/api/v1/vendor/products").status_code == 200
    payload = {"title": "Lamp", "description": "", "price_sat": 1000, "stock": 1, "category_id": categories["tools"]}
    refused = client.post("/api/v1/vendor/products", payload, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    client.get("/api/tokens/")  # any page sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    made = client.post(
        "/api/v1/vendor/products", payload, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert made.status_code == 201, made.content


def test_anonymous_callers_are_asked_to_authenticate(api_client):
    response = api_client().get("/vendor/products")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert api_client().get("/products").status_code == 200


def test_only_bearer_tokens_are_taken(make_user, api_token):
    secret = api_token(make_user(), "catalog:read")
    response = ApiClient(None).get("/products", headers={"Authorization": f"Basic {secret}"})
    assert response.status_code == 401


def test_last_use_is_written_at_most_once_a_minute(make_user, tokens, clock, django_assert_num_queries):
    issued = tokens.create_token(user_id=make_user().pk, name="busy", scopes=["catalog:read"])
    tokens.authenticate(secret=issued.secret, address="192.0.2.1")
    with django_assert_num_queries(1):
        tokens.authenticate(secret=issued.secret, address="192.0.2.1")
    clock.advance(seconds=61)
    with django_assert_num_queries(2):
        tokens.authenticate(secret=issued.secret, address="192.0.2.1")
    assert ApiToken.objects.get().last_used_at == clock.now()
    assert timedelta(0) <= clock.now() - ApiToken.objects.get().created_at
