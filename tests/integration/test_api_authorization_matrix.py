"""Every operation of the JSON API × every kind of caller: the status each must get.

The operations come from the live OpenAPI description (tests/support/api_matrix.py), so a new
operation without a row here fails ``test_every_operation_has_an_expectation``, and so does a row
whose operation is gone. Each cell is one request on a shared world whose database effects are
rolled back (on an emptied cache: no rate limit counts), so cells do not depend on each other.

Callers (the columns): ``anon`` sends no credentials; ``catalog:read`` … ``vendor:write``, a token
of the owner holding that one scope; ``all``, the owner's token with every scope; ``other``,
another user's token with every scope, asking for the owner's things. The owner is the vendor for
``/vendor/…``, ``/shops/{slug}`` and ``/products/{product_id}`` (``other`` is another vendor), and
the buyer for the rest: cart, checkout, orders, wallet, the catalog (``other`` is another buyer).

Path parameters are the owner's real objects, each in the state where its owner's request works:
the order is funded (reads, messages, cancel, accept, decline), accepted (ship) or shipped
(confirm, dispute); the product has a picture and is in the buyer's cart; the withdrawal is
pending (the buyer has no second factor, and funds). Bodies are valid, and a POST that needs one
has a fresh ``Idempotency-Key``: a cell tells "allowed" (200/201/204) from "refused".

Tokens: the status code. 401 no credentials; 403 the token lacks the operation's scope; 404 not
the caller's to see (as if it did not exist); 400 a business refusal (noted beside its row). A row
is ``path: {method: "anon cat:r ord:r ord:w wal:r wal:w ven:r ven:w all other"}``.
``API_MATRIX_PRINT=1`` prints the table as observed (a Markdown table for docs, then the rows).
"""

import itertools
import os

import pytest
from django.core.cache import cache
from django.test import Client

from services.api_service import SCOPES
from tests.support.api_matrix import CALLERS, SCOPE_COLUMNS, operations, request_once, send, token
from tests.support.catalog import picture_bytes, upload

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# path (with [variant] where one operation is tried on several objects) -> method -> tokens.
# Reviewed cell by cell: a change here is a change of who may do what, and says so in review.
EXPECTED: dict[str, dict[str, str]] = {
    # row: {method: "anon cat:r ord:r ord:w wal:r wal:w ven:r ven:w all other"}
    # The buyer's own cart: another buyer has their own (the product is not in it: 404).
    "/cart": {
        "GET": "401 403 200 403 403 403 403 403 200 200",
    },
    "/cart/items": {
        "POST": "401 403 403 200 403 403 403 403 200 200",
    },
    "/cart/items/{product_id}": {
        "DELETE": "401 403 403 200 403 403 403 403 200 404",
        "PUT": "401 403 403 200 403 403 403 403 200 404",
    },
    # The catalog is public; a token that is sent must carry catalog:read.
    "/categories": {
        "GET": "200 200 403 403 403 403 403 403 200 200",
    },
    # other: 400, their own cart is empty ("Your cart is empty.").
    "/checkout": {
        "POST": "401 403 403 201 403 403 403 403 201 400",
    },
    "/orders": {
        "GET": "401 403 200 403 403 403 403 403 200 200",
    },
    "/orders/{reference}": {
        "GET": "401 403 200 403 403 403 403 403 200 404",
    },
    "/orders/{reference}/cancel": {
        "POST": "401 403 403 200 403 403 403 403 200 404",
    },
    "/orders/{reference}/confirm": {
        "POST": "401 403 403 200 403 403 403 403 200 404",
    },
    "/orders/{reference}/dispute": {
        "POST": "401 403 403 200 403 403 403 403 200 404",
    },
    "/orders/{reference}/events": {
        "GET": "401 403 200 403 403 403 403 403 200 404",
    },
    "/orders/{reference}/messages": {
        "GET": "401 403 200 403 403 403 403 403 200 404",
        "POST": "401 403 403 201 403 403 403 403 201 404",
    },
    "/products": {
        "GET": "200 200 403 403 403 403 403 403 200 200",
    },
    "/products/{product_id}": {
        "GET": "200 200 403 403 403 403 403 403 200 200",
    },
    # A product its vendor hid: only the vendor sees it.
    "/products/{product_id}[unlisted]": {
        "GET": "404 200 403 403 403 403 403 403 200 404",
    },
    "/shops": {
        "GET": "200 200 403 403 403 403 403 403 200 200",
    },
    "/shops/{slug}": {
        "GET": "200 200 403 403 403 403 403 403 200 200",
    },
    # Another vendor has their own queue and products: the owner's are 404 to them.
    "/vendor/orders": {
        "GET": "401 403 403 403 403 403 200 403 200 200",
    },
    "/vendor/orders/{reference}/accept": {
        "POST": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/orders/{reference}/decline": {
        "POST": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/orders/{reference}/ship": {
        "POST": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/products": {
        "GET": "401 403 403 403 403 403 200 403 200 200",
        "POST": "401 403 403 403 403 403 403 201 201 201",
    },
    "/vendor/products/{product_id}": {
        "DELETE": "401 403 403 403 403 403 403 204 204 404",
        "GET": "401 403 403 403 403 403 200 403 200 404",
        "PATCH": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/products/{product_id}/listing": {
        "PUT": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/products/{product_id}/pictures": {
        "POST": "401 403 403 403 403 403 403 201 201 404",
    },
    "/vendor/products/{product_id}/pictures/{image_id}": {
        "DELETE": "401 403 403 403 403 403 403 200 200 404",
    },
    "/vendor/shop": {
        "GET": "401 403 403 403 403 403 200 403 200 200",
    },
    # The wallet: reading needs wallet:read, moving money wallet:withdraw (which does not read).
    "/wallet": {
        "GET": "401 403 403 403 200 403 403 403 200 200",
    },
    "/wallet/deposit-address": {
        "GET": "401 403 403 403 200 403 403 403 200 200",
    },
    "/wallet/history": {
        "GET": "401 403 403 403 200 403 403 403 200 200",
    },
    "/wallet/withdrawals": {
        "GET": "401 403 403 403 200 403 403 403 200 200",
        "POST": "401 403 403 403 403 201 403 403 201 201",
    },
    "/wallet/withdrawals/{withdrawal_id}": {
        "GET": "401 403 403 403 200 403 403 403 200 404",
    },
    "/wallet/withdrawals/{withdrawal_id}/cancel": {
        "POST": "401 403 403 403 403 200 403 403 200 404",
    },
}

# Operations tried on more than one object: "METHOD /path" -> variant -> path argument -> world arg.
VARIANTS: dict[str, dict[str, dict[str, str]]] = {
    "GET /products/{product_id}": {"": {}, "[unlisted]": {"product_id": "unlisted_id"}},
}

# Orders in the state where their owner's request works (the funded one for the rest).
ORDER_STATE = {
    "POST /vendor/orders/{reference}/ship": "accepted",
    "POST /orders/{reference}/confirm": "shipped",
    "POST /orders/{reference}/dispute": "shipped",
}

VENDOR_PATHS = ("/vendor/", "/shops/", "/products/")


def owner_of(path: str) -> str:
    return "vendor" if path.startswith(VENDOR_PATHS) else "buyer"


@pytest.fixture
def world(settings, make_user, make_vendor, make_product, categories, fund, place, container):
    from marketplace.products.models import ProductImage
    from modules.wallets import _demo_destination

    settings.MARKETPLACE_API = {**settings.MARKETPLACE_API, "address_rate": "100000/m", "caller_rate": "100000/m"}
    buyer, buyer2 = make_user("abuyer"), make_user("abuyer2")
    fund(buyer, 2_000_000)
    fund(buyer2, 2_000_000)
    vendor, vendor2 = make_vendor("avendor"), make_vendor("avendor2")
    lamp = make_product(vendor, title="Matrix lamp", stock=50, images=[upload(picture_bytes())])
    hidden = make_product(vendor, title="Matrix prototype", stock=5, is_active=False)
    make_product(vendor2, title="Other lamp", stock=50)

    orders = container.orders.order_service()
    funded, accepted, shipped = (place(buyer, {lamp: 1}) for _ in range(3))
    orders.accept(actor_id=vendor.pk, reference=accepted)
    orders.accept(actor_id=vendor.pk, reference=shipped)
    orders.ship(actor_id=vendor.pk, reference=shipped)
    container.orders.cart_service().add(user_id=buyer.pk, product_id=lamp, quantity=1)

    wallets = container.wallets.wallet_service()
    address = _demo_destination(wallets.network)
    withdrawal = wallets.request_withdrawal(
        user_id=buyer.pk, address=address, amount_sat=50_000, idempotency_key="api-matrix-w1"
    )

    api = container.api.api_service()

    def issue(user, scopes) -> str:
        return api.create_token(user_id=user.pk, name="matrix", scopes=list(scopes)).secret

    tokens = {}
    for role, owner, stranger in (("buyer", buyer, buyer2), ("vendor", vendor, vendor2)):
        tokens[role] = {
            "anon": None,
            **{scope: issue(owner, [scope]) for scope in SCOPE_COLUMNS},
            "all": issue(owner, SCOPES),
            "other": issue(stranger, SCOPES),
        }
    return {
        "tokens": tokens,
        "issue": issue,
        "args": {
            "reference": funded,
            "product_id": lamp,
            "unlisted_id": hidden,
            "image_id": ProductImage.objects.filter(product_id=lamp).values_list("pk", flat=True).first(),
            "withdrawal_id": withdrawal.withdrawal_id,
            "slug": vendor.shop_slug,
        },
        "references": {"funded": funded, "accepted": accepted, "shipped": shipped},
        "address": address,
        "category_id": categories["tools"],
        "client": Client(),
    }


def body_of(op, world):
    """What an owner who may do it would send, so the cell tells "allowed" from "refused"."""
    if op.multipart:  # an upload is read once: a new one each time
        return {"pictures": [upload(picture_bytes(colour="#2a6"), name="extra.png")]}
    return {
        "POST /wallet/withdrawals": {"address": world["address"], "amount_sat": 100_000},
        "POST /vendor/products": {
            "title": "Matrix saw",
            "description": "A saw.",
            "price_sat": 50_000,
            "stock": 3,
            "category_id": world["category_id"],
        },
        "PATCH /vendor/products/{product_id}": {"stock": 7},
        "PUT /vendor/products/{product_id}/listing": {"listed": False},
        "POST /cart/items": {"product_id": world["args"]["product_id"], "quantity": 1},
        "PUT /cart/items/{product_id}": {"quantity": 2},
        "POST /checkout": {},
        "POST /orders/{reference}/messages": {"body": "Is it on its way?"},
        "POST /orders/{reference}/cancel": {"reason": "I ordered the wrong one."},
        "POST /orders/{reference}/dispute": {"reason": "It arrived broken in two."},
        "POST /vendor/orders/{reference}/decline": {"reason": "Out of stock, sorry."},
        "POST /vendor/orders/{reference}/ship": {"tracking_note": "Parcel 42"},
    }.get(op.name)


def cells(world):
    """(row, method, operation, url) for every operation and every variant."""
    for op in operations():
        for variant, changed in VARIANTS.get(op.name, {"": {}}).items():
            args = dict(world["args"])
            args["reference"] = world["references"][ORDER_STATE.get(op.name, "funded")]
            args.update({name: world["args"][source] for name, source in changed.items()})
            yield f"{op.path}{variant}", op.method, op, op.path.format(**{p: args[p] for p in op.path_params})


_keys = itertools.count(1)


def ask(world, op, url, caller: str = "all", **override):
    """One request as ``caller`` (of the operation's owner), its effects undone. ``override``
    replaces what is sent: ``token`` (a secret, or a whole Authorization value), ``body``, ``key``."""
    fields = {
        "token": world["tokens"][owner_of(op.path)][caller],
        "body": body_of(op, world) if op.method != "GET" else None,
        "key": f"api-matrix-{next(_keys)}" if op.needs_key else None,
        "multipart": op.multipart,
        **override,
    }
    return request_once(lambda: send(world["client"], op.method, url, **fields))


def observe(world) -> dict[str, dict[str, list[str]]]:
    table: dict[str, dict[str, list[str]]] = {}
    for row, method, op, url in cells(world):
        table.setdefault(row, {})[method] = [token(ask(world, op, url, caller)) for caller in CALLERS]
    return table


def render(table: dict[str, dict[str, list[str]]]) -> str:
    lines = ["| path | method | " + " | ".join(CALLERS) + " |", "|---|---|" + "---|" * len(CALLERS)]
    for row in sorted(table):
        for method in sorted(table[row]):
            lines.append(f"| `{row}` | {method} | " + " | ".join(table[row][method]) + " |")
    return "\n".join(lines)


def _expected(row: str, method: str) -> list[str] | None:
    spec = EXPECTED.get(row, {}).get(method)
    return spec.split() if spec else None


def test_every_operation_has_an_expectation(world):
    assert tuple(SCOPES) == SCOPE_COLUMNS, "a new scope needs a column of its own in the matrix"
    assert all(len(tokens.split()) == len(CALLERS) for row in EXPECTED.values() for tokens in row.values())
    live = {(row, method) for row, method, _op, _url in cells(world)}
    written = {(row, method) for row, methods in EXPECTED.items() for method in methods}
    missing, gone = sorted(live - written), sorted(written - live)
    assert not missing, f"API operations with no expected answers in this file: {missing}"
    assert not gone, f"rows for operations the API no longer has: {gone}"


def test_each_caller_gets_the_expected_answer(world):
    table = observe(world)
    if os.environ.get("API_MATRIX_PRINT"):
        print(render(table))
        for row in sorted(table):
            methods = ", ".join(f'"{method}": "{" ".join(tokens)}"' for method, tokens in sorted(table[row].items()))
            print(f'    "{row}": {{{methods}}},')
    wrong = []
    for row, methods in table.items():
        for method, tokens in methods.items():
            want = _expected(row, method)
            if want is None:
                continue
            for caller, got, expected in zip(CALLERS, tokens, want, strict=True):
                if got != expected:
                    wrong.append(f"{method} {row} as {caller}: got {got}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_staff_powers_are_not_in_the_api(world, make_staff, make_user, make_vendor):
    """Staff see closed shops, hidden products, anyone's orders and withdrawals on the site's
    pages, behind their second factor. A staff member's token (every scope) is a stranger to them."""
    pending = make_vendor("aapplicant", status="pending")
    superuser = make_user("asuper")
    type(superuser).objects.filter(pk=superuser.pk).update(is_superuser=True, is_staff=True)
    people = {role: make_staff(role, username=f"a{role}") for role in ("support", "moderator", "finance", "operator")}
    people["super"] = superuser
    args = {**world["args"], "slug": pending.shop_slug, "product_id": world["args"]["unlisted_id"]}
    ops = {op.name: op for op in operations()}
    tried = [
        "GET /products/{product_id}",
        "GET /shops/{slug}",
        "GET /orders/{reference}",
        "GET /orders/{reference}/events",
        "GET /orders/{reference}/messages",
        "POST /orders/{reference}/messages",
        "POST /orders/{reference}/cancel",
        "POST /vendor/orders/{reference}/decline",
        "GET /wallet/withdrawals/{withdrawal_id}",
        "POST /wallet/withdrawals/{withdrawal_id}/cancel",
    ]
    wrong = []
    for who, user in people.items():
        secret = world["issue"](user, SCOPES)
        for name in tried:
            op = ops[name]
            response = ask(world, op, op.path.format(**{p: args[p] for p in op.path_params}), token=secret)
            if response.status_code != 404:
                wrong.append(f"{name} as {who}: {response.status_code} {response.content[:120]!r}")
    assert not wrong, "\n".join(wrong)


def _refusal_shape_faults(response) -> list[str]:
    faults = []
    if response.status_code == 401 and not response.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        faults.append("401 without WWW-Authenticate: Bearer")
    try:
        payload = response.json()
    except ValueError:
        return [*faults, f"not JSON: {response.content[:80]!r}"]
    error = payload.get("error") if isinstance(payload, dict) else None
    if set(payload) != {"error"} or not isinstance(error, dict):
        return [*faults, f"not {{'error': {{…}}}}: {payload!r}"]
    if set(error) != {"code", "message", "field", "fields"}:
        faults.append(f"error keys {sorted(error)}")
    if not (isinstance(error.get("code"), str) and error["code"] and isinstance(error.get("message"), str)):
        faults.append(f"code/message: {error!r}")
    if not (error.get("field") is None or isinstance(error["field"], str)):
        faults.append(f"field: {error['field']!r}")
    fields = error.get("fields")
    messages = fields.values() if isinstance(fields, dict) else [None]
    if not (all(isinstance(name, str) for name in fields or ()) and all(_strings(m) for m in messages)):
        faults.append(f"fields: {fields!r}")
    return faults


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def test_every_refusal_has_the_one_shape(world, settings):
    """Every 4xx, whoever refused it (ninja's auth, validation, throttle; a service), is
    ``{"error": {"code", "message", "field", "fields"}}``; every 401 says ``WWW-Authenticate``."""
    answers = []  # (what was asked, response)
    for row, method, op, url in cells(world):
        asked = f"{method} {row}"
        spec = _expected(row, method) or []
        wrong_scope = next((c for c, t in zip(CALLERS, spec, strict=False) if t == "403"), None)
        callers = ["anon", "other", *([wrong_scope] if wrong_scope else [])]
        answers += [(f"{asked} as {caller}", ask(world, op, url, caller)) for caller in callers]
        for name, sent in (("a made-up token", "mkt_" + "x" * 43), ("basic auth", "Basic dXNlcjpwYXNz")):
            answers.append((f"{asked} with {name}", ask(world, op, url, token=sent)))
        if op.method != "GET" and (op.content_types or op.needs_key):
            invalid = {} if op.multipart else [1]  # no pictures; a list where an object goes
            answers.append((f"{asked} with an invalid body, no key", ask(world, op, url, body=invalid, key=None)))
    # One the services refuse for the state of things (409): the vendor confirming delivery.
    confirm = next(op for op in operations() if op.name == "POST /orders/{reference}/confirm")
    shipped = f"/orders/{world['references']['shipped']}/confirm"
    vendor_token = world["tokens"]["vendor"]["all"]
    answers.append(("the vendor confirming", ask(world, confirm, shipped, token=vendor_token)))
    # Over the rate limit (429), and a path the API does not have (404).
    settings.MARKETPLACE_API = {**settings.MARKETPLACE_API, "caller_rate": "1/m"}
    cache.clear()
    buyer = world["tokens"]["buyer"]["all"]
    answers += [(f"GET /wallet #{n}", send(world["client"], "GET", "/wallet", token=buyer)) for n in (1, 2)]
    answers.append(("GET /no-such-thing", send(world["client"], "GET", "/no-such-thing")))

    refusals = [(what, r) for what, r in answers if 400 <= r.status_code < 500]
    seen = {r.status_code for _what, r in refusals}
    assert {400, 401, 403, 404, 409, 422, 429} <= seen, f"kinds of refusal not tried: {seen}"
    assert answers[-2][1].status_code == 429 and answers[-2][1].headers.get("Retry-After")
    faults = [f"{what}: {r.status_code} {fault}" for what, r in refusals for fault in _refusal_shape_faults(r)]
    assert not faults, "\n".join(faults)


def test_a_method_the_path_does_not_take_is_refused_in_the_one_shape(world):
    response = send(world["client"], "DELETE", "/wallet", token=world["tokens"]["buyer"]["all"])
    assert response.status_code == 405
    assert not _refusal_shape_faults(response), response.content
    assert response["Allow"] == "GET"
