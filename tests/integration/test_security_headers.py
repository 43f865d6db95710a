"""The headers every page carries: a strict Content-Security-Policy that no page needs to bend
(no inline script or style anywhere), and ``Cache-Control: private, no-store`` on whatever a
signed-in person is shown, while anonymous pages keep being served from the page cache."""

import json
import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from marketplace.products.models import ProductImage
from marketplace.wallets.models import Deposit
from marketplace.webhooks.models import WebhookDelivery
from tests.support.accounts import signed_in_recently
from tests.support.catalog import picture_bytes, upload
from tests.support.projects import ROOT
from tests.support.staff import verified_client

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "report-uri": "/csp-report/",
}


def policy_of(response) -> dict[str, str]:
    directives = {}
    for part in response.get("Content-Security-Policy", "").split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


class InlineCode(HTMLParser):
    """Collects what a strict policy blocks: <script> without src or with a body, <style>,
    style="" and on…="" attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if (names.get("type") or "").strip().lower() in DATA_BLOCKS:
                return  # data for a script (the API reference's settings): never run, and CSP leaves it be
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name in ("href", "action", "src", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f'<{tag} {name}="{value}">')

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("a <script> with a body")


DATA_BLOCKS = ("application/json", "application/ld+json")


def inline_code(html: bytes) -> list[str]:
    parser = InlineCode()
    parser.feed(html.decode("utf-8", "replace"))
    return parser.found


def test_the_scanner_finds_what_the_policy_would_block():
    page = (
        b'<p style="color:red" onclick="x()"><a href="javascript:x()">a</a></p><style>p{}</style>'
        b"<script>alert(1)</script><script src=/static/a.js></script><svg><title>QR</title><path d=M0/></svg>"
        b'<script type="application/json" id="settings">{"a": 1}</script>'
    )
    assert inline_code(page) == [
        '<p style="color:red">',
        '<p onclick="x()">',
        '<a href="javascript:x()">',
        "<style>",
        "<script> without src",
        "a <script> with a body",
    ]


# every page, as every kind of visitor
def site_routes():
    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace and (f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and not prefix.startswith("admin/"):
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), prefix + str(pattern.pattern)

    return list(walk(get_resolver().url_patterns, "", None))


@pytest.fixture
def world(market, order_in, make_user, make_staff, make_vendor, make_product, container):
    orders = {state: order_in(state) for state in ("funded", "shipped", "completed", "disputed")}
    pictured = make_product(market.vendor, title="Pictured lamp", images=[upload(picture_bytes())])
    applicant = make_vendor("applicant", status="pending")
    wallets = container.wallets.wallet_service()
    withdrawal = wallets.request_withdrawal(
        user_id=market.buyer.pk,
        address="bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        amount_sat=50_000,
        idempotency_key="headers-w1",
    )
    superuser = make_user("root")
    get_user_model().objects.filter(pk=superuser.pk).update(is_superuser=True, is_staff=True)
    superuser.refresh_from_db()
    staff = {role: make_staff(role, username=f"h{role}") for role in ("support", "moderator", "operator")}
    # The buyer's webhook endpoint, with a failed delivery: its pages render for the buyer.
    hook = container.webhooks.webhook_service().register(
        user_id=market.buyer.pk, url="https://93.184.215.14/hooks", events=["order.funded"]
    )
    delivery = WebhookDelivery.objects.create(
        endpoint_id=hook.endpoint_id, event_type="order.funded", body="{}", status="failed", created_at=timezone.now()
    )
    clients = {"anonymous": Client()}
    for name, user in (("buyer", market.buyer), ("vendor", market.vendor)):
        clients[name] = Client()
        clients[name].force_login(user)
    for name, user in (*staff.items(), ("finance", market.staff), ("superuser", superuser)):
        clients[name] = verified_client(user)
    args = {
        "reference": orders["funded"],
        "product_id": pictured,
        "image_id": ProductImage.objects.filter(product_id=pictured).values_list("pk", flat=True).first(),
        "slug": market.vendor.shop_slug,
        "vendor_id": applicant.vendor_id,
        "withdrawal_id": withdrawal.withdrawal_id,
        "deposit_id": Deposit.objects.values_list("pk", flat=True).first(),
        "kind": "service",
        "name": "user_service",
        "reload_id": "0" * 32,
        "run_id": "00000000-0000-4000-8000-000000000000",
        "token": "not-a-token",
        "uidb64": "MQ",
        "action": "accept",
        "endpoint_id": hook.endpoint_id,
        "delivery_id": delivery.pk,
        "code": "de",
        "notification_id": _notification_for(market.buyer, orders["funded"]),
        "token_id": container.api.api_service()
        .create_token(user_id=market.buyer.pk, name="headers", scopes=["catalog:read"])
        .token.id,
    }
    return {"clients": clients, "args": args, "orders": orders}


def _notification_for(user, reference) -> int:
    from django.utils import timezone

    from marketplace.notifications.models import Notification

    return Notification.objects.create(
        user=user,
        topic="orders.changed",
        kind="orders",
        thread=f"order:{reference}",
        subject=f"Order {reference}",
        body="",
        link=f"/orders/{reference}/",
        backend="log",
        status="sent",
        created_at=timezone.now(),
    ).pk


def urls(world) -> list[str]:
    found = []
    for name, route in site_routes():
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        found.append(reverse(name, kwargs={p: world["args"][p] for p in params}))
    found += [reverse("orders:detail", args=[ref]) for ref in world["orders"].values()]
    found += ["/no-such-page/", reverse("products:list") + "?min_price=0,1&page=2"]
    return found


def admin_urls() -> list[str]:
    found = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        found += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            found += [reverse(f"{prefix}_change", args=[first]), reverse(f"{prefix}_history", args=[first])]
    return found


def test_every_page_for_every_visitor_has_the_policy_no_inline_code_and_the_right_caching(world):
    problems, rendered = [], set()
    visits = [(visitor, url) for visitor in world["clients"] for url in urls(world)]
    visits += [("superuser", url) for url in admin_urls()] + [("anonymous", reverse("admin:login"))]
    for visitor, url in visits:
        response = world["clients"][visitor].get(url)
        where = f"{visitor} GET {url} ({response.status_code})"
        if response.status_code >= 500:
            problems.append(f"{where}: a server error")
        if policy_of(response) != POLICY:
            problems.append(f"{where}: policy {response.get('Content-Security-Policy')!r}")
        if "text/html" in response.get("Content-Type", ""):
            problems += [f"{where}: {found}" for found in inline_code(response.content)]
            if response.status_code == 200:
                rendered.add(url)
        directives = {p.strip() for p in response.get("Cache-Control", "").split(",")}
        private = {"private", "no-store"} <= directives
        # Signed in: never kept by a shared cache or the browser, but what a view declares public
        # (a listed product's picture, the same for everyone). Anonymous: the page cache's pages
        # are cacheable (health and admin pages say no-cache for reasons of their own).
        html = "text/html" in response.get("Content-Type", "")
        if visitor != "anonymous" and not private and (html or "public" not in directives):
            problems.append(f"{where}: Cache-Control {response.get('Cache-Control')!r}")
        if visitor == "anonymous" and "X-Page-Cache" in response and private:
            problems.append(f"{where}: Cache-Control {response.get('Cache-Control')!r}")
    assert len(visits) > 300
    assert not problems, "\n".join(problems)
    must_render = {
        reverse("ops:index"),
        reverse("design"),
        reverse("wallets:wallet"),
        reverse("admin:index"),
        reverse("orders:detail", args=[world["orders"]["disputed"]]),
        reverse("vendors:dashboard"),
    }
    assert must_render <= rendered, must_render - rendered


def test_forms_shown_again_with_their_errors_hold_no_inline_code_either(world, categories):
    buyer, vendor = signed_in_recently(world["clients"]["buyer"]), world["clients"]["vendor"]
    answers = [
        Client().post(reverse("accounts:register"), {"username": "аlice", "email": "x", "password": "p"}),
        Client().post(reverse("accounts:login"), {"username": "nobody", "password": "wrong"}),
        vendor.post(reverse("products:create"), {"title": "", "price": "0,1", "stock": "٣"}),
        buyer.post(reverse("wallets:withdraw"), {"address": "x", "amount": "0,1", "idempotency_key": "k"}),
        buyer.post(reverse("orders:cart-update", args=[1]), {"quantity": "２"}),
        Client(enforce_csrf_checks=True).post(reverse("accounts:login"), {"username": "x"}),  # the CSRF page
    ]
    for response in answers:
        assert response.status_code in (400, 403), response.status_code
        assert policy_of(response) == POLICY
        assert inline_code(response.content) == [], response.content.decode()[:500]


# the page cache and the signed-in header
def test_a_cached_anonymous_page_never_carries_the_signed_in_header_nor_the_reverse(market):
    detail = reverse("products:detail", args=[market.lamp])
    anonymous = Client()
    for expected in ("miss", "hit"):
        response = anonymous.get(detail)
        assert response["X-Page-Cache"] == expected
        assert "private" not in response.get("Cache-Control", "") and "no-store" not in response.get(
            "Cache-Control", ""
        )
        assert policy_of(response) == POLICY

    signed_in = Client()
    signed_in.force_login(market.buyer)
    response = signed_in.get(detail)
    assert "X-Page-Cache" not in response  # rendered for them, never the shared copy
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert policy_of(response) == POLICY

    again = anonymous.get(detail)
    assert again["X-Page-Cache"] == "hit" and "private" not in again.get("Cache-Control", "")
    assert b"Sign in" in again.content and b'class="nav-profile"' not in again.content


def test_every_answer_to_a_signed_in_person_is_private_redirects_and_refusals_too(market, order_in):
    buyer = Client()
    buyer.force_login(market.buyer)
    answers = [
        buyer.post(reverse("orders:cart-add"), {"product_id": market.lamp, "quantity": "1"}),  # 302
        buyer.post(reverse("orders:cart-add"), {"product_id": market.lamp, "quantity": "٣"}),  # 400
        buyer.get(reverse("orders:detail", args=["ORD-NOTHERE"])),  # 404
        buyer.get(reverse("ops:index")),  # 403 or to the second factor
        buyer.get(reverse("health-live")),
    ]
    for response in answers:
        assert {"private", "no-store"} <= {p.strip() for p in response["Cache-Control"].split(",")}, response


def test_a_listed_picture_stays_cacheable_for_signed_in_people_a_hidden_one_does_not(market, make_product, client):
    listed = make_product(market.vendor, title="Listed lamp", images=[upload(picture_bytes())])
    hidden = make_product(market.vendor, title="Hidden lamp", images=[upload(picture_bytes())], is_active=False)

    def picture(product_id):
        return reverse("products:image", args=[ProductImage.objects.get(product_id=product_id).pk])

    client.force_login(market.vendor)  # the vendor sees both
    assert client.get(picture(listed))["Cache-Control"] == "public, max-age=86400, immutable"
    assert {"private", "no-store"} <= {p.strip() for p in client.get(picture(hidden))["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= {
        p.strip() for p in client.get(reverse("products:detail", args=[listed]))["Cache-Control"].split(",")
    }


# the report endpoint
REPORT = reverse("csp-report")


@pytest.fixture
def report_log(caplog):
    import logging

    budget = next(f for f in logging.getLogger("marketplace.csp").filters if hasattr(f, "clear"))
    budget.clear()
    caplog.clear()
    yield lambda: [r for r in caplog.records if r.name == "marketplace.csp"]
    budget.clear()


def test_a_report_is_logged_once_as_a_warning_and_answered_204(report_log):
    body = (
        '{"csp-report": {"document-uri": "https://shop.example.com/products/", "violated-directive": "script-src",'
        ' "effective-directive": "script-src-elem", "blocked-uri": "inline", "line-number": 12,'
        ' "script-sample": "alert(1)\\n\\u001b[31m"}}'
    )
    response = Client(enforce_csrf_checks=True).post(REPORT, body, content_type="application/csp-report")
    assert response.status_code == 204 and response.content == b""
    (record,) = report_log()
    assert record.levelname == "WARNING" and "\n" not in record.getMessage() and "\x1b" not in record.getMessage()
    assert "directive=script-src-elem blocked=inline" in record.getMessage()
    assert "document=https://shop.example.com/products/" in record.getMessage() and "line=12" in record.getMessage()


def test_reports_from_the_reporting_api_are_read_too(report_log):
    body = (
        '[{"type": "csp-violation", "body": {"documentURL": "https://shop.example.com/", "effectiveDirective":'
        ' "style-src-attr", "blockedURL": "inline"}}, {"type": "deprecation", "body": {}}]'
    )
    assert Client().post(REPORT, body, content_type="application/reports+json").status_code == 204
    (record,) = report_log()
    assert "directive=style-src-attr" in record.getMessage()


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"", "application/csp-report"),
        (b"not json", "application/csp-report"),
        (b"\xff\xfe\x00garbage", "application/csp-report"),
        (b"[" * 50_000, "application/json"),
        (b'{"csp-report": "a string"}', "application/csp-report"),
        (b'{"csp-report": {"blocked-uri": {"nested": [1, 2, {"x": null}]}}}', "application/csp-report"),
        (b"[1, 2, 3]", "application/reports+json"),
        (b"a=1&b=2", "application/x-www-form-urlencoded"),
        (b'{"csp-report": {"blocked-uri": "' + b"x" * 2_000_000 + b'"}}', "application/csp-report"),
    ],
)
def test_junk_is_answered_204_never_a_500_and_logged_in_one_short_line(report_log, body, content_type):
    response = Client().post(REPORT, body, content_type=content_type)
    assert response.status_code == 204
    assert len(report_log()) <= 1
    assert all(len(r.getMessage()) < 2500 for r in report_log())


def test_only_posts_are_taken(client):
    assert client.get(REPORT).status_code == 405


def test_production_settings_send_the_same_policy_and_take_reports(tmp_path):
    """The policy, the report view and the log budgets are in base settings; production keeps them."""
    code = (
        "import json, logging\n"
        "from django.test import Client\n"
        "from marketplace.logging import LogBudget\n"
        "c = Client(HTTP_HOST='shop.example.com')\n"
        "r = c.get('/health/live', secure=True)\n"
        "body = json.dumps({'csp-report': {'blocked-uri': 'inline', 'effective-directive': 'style-src-attr'}})\n"
        "posted = c.post('/csp-report/', body, content_type='application/csp-report', secure=True)\n"
        "budgets = [n for n in ('marketplace.cache', 'marketplace.csp')"
        " if any(isinstance(f, LogBudget) for f in logging.getLogger(n).filters)]\n"
        "print(json.dumps({'policy': r['Content-Security-Policy'], 'report': posted.status_code,"
        " 'budgets': budgets}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="shop.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert {
        name: value.strip() for name, _, value in (p.strip().partition(" ") for p in answer["policy"].split(";"))
    } == POLICY
    assert answer["report"] == 204 and answer["budgets"] == ["marketplace.cache", "marketplace.csp"]
    assert '"CSP violation: directive=style-src-attr blocked=inline"' in result.stderr
