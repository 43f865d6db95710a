"""The wallet over the JSON API: balance, history, deposit address, and withdrawals under the
withdraw page's rules (the password again for a session, the authenticator's code for a token
whose owner has one), each once per Idempotency-Key and user."""

import time
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.wallets.models import Withdrawal
from tests.support.accounts import signed_in_recently
from tests.support.staff import enrol_totp, totp_secret

pytestmark = pytest.mark.django_db

OUTSIDE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
FEE = 2_000  # settings: MARKETPLACE_WITHDRAWAL_FEE_SAT
FUNDED = 1_500_000


@pytest.fixture
def alice(make_user, fund):
    user = make_user("alice")
    fund(user, FUNDED)
    return user


def available(client) -> int:
    return client.get("/wallet").json()["available_sat"]


def withdraw(client, key: str, amount_sat: int = 100_000, **extra):
    return client.post("/wallet/withdrawals", {"address": OUTSIDE, "amount_sat": amount_sat, **extra}, key=key)


def code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def wait_out_throttle():
    TOTPDevice.objects.update(throttling_failure_timestamp=timezone.now() - timedelta(hours=1))


def session_client(user, *, recent: bool) -> Client:
    client = Client()
    client.force_login(user)
    return signed_in_recently(client) if recent else client


def session_withdraw(client: Client, key: str, amount_sat: int = 100_000):
    return client.post(
        "/api/v1/wallet/withdrawals",
        {"address": OUTSIDE, "amount_sat": amount_sat},
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


# reads
def test_balance_and_history_after_a_funded_deposit(api_client, alice):
    api = api_client(alice, "wallet:read")
    wallet = api.get("/wallet")
    assert wallet.status_code == 200, wallet.content
    body = wallet.json()
    assert body["available_sat"] == FUNDED and body["available_btc"] == "0.01500000"
    assert body["pending_withdrawal_sat"] == 0 and body["pending_withdrawal_btc"] == "0.00000000"
    assert body["pending_deposits"] == []
    assert body["network"] == "regtest" and body["withdrawal_fee_sat"] == FEE
    assert body["withdrawal_min_sat"] == 10_000 and body["withdrawal_min_btc"] == "0.00010000"

    history = api.get("/wallet/history").json()
    assert history["count"] == 1 and history["page"] == 1 and history["pages"] == 1
    assert history["next_page"] is None and history["previous_page"] is None
    (line,) = history["items"]
    assert line["kind"] == "deposit" and line["amount_sat"] == FUNDED and line["amount_btc"] == "0.01500000"
    assert line["account"] == "user"
    assert api.get("/wallet/history", {"page": 99}).json()["page"] == 1  # past the end: the last page
    assert api.get("/wallet/history", {"page": 0}).json()["page"] == 1
    refused = api.get("/wallet/history", {"page": "two"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "page"


def test_a_new_user_has_an_empty_wallet(api_client, make_user):
    api = api_client(make_user(), "wallet:read")
    assert api.get("/wallet").json()["available_sat"] == 0
    assert api.get("/wallet/history").json()["items"] == []
    assert api.get("/wallet/withdrawals").json() == []


def test_deposit_address_is_the_pages_with_its_uri(api_client, alice, wallet_service):
    api = api_client(alice, "wallet:read")
    response = api.get("/wallet/deposit-address")
    assert response.status_code == 200
    body = response.json()
    assert body["address"] == wallet_service.current_deposit_address(user_id=alice.pk).address
    assert body["address"].startswith("bcrt1q") and body["uri"] == f"bitcoin:{body['address']}"
    assert body["network"] == "regtest" and body["confirmations"] == wallet_service.deposit_confirmations
    assert api.get("/wallet/deposit-address").json() == body  # the same until it is paid


# withdrawals
def test_a_withdrawal_is_201_and_its_replay_is_the_same_answer_moving_money_once(api_client, alice):
    api = api_client(alice, "wallet:read", "wallet:withdraw")
    first = withdraw(api, "order-77")
    assert first.status_code == 201, first.content
    assert first["Idempotent-Replayed"] == "false"
    body = first.json()
    assert body["amount_sat"] == 100_000 and body["fee_sat"] == FEE and body["total_sat"] == 102_000
    assert body["amount_btc"] == "0.00100000" and body["status"] == "pending" and body["address"] == OUTSIDE

    again = withdraw(api, "order-77")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Withdrawal.objects.count() == 1
    wallet = api.get("/wallet").json()
    assert wallet["available_sat"] == FUNDED - 102_000 and wallet["pending_withdrawal_sat"] == 102_000

    listed = api.get("/wallet/withdrawals").json()
    assert [w["id"] for w in listed] == [body["id"]]
    assert api.get(f"/wallet/withdrawals/{body['id']}").json() == body
    kinds = [line["kind"] for line in api.get("/wallet/history").json()["items"]]
    assert kinds.count("withdrawal_request") == 2  # the two postings of the one entry

    other = withdraw(api, "order-77", amount_sat=200_000)  # the key again, with other details
    assert other.status_code in (400, 409, 422)
    assert Withdrawal.objects.count() == 1 and available(api) == FUNDED - 102_000


def test_two_users_with_the_same_key_each_get_their_own_withdrawal(api_client, alice, make_user, fund):
    bob = make_user("bob")
    fund(bob, FUNDED)
    mine = withdraw(api_client(alice, "wallet:withdraw"), "same-key")
    theirs = withdraw(api_client(bob, "wallet:withdraw"), "same-key", amount_sat=50_000)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert theirs["Idempotent-Replayed"] == "false" and theirs.json()["amount_sat"] == 50_000
    assert set(Withdrawal.objects.values_list("user_id", "amount_sat")) == {(alice.pk, 100_000), (bob.pk, 50_000)}


def test_the_key_is_required_and_checked(api_client, alice):
    api = api_client(alice, "wallet:withdraw")
    missing = api.post("/wallet/withdrawals", {"address": OUTSIDE, "amount_sat": 100_000})
    assert missing.status_code == 422 and missing.json()["error"]["field"].endswith("Idempotency-Key")
    too_long = withdraw(api, "k" * 65)
    assert too_long.status_code == 422
    assert not Withdrawal.objects.exists()


def test_below_the_minimum_is_refused_with_the_field(api_client, alice):
    api = api_client(alice, "wallet:read", "wallet:withdraw")
    response = withdraw(api, "small", amount_sat=5_000)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "withdrawal_error" and error["field"] == "amount_sat"
    assert "0.00010000" in error["message"] and "amount_sat" in error["fields"]
    bad_type = withdraw(api, "typed", amount_sat="lots")
    assert bad_type.status_code == 422 and bad_type.json()["error"]["field"] == "amount_sat"
    bad_address = api.post("/wallet/withdrawals", {"address": "hello", "amount_sat": 100_000}, key="addr")
    assert bad_address.status_code == 422 and bad_address.json()["error"]["field"] == "address"
    assert not Withdrawal.objects.exists() and available(api) == FUNDED


def test_insufficient_funds_are_refused_and_nothing_moves(api_client, alice):
    api = api_client(alice, "wallet:read", "wallet:withdraw")
    response = withdraw(api, "too-much", amount_sat=FUNDED)  # the fee does not fit
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "insufficient_funds" and error["field"] == "amount_sat"
    assert not Withdrawal.objects.exists()
    wallet = api.get("/wallet").json()
    assert wallet["available_sat"] == FUNDED and wallet["pending_withdrawal_sat"] == 0


def test_a_token_of_an_account_with_two_factor_needs_a_current_code(api_client, alice):
    secret = totp_secret(enrol_totp(alice))
    api = api_client(alice, "wallet:read", "wallet:withdraw")

    missing = withdraw(api, "2fa-1")
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "second_factor_required"
    assert missing.json()["error"]["field"] == "code"
    recovery = withdraw(api, "2fa-1", code="abcd2345")  # recovery codes are not for scripts
    assert recovery.status_code == 403 and recovery.json()["error"]["code"] == "second_factor_rejected"
    assert not Withdrawal.objects.exists() and available(api) == FUNDED

    good = code(secret)
    accepted = withdraw(api, "2fa-1", code=good)
    assert accepted.status_code == 201, accepted.content

    replayed_code = withdraw(api, "2fa-2", code=good)  # a code works once
    assert replayed_code.status_code == 403
    assert replayed_code.json()["error"]["code"] == "second_factor_rejected"
    assert "used already" in replayed_code.json()["error"]["message"]
    assert Withdrawal.objects.count() == 1

    # A retry of the first request (same key) with the next code: the same answer, nothing moved.
    wait_out_throttle()
    retried = withdraw(api, "2fa-1", code=code(secret, steps_ahead=1))
    assert retried.status_code == 201 and retried.content == accepted.content
    assert retried["Idempotent-Replayed"] == "true"
    assert Withdrawal.objects.count() == 1 and available(api) == FUNDED - 102_000


def test_a_wrong_code_moves_nothing(api_client, alice):
    secret = totp_secret(enrol_totp(alice))
    api = api_client(alice, "wallet:read", "wallet:withdraw")
    near = {code(secret, k) for k in range(-2, 3)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in near)
    response = withdraw(api, "wrong", code=wrong)
    assert response.status_code == 403 and response.json()["error"]["code"] == "second_factor_rejected"
    assert not Withdrawal.objects.exists() and available(api) == FUNDED


def test_a_token_without_two_factor_needs_no_code(api_client, alice):
    assert withdraw(api_client(alice, "wallet:withdraw"), "plain").status_code == 201


def test_the_sites_session_needs_the_password_again_lately(alice):
    stale = session_client(alice, recent=False)
    refused = session_withdraw(stale, "web-1")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "recent_auth_required"
    assert "/accounts/confirm/" in refused.json()["error"]["message"]
    assert not Withdrawal.objects.exists()

    fresh = session_client(alice, recent=True)
    accepted = session_withdraw(fresh, "web-1")
    assert accepted.status_code == 201, accepted.content
    assert session_withdraw(fresh, "web-1").content == accepted.content
    assert Withdrawal.objects.count() == 1


def test_cancel_own_withdrawal_and_not_anothers(api_client, alice, make_user):
    api = api_client(alice, "wallet:read", "wallet:withdraw")
    made = withdraw(api, "to-cancel").json()
    mallory = api_client(make_user("mallory"), "wallet:read", "wallet:withdraw")
    assert mallory.get(f"/wallet/withdrawals/{made['id']}").status_code == 404
    stolen = mallory.post(f"/wallet/withdrawals/{made['id']}/cancel")
    assert stolen.status_code == 404 and stolen.json()["error"]["code"] == "not_found"
    assert mallory.get("/wallet/withdrawals").json() == []
    assert Withdrawal.objects.get().status == "pending"

    cancelled = api.post(f"/wallet/withdrawals/{made['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["id"] == made["id"]
    assert api.post(f"/wallet/withdrawals/{made['id']}/cancel").status_code == 200  # twice is harmless
    assert available(api) == FUNDED
    assert api.get("/wallet/withdrawals/999999").status_code == 404
    assert api.get("/wallet/withdrawals/99999999999999999999999").status_code == 404
    assert api.post("/wallet/withdrawals/99999999999999999999999/cancel").status_code == 404


def test_scopes_and_anonymous_callers(api_client, alice):
    reader = api_client(alice, "wallet:read")
    refused = withdraw(reader, "scope")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    withdrawer = api_client(alice, "wallet:withdraw")
    assert withdrawer.get("/wallet").json()["error"]["code"] == "insufficient_scope"
    catalog = api_client(alice, "catalog:read")
    assert catalog.get("/wallet/deposit-address").status_code == 403
    assert not Withdrawal.objects.exists()

    anonymous = api_client()
    for path in ("/wallet", "/wallet/history", "/wallet/deposit-address", "/wallet/withdrawals"):
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert withdraw(anonymous, "anon").status_code == 401


def test_the_openapi_description_lists_the_wallet(api_client):
    paths = api_client().get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/wallet",
        "/api/v1/wallet/history",
        "/api/v1/wallet/deposit-address",
        "/api/v1/wallet/withdrawals",
        "/api/v1/wallet/withdrawals/{withdrawal_id}",
        "/api/v1/wallet/withdrawals/{withdrawal_id}/cancel",
    ):
        assert path in paths, path
    post = paths["/api/v1/wallet/withdrawals"]["post"]
    assert "201" in post["responses"] and "403" in post["responses"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in post["parameters"])
