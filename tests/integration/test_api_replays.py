"""POSTs that move money and take an optional Idempotency-Key (confirm, decline, cancel): the same
key again gets the first answer, refusals included; another request with the key is refused."""

import pytest

from marketplace.api.models import ReplayableRequest
from tests.support.orders import order_row

pytestmark = pytest.mark.django_db


def test_confirming_again_with_the_key_answers_the_first_answer(market, order_in, api_client, container):
    ref = order_in("shipped")
    buyer = api_client(market.buyer, "orders:write", "wallet:read")
    before = buyer.get("/wallet").json()

    first = buyer.post(f"/orders/{ref}/confirm", key="confirm-1")
    assert first.status_code == 200, first.content
    assert first["Idempotent-Replayed"] == "false"
    assert first.json()["state"] == "completed"
    again = buyer.post(f"/orders/{ref}/confirm", key="confirm-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content

    # without a key, the second confirmation is what it is: refused, the order being completed
    refused = buyer.post(f"/orders/{ref}/confirm")
    assert refused.status_code == 409
    assert buyer.get("/wallet").json() == before  # a buyer's balance does not move on release
    assert order_row(ref).state == "completed"


def test_a_refusal_is_kept_too(market, order_in, api_client):
    ref = order_in("funded")
    buyer = api_client(market.buyer, "orders:write")
    refused = buyer.post(f"/orders/{ref}/confirm", key="early")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "illegal_transition"
    again = buyer.post(f"/orders/{ref}/confirm", key="early")
    assert again.status_code == 409 and again.content == refused.content
    assert again["Idempotent-Replayed"] == "true"


def test_the_key_with_another_request_is_refused_and_nothing_moves(market, order_in, api_client):
    shipped, funded = order_in("shipped"), order_in("funded")
    buyer = api_client(market.buyer, "orders:write")
    assert buyer.post(f"/orders/{funded}/cancel", {"reason": "changed my mind"}, key="k").status_code == 200
    reused = buyer.post(f"/orders/{shipped}/confirm", key="k")
    assert reused.status_code == 409
    assert reused.json()["error"] == {
        "code": "key_reused",
        "message": "This idempotency key was used for another request.",
        "field": "Idempotency-Key",
        "fields": {"Idempotency-Key": ["This idempotency key was used for another request."]},
    }
    assert order_row(shipped).state == "shipped"


def test_keys_are_the_callers_own(market, order_in, api_client, make_user, make_vendor):
    ref = order_in("funded")
    vendor = api_client(market.vendor, "vendor:write")
    declined = vendor.post(f"/vendor/orders/{ref}/decline", {"reason": "out of brass"}, key="shared")
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    # another user's identical key is another request, not a replay of the vendor's
    other = api_client(make_vendor("vic"), "vendor:write")
    assert other.post(f"/vendor/orders/{ref}/decline", {"reason": "x"}, key="shared").status_code == 404


def test_a_failure_on_our_side_frees_the_key(market, order_in, api_client, container):
    ref = order_in("shipped")
    buyer = api_client(market.buyer, "orders:write")
    service = container.orders.order_service

    class Broken:
        def confirm(self, **kwargs):
            raise RuntimeError("database went away")

    with service.override(Broken()):
        failed = buyer.post(f"/orders/{ref}/confirm", key="retry-me")
    assert failed.status_code == 500
    assert not ReplayableRequest.objects.filter(key="retry-me").exists()
    assert buyer.post(f"/orders/{ref}/confirm", key="retry-me").status_code == 200


def test_the_optional_key_is_in_the_description(api_client):
    paths = api_client().get("/openapi.json").json()["paths"]
    parameters = paths["/api/v1/orders/{reference}/confirm"]["post"]["parameters"]
    header = next(p for p in parameters if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and not header.get("required", False)
