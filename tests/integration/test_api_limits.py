"""The API's limits: one error shape for every refusal, rate limits with Retry-After, a body
size limit, and JSON answers for routes that do not exist."""

import pytest
from django.core.cache import cache

from marketplace.api import throttles
from tests.support.api import ApiClient

pytestmark = pytest.mark.django_db


def _shape(response) -> dict:
    payload = response.json()
    assert set(payload) == {"error"}
    assert set(payload["error"]) == {"code", "message", "field", "fields"}
    assert payload["error"]["message"]
    return payload["error"]


@pytest.fixture
def tight_limits(settings):
    """Limits small enough to reach in a test; each test starts with empty windows."""
    cache.clear()
    settings.MARKETPLACE_API = {"address_rate": "5/h", "caller_rate": "3/h"}
    yield
    cache.clear()


def test_a_token_over_its_rate_gets_429_with_retry_after(tight_limits, make_user, api_token):
    token = api_token(make_user(), "catalog:read")
    client = ApiClient(token, REMOTE_ADDR="198.51.100.1")
    answers = [client.get("/products").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/products")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert _shape(refused)["code"] == "throttled"
    # another token of the same owner has its own window
    other = ApiClient(api_token(make_user(), "catalog:read"), REMOTE_ADDR="198.51.100.2")
    assert other.get("/products").status_code == 200


def test_an_address_over_its_rate_gets_429_whoever_it_is(tight_limits):
    client = ApiClient(None, REMOTE_ADDR="198.51.100.7")
    answers = [client.get("/products").status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert ApiClient(None, REMOTE_ADDR="198.51.100.8").get("/products").status_code == 200


def test_the_address_is_the_trusted_one_not_a_header_the_client_writes(tight_limits):
    client = ApiClient(None, REMOTE_ADDR="198.51.100.9")
    answers = [client.get("/products", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(6)]
    assert answers[-1] == 429


def test_a_body_over_the_limit_is_refused_with_413(make_user, make_vendor, api_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    vendor = make_vendor("vera")
    client = ApiClient(api_token(vendor, "vendor:write"))
    response = client.post("/vendor/products", {"title": "x" * 20_000, "price_sat": 1, "stock": 1, "category_id": 1})
    assert response.status_code == 413
    assert _shape(response)["code"] == "too_large"


def test_bad_input_gets_422_naming_the_field(api_client):
    response = api_client().get("/products", {"page": "two"})
    assert response.status_code == 422
    error = _shape(response)
    assert error["code"] == "invalid" and error["field"] == "page"


def test_malformed_json_is_refused_not_a_500(make_vendor, api_token):
    vendor = make_vendor("vera")
    client = ApiClient(api_token(vendor, "vendor:write"))
    response = client.client.post(
        "/api/v1/vendor/products",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code in (400, 422)
    _shape(response)


def test_routes_that_do_not_exist_answer_in_the_shape(api_client):
    response = api_client().get("/no/such/thing")
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_wrong_methods_are_405(api_client):
    response = api_client().send("DELETE", "/products")
    assert response.status_code == 405


def test_the_description_and_the_docs_are_served(api_client):
    schema = api_client().get("/openapi.json")
    assert schema.status_code == 200
    description = schema.json()
    assert description["openapi"].startswith("3.")
    assert {"Token", "Session"} <= set(description["components"]["securitySchemes"])
    docs = api_client().get("/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_rates_are_read_as_requests_per_period():
    assert throttles.parse_rate("600/m") == (600, 60)
    assert throttles.parse_rate("5/second") == (5, 1)
    assert throttles.parse_rate("1000/d") == (1000, 86400)
