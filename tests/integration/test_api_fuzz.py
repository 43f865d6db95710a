"""Schemathesis against the live API: every operation of /api/v1/openapi.json, fuzzed through a
gunicorn with production settings and the demo data, must answer as its description says.

How it runs:

* a throw-away project: a private SQLite and media under a temporary directory (on the
  PostgreSQL pass, ``DATABASE_URL=postgres://...``, a scratch database on that server instead), a
  private redis-server, production settings (``tests.support.hosts.production_env``: DEBUG off,
  Redis cache, manifest static files, JSON logs), the API's rate limits raised out of the way,
  the demo data of every module (``load_demo_data``) and one picture on one of bob's products;
* one token per scope, each for the user who owns that kind of thing: alice the buyer for
  ``catalog:*``, ``orders:*`` and ``wallet:*``, bob the vendor for ``vendor:*`` (a scope of a new
  kind goes to alice). The scope each operation asks is read from the routers (the
  ``Token(scope)`` of its ``auth``), so a new module's operations are fuzzed with the right token
  without editing this file; the test first checks that the served description and the routers
  name the same operations;
* ``schemathesis run`` twice, each from a ``schemathesis.toml`` written for it: anonymously first
  (the public operations in full, the others a few cases each, which must all be the 401 in the
  error shape), then with the tokens, each operation sending the token of its scope
  (``[[operations]] headers``), so that the stateful phase can chain a catalog read into a cart,
  a checkout, the buyer's order and the vendor's accept;
* real identifiers from the demo data (order references, product, picture and withdrawal ids, shop
  slugs) are offered for the path parameters of those names half of the time
  (``[dictionaries]``): the fuzzing gets past the 404s to the code behind them.

Checks: ``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance``,
``response_schema_conformance``, ``response_headers_conformance``, and for methods a path does
not take ``unsupported_method`` and ``allow_header_conformance`` (405 with ``Allow``). Phases:
examples, coverage, fuzzing and, with the tokens, stateful (links inferred by schemathesis from
the schema). Generation is deterministic (the same cases on every run: a failure reproduces)
and bounded (``EXAMPLES`` cases per operation and phase). On a failure the test prints
schemathesis' report, with a curl line for each case, and the server's last logged errors.

Not the API's: a request line longer than gunicorn's limit (4094 bytes; the fuzzer's long,
repeated query parameters) is refused by gunicorn itself, with an HTML 414, before Django sees
it, as the proxy in front would in production. So the server here runs with
``--limit-request-line 0``, and such requests reach the API and its checks.

``test_what_the_fuzzer_cannot_send_is_answered_in_shape`` holds what schemathesis does not
generate (its strings are always encodable text) and what fails only on PostgreSQL.
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.hosts import ScratchDatabase, manage, production_env, tail
from tests.support.servers import ROOT, Gunicorn, RedisServer

pytestmark = pytest.mark.slow

SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    # A method a path does not take: 405 with its Allow header.
    "unsupported_method",
    "allow_header_conformance",
)
EXAMPLES = 20  # cases per operation and phase (the coverage phase makes its own, from the schema)
ANONYMOUS_EXAMPLES = 3  # an operation that needs a token: each case is the same 401
# Whose token each kind of scope gets (``<kind>:read``): who owns things of that kind. A scope of
# a kind not named here (a new module's) goes to alice.
OWNERS = {"catalog": "alice", "orders": "alice", "wallet": "alice", "vendor": "bob"}
UNLIMITED = {"MARKETPLACE_API_ADDRESS_RATE": "100000000/m", "MARKETPLACE_API_TOKEN_RATE": "100000000/m"}

# In the project's own environment, after migrate: the demo data, a token per scope, the scope
# each operation asks, and identifiers worth offering to the fuzzer. Prints one JSON object.
SEED = r"""
import io, json
import django
django.setup()
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from containers import runtime, container
from marketplace.api.auth import Token, anonymous
from marketplace.api.site import router_of

runtime.ensure_started()
for name in runtime.modules.initialization_order():
    runtime.modules.get(name).load_demo_data()
users = {u.username: u for u in get_user_model().objects.filter(username__in=["alice", "bob"])}

from marketplace.products.models import Product, ProductImage
from marketplace.orders.models import Order
from marketplace.vendors.models import Vendor
from marketplace.wallets.models import Withdrawal

buffer = io.BytesIO()
Image.new("RGB", (64, 48), "#c2590f").save(buffer, format="PNG")
pictured = Product.objects.filter(vendor__user=users["bob"], deleted_at=None).order_by("pk").first()
container.products.catalog_service().update_product(
    actor_id=users["bob"].pk, product_id=pictured.pk, title=pictured.title, description=pictured.description,
    price_sat=pictured.price_sat, stock=pictured.stock, category_id=pictured.category_id,
    is_active=pictured.is_active, add_images=[SimpleUploadedFile("photo.png", buffer.getvalue(), "image/png")],
)

operations = {}
for record in runtime.modules:
    if getattr(record.module, "api", None):
        for route, view in router_of(record.module.api).path_operations.items():
            for operation in view.operations:
                scopes = sorted({c.scope for c in operation.auth_callbacks if isinstance(c, Token)})
                public = anonymous in operation.auth_callbacks
                for method in operation.methods:
                    operations[f"{method} /api/v1{route}"] = {"scopes": scopes, "public": public}

api = container.api.api_service()
tokens = {
    scope: api.create_token(user_id=users[OWNERS.get(scope.partition(":")[0], "alice")].pk, name=f"fuzz {scope}",
                            scopes=[scope]).secret
    for scope in api.scopes()
}
identifiers = {
    "reference": sorted(Order.objects.values_list("reference", flat=True)),
    "product_id": sorted(Product.objects.filter(deleted_at=None).values_list("pk", flat=True)),
    "image_id": sorted(ProductImage.objects.values_list("pk", flat=True)),
    "withdrawal_id": sorted(Withdrawal.objects.filter(user=users["alice"]).values_list("pk", flat=True)),
    "slug": sorted(Vendor.objects.values_list("slug", flat=True)),
}
print(json.dumps({"operations": operations, "tokens": tokens, "identifiers": identifiers}))
"""


@contextmanager
def live_api_server(var: Path):
    """The project served by gunicorn from ``var``, seeded: yields the server and what SEED printed."""
    (ROOT / "var").mkdir(exist_ok=True)
    redis = RedisServer().start()
    server = database = None
    try:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            # The PostgreSQL pass: a database of this run's own on that server (strings it
            # refuses, such as NUL characters, are worth fuzzing there too).
            database = ScratchDatabase(os.environ["DATABASE_URL"], prefix="api_fuzz").create()
        env = production_env(
            var_dir=var,
            database_url=database.url if database else f"sqlite:///{var / 'db.sqlite3'}",
            redis_url=redis.url,
            MARKETPLACE_TASKS_IN_PROCESS="1",  # no Celery worker here: thumbnails, notifications in-process
            MARKETPLACE_NOTIFICATIONS_BACKEND="log",
            LOG_LEVEL="WARNING",
            **UNLIMITED,
        )
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            # The static files' manifest, as a deployment has it: a page a refusal renders
            # (Django's CSRF failure, which ninja's CSRF check renders) needs it.
            static = pool.submit(manage, "collectstatic", "--noinput", "-v0", env=env)
            manage("migrate", "--noinput", "-v0", env=env)
            static.result()
        seeding = subprocess.run(
            [sys.executable, "-c", f"OWNERS = {OWNERS!r}\n" + SEED],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert seeding.returncode == 0, tail(seeding.stderr, 60)
        seeded = json.loads(seeding.stdout.strip().splitlines()[-1])
        server = Gunicorn(
            workers=2, env=env, extra_args=["--log-level", "warning", "--limit-request-line", "0"]
        ).start()
        yield server, seeded
    finally:
        if server is not None:
            server.stop()
        if database is not None:
            database.drop()
        redis.stop()


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    with live_api_server(tmp_path_factory.mktemp("api-fuzz")) as running:
        yield running


def toml(value) -> str:
    """A TOML value: JSON's strings, numbers, booleans and arrays are TOML's; tables inline."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(key)} = {toml(item)}" for key, item in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    return json.dumps(value)


def config_file(path: Path, *, identifiers: dict, operations: list[dict]) -> Path:
    """A ``schemathesis.toml``: no state kept between runs, the identifiers offered half of the
    time for the path parameters of those names, and settings per operation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["[cache]", "enabled = false", "", "[generation]", 'database = "none"', ""]
    for name, values in identifiers.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {toml(values)}", ""]
    lines.append("[parameters]")
    lines += [
        f"{json.dumps('path.' + name)} = {toml({'dictionary': name, 'probability': 0.5})}"
        for name, values in identifiers.items()
        if values
    ]
    for operation in operations:
        lines += ["", "[[operations]]"]
        lines += [f"{key} = {toml(value)}" for key, value in operation.items() if not isinstance(value, dict)]
        lines += [f"{key} = {toml(value)}" for key, value in operation.items() if isinstance(value, dict)]
    path.write_text("\n".join(lines) + "\n")
    return path


def schemathesis(url: str, config: Path, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    done = subprocess.run(
        [
            *SCHEMATHESIS,
            "--config-file",
            str(config),
            "run",
            url + "/api/v1/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--generation-deterministic",
            "--max-examples",
            str(EXAMPLES),
            "--request-timeout",
            "20",
            "--no-color",
            *extra,
        ],
        cwd=config.parent,  # whatever schemathesis writes stays in the test's directory
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, time.monotonic() - started


def described_operations(url: str) -> list[str]:
    with urllib.request.urlopen(url + "/api/v1/openapi.json", timeout=20) as response:
        schema = json.load(response)
    return [f"{method.upper()} {path}" for path, methods in schema["paths"].items() for method in methods]


def summary(output: str) -> str:
    found = re.search(r"^Test cases:\n(.*)$", output, re.MULTILINE)
    return found.group(1).strip() if found else "(no summary)"


def server_errors(server: Gunicorn) -> str:
    lines = [line for line in server.output().splitlines() if '"level": "ERROR"' in line]
    return "\n".join(lines[-10:])


def call(url: str, method: str, path: str, *, token: str | None = None, body: bytes | None = None, content_type=""):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers.get_content_type(), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), json.load(error)


JSON = "application/json"


# What the fuzzer does not send: its strings are always encodable text, and its database is
# SQLite unless the suite runs on PostgreSQL. All but the nesting were 500s.
@pytest.mark.parametrize(
    ("method", "path", "scope", "body", "content_type", "status"),
    [
        # JSON may escape half a surrogate pair: not text (no database stores it), anywhere in a body.
        ("POST", "/api/v1/orders/{reference}/messages", "orders:write", rb'{"body": "a\ud800b"}', JSON, 400),
        ("POST", "/api/v1/cart/items", "orders:write", rb'{"\udfff": 1, "product_id": 1}', JSON, 400),
        ("POST", "/api/v1/vendor/products", "vendor:write", rb'{"title": "Saw \udc00", "price_sat": 9}', JSON, 400),
        ("POST", "/api/v1/cart/items", "orders:write", b"[" * 100_000 + b"]" * 100_000, JSON, 400),
        ("POST", "/api/v1/vendor/products/{product_id}/pictures", "vendor:write", b"--x--", "multipart/form-data", 400),
        # NUL characters, which PostgreSQL refuses in a string.
        ("GET", "/api/v1/products?q=saw%00&category=%00tools&vendor=bob%00", None, None, "", 200),
        ("GET", "/api/v1/shops/bobs-hardware%00", None, None, "", 404),
    ],
    ids=[
        "lone-surrogate-in-a-value",
        "lone-surrogate-in-a-key",
        "lone-surrogate-in-a-title",
        "nested-past-the-recursion-limit",
        "multipart-without-a-boundary",
        "nul-in-the-catalog-filters",
        "nul-in-a-shop-slug",
    ],
)
def test_what_the_fuzzer_cannot_send_is_answered_in_shape(live_api, method, path, scope, body, content_type, status):
    server, seeded = live_api
    ids = {name: values[0] for name, values in seeded["identifiers"].items() if values}
    token = seeded["tokens"][scope] if scope else None
    answered, kind, payload = call(
        server.url, method, path.format(**ids), token=token, body=body, content_type=content_type
    )
    assert (answered, kind) == (status, JSON), payload
    assert "items" in payload if status == 200 else set(payload["error"]) == {"code", "message", "field", "fields"}


def test_every_operation_answers_as_its_schema_says(live_api, tmp_path):
    server, seeded = live_api
    operations, tokens = seeded["operations"], seeded["tokens"]
    assert sorted(described_operations(server.url)) == sorted(operations), "the description and the routers disagree"
    unscoped = {
        name: o["scopes"] for name, o in operations.items() if len(o["scopes"]) != 1 or o["scopes"][0] not in tokens
    }
    assert not unscoped, f"operations without exactly one known scope (which token would fuzz them?): {unscoped}"

    # Anonymous first, on the demo data as loaded: the public operations in full, the others
    # a few cases each (all the same 401). No stateful phase: anonymous callers make nothing.
    private = [name for name, operation in operations.items() if not operation["public"]]
    anonymous = config_file(
        tmp_path / "anonymous" / "schemathesis.toml",
        identifiers=seeded["identifiers"],
        operations=[
            {
                "include-name": private,
                "generation": {"max-examples": ANONYMOUS_EXAMPLES},
                "phases": {"coverage": {"enabled": False}},
            }
        ],
    )
    # Then each operation with the token of its scope (the tokens' owners' things change).
    by_scope: dict[str, list[str]] = {}
    for name, operation in operations.items():
        by_scope.setdefault(operation["scopes"][0], []).append(name)
    with_tokens = config_file(
        tmp_path / "tokens" / "schemathesis.toml",
        identifiers=seeded["identifiers"],
        operations=[
            {"include-name": names, "headers": {"Authorization": f"Bearer {tokens[scope]}"}}
            for scope, names in by_scope.items()
        ],
    )
    runs = {
        "anonymous": schemathesis(server.url, anonymous, "--phases", "examples,coverage,fuzzing"),
        "tokens": schemathesis(server.url, with_tokens, "--phases", "examples,coverage,fuzzing,stateful"),
    }
    for label, (done, seconds) in runs.items():
        print(f"\nschemathesis, {label}: exit {done.returncode} in {seconds:.0f} s: {summary(done.stdout)}")

    failed = {label: done for label, (done, _) in runs.items() if done.returncode != 0}
    report = "\n\n".join(
        f"===== schemathesis, {label} (exit {done.returncode}) =====\n{done.stdout}\n{tail(done.stderr, 40)}"
        for label, done in failed.items()
    )
    assert not failed, f"{report}\n\nthe server's last errors:\n{server_errors(server)}"
