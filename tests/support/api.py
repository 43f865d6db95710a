"""Fixtures for the JSON API: a token of chosen scopes, and a client that sends it."""

import json

import pytest
from django.test import Client


class ApiClient:
    """Django's test client speaking JSON to /api/v1/ with a bearer token (or none)."""

    def __init__(self, token: str | None = None, **defaults):
        self.client = Client(**defaults)
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        sent = dict(headers or {})
        if self.token:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return sent

    def get(self, path: str, params: dict | None = None, headers: dict | None = None):
        return self.client.get("/api/v1" + path, params or {}, headers=self._headers(headers))

    def send(self, method: str, path: str, payload=None, *, key: str | None = None, headers: dict | None = None):
        sent = self._headers(headers)
        if key is not None:
            sent["Idempotency-Key"] = key
        call = getattr(self.client, method.lower())
        data = json.dumps(payload) if payload is not None else ""
        return call("/api/v1" + path, data=data, content_type="application/json", headers=sent)

    def post(self, path: str, payload=None, **kwargs):
        return self.send("POST", path, payload, **kwargs)


@pytest.fixture
def api_token(container):
    """``api_token(user, "orders:read", ...)``: a new token's secret for ``user``."""

    def make(user, *scopes: str, name: str = "test") -> str:
        issued = container.api.api_service().create_token(user_id=user.pk, name=name, scopes=list(scopes))
        return issued.secret

    return make


@pytest.fixture
def api_client(api_token):
    """``api_client(user, *scopes)``: an ApiClient with a fresh token; ``api_client()``: anonymous."""

    def make(user=None, *scopes: str) -> ApiClient:
        return ApiClient(api_token(user, *scopes) if user is not None else None)

    return make
