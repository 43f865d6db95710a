"""The API object: ninja's NinjaAPI, with the routers of every enabled module that has one.

A module offers its API by naming a ninja ``Router`` in its class (``api =
"marketplace.orders.api:router"``); disabling the module takes its routes out of the API and
out of the OpenAPI description.
"""

import functools
from importlib import import_module

from django.http import JsonResponse
from django.views.decorators.http import require_safe
from ninja import NinjaAPI

from marketplace.api import errors
from marketplace.api.parsing import JsonParser
from marketplace.api.throttles import PerAddress, PerCaller

DESCRIPTION = """The marketplace's JSON API: the same services, and the same rules, as its pages.

Authenticate with a personal access token (create one on your account page, choose its
scopes): `Authorization: Bearer mkt_…`. Amounts are integer satoshis (`*_sat`), with a BTC
string beside them (`*_btc`) for display. Every refusal has the same shape:
`{"error": {"code", "message", "field", "fields"}}`. POSTs that move money or create an order
need an `Idempotency-Key` header: the same key again returns the first answer.
"""


def patterns(api: NinjaAPI) -> list:
    """The API's URL patterns, with a method a path does not take refused in the one shape too."""
    found = api.urls[0]
    for pattern in found:
        if pattern.name in ("openapi-json", "openapi-view"):
            pattern.callback = require_safe(pattern.callback)  # ninja's take any method
        pattern.callback = _json_405(pattern.callback)
    return found


def _json_405(view):
    @functools.wraps(view)
    def answered(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            message = f"{request.method} is not allowed here; allowed: {allowed}."
            refused = JsonResponse(errors.body("method_not_allowed", message), status=405)
            refused["Allow"] = allowed
            return refused
        return response

    return answered


def router_of(path: str):
    module_name, _, attribute = path.partition(":")
    return getattr(import_module(module_name), attribute or "router")


def build(runtime) -> NinjaAPI:
    api = NinjaAPI(
        title="Marketplace API",
        version="1",
        description=DESCRIPTION,
        urls_namespace="api",
        docs_url="/docs",
        openapi_url="/openapi.json",
        throttle=[PerAddress(), PerCaller()],
        parser=JsonParser(),  # refuses a string no database can store (a lone surrogate)
    )
    errors.install(api)
    for record in runtime.modules:
        path = getattr(record.module, "api", None)
        if path:
            api.add_router("", router_of(path), tags=[record.module.name])
    return api
