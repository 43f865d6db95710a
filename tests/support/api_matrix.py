"""Every operation of the JSON API, filled with real objects, requested as every kind of caller.

``tests/integration/test_api_authorization_matrix.py`` holds what each caller must get; this
module lists the operations (from the live OpenAPI description, never a hand-kept list), sends
one request whose database effects are undone, and describes the answer in one token: its
status code.
"""

import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.test import Client

API = "/api/v1"
KEY_HEADER = "Idempotency-Key"

# One column per scope, in services/api_service.py's order (the test checks the two agree).
SCOPE_COLUMNS = (
    "catalog:read",
    "orders:read",
    "orders:write",
    "wallet:read",
    "wallet:withdraw",
    "vendor:read",
    "vendor:write",
)
CALLERS = ("anon", *SCOPE_COLUMNS, "all", "other")


@dataclass(frozen=True)
class Operation:
    method: str  # "GET", "POST", ...
    path: str  # as the OpenAPI description writes it, without /api/v1: "/orders/{reference}/cancel"
    path_params: tuple[str, ...]
    header_params: tuple[str, ...]
    content_types: tuple[str, ...]  # of its request body; () when it takes none

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def needs_key(self) -> bool:
        return KEY_HEADER in self.header_params

    @property
    def multipart(self) -> bool:
        return "multipart/form-data" in self.content_types


def operations() -> list[Operation]:
    """Every operation the running API describes, in the description's order."""
    spec = Client().get(API + "/openapi.json").json()
    found = []
    for path, methods in spec["paths"].items():
        assert path.startswith(API + "/"), path
        for method, operation in methods.items():
            params = operation.get("parameters", [])
            found.append(
                Operation(
                    method=method.upper(),
                    path=path[len(API) :],
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    header_params=tuple(p["name"] for p in params if p["in"] == "header"),
                    content_types=tuple(operation.get("requestBody", {}).get("content", {})),
                )
            )
    return found


def send(client: Client, method: str, url: str, *, token=None, body=None, key=None, multipart=False):
    """One request to ``url`` (under /api/v1): JSON, or multipart/form-data when ``multipart``."""
    headers = {}
    if token:
        headers["Authorization"] = token if " " in token else f"Bearer {token}"
    if key:
        headers[KEY_HEADER] = key
    if method == "GET":
        return client.get(API + url, headers=headers)
    if multipart:
        return client.post(API + url, body or {}, headers=headers)
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, API + url, data, content_type="application/json", headers=headers)


def request_once(call):
    """``call()``'s response, its database effects undone, on an empty cache (so no rate limit
    counts, and nothing a rolled-back write left in the cache, carries over to the next cell)."""
    cache.clear()
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def token(response) -> str:
    return str(response.status_code)
