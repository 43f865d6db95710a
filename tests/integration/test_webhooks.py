"""Webhooks through the real services, pages, task queue and a real HTTP receiver on 127.0.0.1:
registration rules (https, public addresses), the owner-only rule, signatures, retries after a
500, redelivery from the page, and who may see what."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketplace.tasks.models import TaskRun
from marketplace.webhooks.models import WebhookDelivery, WebhookEndpoint
from services.errors import ServiceError
from services.webhook_service import WebhookService, verify_signature
from tests.support.accounts import signed_in_recently

pytestmark = pytest.mark.django_db

ORDER_EVENTS = ["order.funded", "order.accepted", "order.shipped", "order.completed", "order.refunded"]
PUBLIC = "https://93.184.215.14/hooks"  # an address literal: no DNS needed to check it


class Receiver:
    """An HTTP server on 127.0.0.1 that records every request and answers the statuses it is
    told to, in order (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = outer.answers.pop(0) if outer.answers else 200
                reply = f"answer {status}".encode()
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self, path: str | None = None) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests if path is None or r["path"] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def local(marketplace_config):
    """http:// and 127.0.0.1 allowed, as for a receiver on a developer's machine (off by default)."""
    with marketplace_config(webhooks={"allow_http": True, "allow_private": True}, reload=["webhooks"]):
        yield


@pytest.fixture
def webhooks(container, clock):
    return container.webhooks.webhook_service()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``with run():`` as if the block committed: events handled, tasks sent, webhooks POSTed."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def endpoint(service, user, url, events, **extra) -> tuple[int, str]:
    made = service.register(user_id=user.pk, url=url, description=extra.get("description", ""), events=events)
    return made.endpoint_id, made.secret


def signed_in(user, *, recently=False) -> Client:
    client = Client()
    client.force_login(user)
    return signed_in_recently(client) if recently else client


# registration
@pytest.mark.parametrize(
    "url, message",
    [
        ("http://93.184.215.14/hooks", "must start with https://"),
        ("ftp://93.184.215.14/hooks", "must start with https://"),
        ("https://127.0.0.1:8443/hooks", "private or reserved address"),
        ("https://localhost/hooks", "private or reserved address"),
        ("https://10.1.2.3/hooks", "private or reserved address"),
        ("https://169.254.169.254/latest/meta-data/", "private or reserved address"),
        ("https://[::1]/hooks", "private or reserved address"),
        ("https://[::ffff:192.168.1.1]/hooks", "private or reserved address"),
        ("https://user:pass@93.184.215.14/hooks", "Leave the user name and password out"),
        ("https://93.184.215.14:99999/hooks", "Enter a valid URL"),
        ("https:///hooks", "Enter a valid URL"),
        ("https://93.184.215.14/a b", "without spaces"),
        ("", "Enter the URL"),
    ],
)
def test_only_https_urls_on_public_addresses_are_taken(webhooks, make_user, url, message):
    with pytest.raises(ServiceError) as refused:
        webhooks.register(user_id=make_user("ivy").pk, url=url, events=["order.shipped"])
    assert message in refused.value.errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_refused(container, clock, make_user):
    def resolve(host, port, **kwargs):
        return (
            [(2, 1, 6, "", ("10.0.0.5", port))]
            if host == "hooks.example.com"
            else [(2, 1, 6, "", ("93.184.215.14", port))]
        )

    service = WebhookService(clock=clock, tasks=container.core.task_service(), resolve=resolve)
    ivy = make_user("ivy")
    with pytest.raises(ServiceError, match="Check the endpoint") as refused:
        service.register(user_id=ivy.pk, url="https://hooks.example.com/in", events=["order.shipped"])
    assert "hooks.example.com points to a private or reserved address" in refused.value.errors["url"][0]
    assert service.register(user_id=ivy.pk, url="https://public.example.com/in", events=["order.shipped"])


def test_event_types_are_checked(webhooks, make_user):
    ivy = make_user("ivy")
    for events, message in (
        ([], "Choose at least one event type."),
        (["order.eaten"], "No such event type: order.eaten."),
    ):
        with pytest.raises(ServiceError) as refused:
            webhooks.register(user_id=ivy.pk, url=PUBLIC, events=events)
        assert refused.value.errors["events"] == [message]


def test_the_page_shows_form_errors_never_a_500(make_user):
    client = signed_in(make_user("ivy"), recently=True)
    page = client.post(reverse("webhooks:create"), {"url": "http://127.0.0.1/hooks", "events": ["order.shipped"]})
    assert page.status_code == 400 and "The URL must start with https://." in page.content.decode()
    page = client.post(reverse("webhooks:create"), {"url": "https://127.0.0.1/hooks", "events": ["order.shipped"]})
    assert page.status_code == 400 and "private or reserved address" in page.content.decode()
    page = client.post(reverse("webhooks:create"), {"url": PUBLIC, "events": ["order.eaten"]})
    assert page.status_code == 400 and "Select a valid choice" in page.content.decode()
    page = client.post(reverse("webhooks:create"), {"url": PUBLIC})
    assert page.status_code == 400 and "Choose at least one event type." in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_secret_is_shown_once_and_rotation_shows_the_new_one_once(make_user, clock):
    ivy = make_user("ivy")
    client = signed_in(ivy, recently=True)
    page = client.post(
        reverse("webhooks:create"), {"url": PUBLIC, "description": "Our ERP", "events": ["order.funded"]}
    )
    row = WebhookEndpoint.objects.get(owner=ivy)
    assert page.status_code == 200 and row.secret.startswith("whsec_") and len(row.secret) > 40
    assert row.secret in page.content.decode() and "private" in page["Cache-Control"]
    for url in (reverse("webhooks:list"), reverse("webhooks:detail", args=[row.pk])):
        shown = client.get(url)
        assert shown.status_code == 200 and PUBLIC in shown.content.decode()
        assert row.secret not in shown.content.decode()
    old = row.secret
    page = client.post(reverse("webhooks:rotate", args=[row.pk]))
    row.refresh_from_db()
    assert page.status_code == 200 and row.secret != old and row.secret in page.content.decode()
    assert old not in page.content.decode()


def test_making_an_endpoint_wants_a_recent_password(make_user):
    client = signed_in(make_user("ivy"))
    page = client.post(reverse("webhooks:create"), {"url": PUBLIC, "events": ["order.funded"]})
    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:reauth"))
    assert not WebhookEndpoint.objects.exists()


# deliveries
def test_order_events_reach_only_the_endpoints_of_the_buyer_and_the_vendor(
    local, receiver, webhooks, market, make_user, make_vendor, make_product, fund, place, order_service, run
):
    endpoint(webhooks, market.buyer, receiver.url + "/buyer", ORDER_EVENTS)
    endpoint(webhooks, market.vendor, receiver.url + "/vendor", ["order.funded", "order.shipped"])
    stranger = make_user("stranger")
    endpoint(webhooks, stranger, receiver.url + "/stranger", ORDER_EVENTS + ["product.sold_out"])
    rival = make_vendor("rival")
    endpoint(webhooks, rival, receiver.url + "/rival", ORDER_EVENTS + ["product.sold_out"])
    with run():
        ref = place(market.buyer, {market.lamp: 1})
        order_service.accept(actor_id=market.vendor.pk, reference=ref)
        order_service.ship(actor_id=market.vendor.pk, reference=ref, tracking_note="DHL 42")
        cancelled = place(market.buyer, {market.saw: 1})
        order_service.cancel(actor_id=market.buyer.pk, reference=cancelled)
        # Others' order, at another shop: none of the endpoints above may hear of it.
        fund(stranger, 500_000)
        place(stranger, {make_product(rival, title="Rival lamp", stock=9): 1})

    buyer = receiver.bodies("/buyer")
    assert [(b["type"], b["data"]["reference"]) for b in buyer] == [
        ("order.funded", ref),
        ("order.accepted", ref),
        ("order.shipped", ref),
        ("order.funded", cancelled),
        ("order.refunded", cancelled),
    ]
    assert {b["data"]["role"] for b in buyer} == {"buyer"}
    assert [b["type"] for b in receiver.bodies("/vendor")] == ["order.funded", "order.shipped", "order.funded"]
    assert {b["data"]["role"] for b in receiver.bodies("/vendor")} == {"vendor"}
    assert [b["type"] for b in receiver.bodies("/stranger")] == ["order.funded"]  # their own purchase only
    assert [b["type"] for b in receiver.bodies("/rival")] == ["order.funded"]  # their own sale only
    assert all(b["data"]["reference"] not in (ref, cancelled) for b in receiver.bodies("/stranger"))
    shipped = buyer[2]["data"]
    assert shipped == {
        "reference": ref,
        "role": "buyer",
        "action": "ship",
        "state": "shipped",
        "previous_state": "accepted",
        "total_sat": 120_000,
        "total_btc": "0.00120000",
        "note": "DHL 42",
    }
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_each_request_is_signed_and_verifies_against_the_body_received(local, receiver, webhooks, market, place, run):
    _, secret = endpoint(webhooks, market.vendor, receiver.url + "/in", ["order.funded"])
    with run():
        place(market.buyer, {market.lamp: 1})
    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    delivery = WebhookDelivery.objects.get()
    assert headers["Content-Type"] == "application/json" and headers["User-Agent"] == "marketplace-webhooks/1"
    assert headers["Webhook-Id"] == str(delivery.uuid) == json.loads(body)["id"]
    stamp, signature = headers["Webhook-Timestamp"], headers["Webhook-Signature"]
    assert signature.startswith("v1=") and len(signature) == 3 + 64
    now = int(stamp)
    assert verify_signature(secret, stamp, body, signature, now=now)
    assert verify_signature(secret, stamp, body.decode(), f"v1={'0' * 64} {signature}", now=now + 299)
    assert not verify_signature(secret, stamp, body.replace(b"120000", b"990000"), signature, now=now)  # tampered
    assert not verify_signature(secret, stamp, body, signature, now=now + 301)  # stale: a replay
    assert not verify_signature(secret, str(now + 1), body, signature, now=now)  # another time
    assert not verify_signature("whsec_other", stamp, body, signature, now=now)
    assert not verify_signature(secret, stamp, body, signature.replace("v1=", "v2="), now=now)
    assert not verify_signature(secret, "", body, signature, now=now)
    assert json.loads(body)["created"].endswith("+00:00")


def test_a_500_is_retried_with_back_off_and_the_same_body_then_succeeds(
    local, receiver, webhooks, market, place, container, clock, run
):
    endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
    receiver.answers = [500]
    with run():
        place(market.buyer, {market.lamp: 1})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.response_body == "answer 500"
    task = TaskRun.objects.get(name="webhooks.deliver")
    assert task.status == "retrying" and "answered 500" in task.last_error

    tasks = container.core.task_service()
    clock.advance(seconds=tasks.backoff(1))
    with run():
        assert tasks.run(str(task.pk)).status == "succeeded"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 2, 200)
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["headers"]["Webhook-Id"] == second["headers"]["Webhook-Id"]
    assert int(second["headers"]["Webhook-Timestamp"]) - int(first["headers"]["Webhook-Timestamp"]) == 10


def test_redirects_are_not_followed(local, receiver, webhooks, market, place, run):
    endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
    receiver.answers = [302]
    with run():
        place(market.buyer, {market.lamp: 1})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("pending", 302) and len(receiver.requests) == 1


def test_a_private_address_is_refused_when_connecting_too(
    local, marketplace_config, receiver, webhooks, market, place, run
):
    """Registered while allowed; once not, nothing reaches it, over http or https (the check is on
    the address connected to, so a name that later resolves inside is caught the same way)."""
    endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
    endpoint(webhooks, market.buyer, receiver.url.replace("http:", "https:") + "/tls", ["order.funded"])
    with marketplace_config(webhooks={"allow_http": True, "allow_private": False}, reload=["webhooks"]):
        with run():
            place(market.buyer, {market.lamp: 1})
    for delivery in WebhookDelivery.objects.all():
        assert delivery.status == "pending" and delivery.response_code is None
        assert delivery.response_body.startswith("ConnectionRefusedError: refused to connect to 127.0.0.1")
        assert "127.0.0.1 is not a public address" in delivery.response_body
    assert WebhookDelivery.objects.count() == 2 and receiver.requests == []


def test_https_is_verified(local, receiver, webhooks, market, place, run):
    endpoint(webhooks, market.buyer, receiver.url.replace("http:", "https:") + "/tls", ["order.funded"])
    with run():
        place(market.buyer, {market.lamp: 1})
    delivery = WebhookDelivery.objects.get()  # the receiver speaks plain HTTP: no TLS handshake
    assert delivery.status == "pending" and delivery.response_body.startswith("SSLError")
    assert receiver.requests == []


def test_a_failed_delivery_is_redelivered_from_the_page_by_its_owner_only(
    marketplace_config, receiver, market, make_user, place, run, container, clock
):
    with marketplace_config(
        webhooks={"allow_http": True, "allow_private": True, "max_attempts": 1}, reload=["webhooks"]
    ):
        webhooks = container.webhooks.webhook_service()
        endpoint_id, _ = endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
        receiver.answers = [503]
        with run():
            place(market.buyer, {market.lamp: 1})
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 503)
        url = reverse("webhooks:redeliver", args=[endpoint_id, delivery.pk])

        other = signed_in(make_user("mallory"), recently=True)
        assert other.post(url).status_code == 404
        owner = signed_in(market.buyer)
        page = owner.get(reverse("webhooks:detail", args=[endpoint_id]))
        assert f'id="delivery-{delivery.pk}" data-status="failed"' in page.content.decode() and url in (
            page.content.decode()
        )
        assert owner.get(url).status_code == 405
        with run():
            answer = owner.post(url)
        assert answer.status_code == 302 and answer["Location"] == reverse("webhooks:detail", args=[endpoint_id])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 2, 200)
    assert len(receiver.requests) == 2 and receiver.bodies()[0] == receiver.bodies()[1]
    again = owner.get(reverse("webhooks:detail", args=[endpoint_id])).content.decode()
    assert 'data-status="succeeded"' in again


def test_another_user_never_reaches_an_endpoint_or_its_deliveries(webhooks, market, make_user):
    endpoint_id, secret = endpoint(webhooks, market.vendor, PUBLIC, ["order.funded"])
    delivery = WebhookDelivery.objects.create(
        endpoint_id=endpoint_id, event_type="order.funded", body="{}", status="failed", created_at=timezone.now()
    )
    mallory = signed_in(make_user("mallory"), recently=True)
    assert PUBLIC not in mallory.get(reverse("webhooks:list")).content.decode()
    refused = [
        mallory.get(reverse("webhooks:detail", args=[endpoint_id])),
        mallory.post(reverse("webhooks:rotate", args=[endpoint_id])),
        mallory.post(reverse("webhooks:active", args=[endpoint_id]), {"active": "0"}),
        mallory.post(reverse("webhooks:delete", args=[endpoint_id])),
        mallory.post(reverse("webhooks:redeliver", args=[endpoint_id, delivery.pk])),
    ]
    assert [r.status_code for r in refused] == [404] * 5
    row = WebhookEndpoint.objects.get(pk=endpoint_id)
    assert row.is_active and row.secret == secret
    assert WebhookDelivery.objects.get().status == "failed" and not TaskRun.objects.exists()
    anonymous = Client().get(reverse("webhooks:detail", args=[endpoint_id]))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    # and the owner's own, for contrast
    vendor = signed_in(market.vendor)
    assert vendor.get(reverse("webhooks:detail", args=[endpoint_id])).status_code == 200
    # Another owner's delivery under one's own endpoint's URL is no way round it.
    own_id, _ = endpoint(webhooks, market.buyer, PUBLIC, ["order.funded"])
    buyer = signed_in(market.buyer)
    assert buyer.post(reverse("webhooks:redeliver", args=[own_id, delivery.pk])).status_code == 404


def test_disabled_and_deleted_endpoints_receive_nothing(local, receiver, webhooks, market, place, run):
    endpoint_id, _ = endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
    vendor_id, _ = endpoint(webhooks, market.vendor, receiver.url + "/vendor", ["order.funded"])
    owner = signed_in(market.buyer)
    assert owner.post(reverse("webhooks:active", args=[endpoint_id]), {"active": "maybe"}).status_code == 400
    assert owner.post(reverse("webhooks:active", args=[endpoint_id]), {"active": "0"}).status_code == 302
    assert signed_in(market.vendor).post(reverse("webhooks:delete", args=[vendor_id])).status_code == 302
    with run():
        place(market.buyer, {market.lamp: 1})
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()
    assert WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=False).exists()
    assert not WebhookEndpoint.objects.filter(pk=vendor_id).exists()


def test_a_sale_of_the_last_one_tells_the_vendor_it_sold_out(
    local, receiver, webhooks, market, place, order_service, run
):
    endpoint(webhooks, market.vendor, receiver.url + "/vendor", ["product.sold_out"])
    endpoint(webhooks, market.buyer, receiver.url + "/buyer", ["product.sold_out"])  # not their product
    with run():
        place(market.buyer, {market.saw: 2})  # 3 in stock: one left
    assert receiver.requests == []
    with run():
        ref = place(market.buyer, {market.saw: 1})
    (sold_out,) = receiver.bodies()
    assert receiver.requests[0]["path"] == "/vendor"
    assert sold_out["type"] == "product.sold_out"
    assert sold_out["data"] == {"product_id": market.saw, "title": "Japanese pull saw", "stock": 0}
    with run():  # given back, and bought again: sold out again
        order_service.decline(actor_id=market.vendor.pk, reference=ref)
        place(market.buyer, {market.saw: 1})
    assert [b["type"] for b in receiver.bodies("/vendor")] == ["product.sold_out", "product.sold_out"]


def test_health_reports_the_last_hours_figures(local, receiver, webhooks, market, place, run, runtime):
    endpoint(webhooks, market.buyer, receiver.url + "/in", ["order.funded"])
    with run():
        place(market.buyer, {market.lamp: 1})
    health = runtime.modules.get("webhooks").get_module_health()
    assert health["status"] == "UP"
    assert health["checks"]["deliveries"]["detail"] == {
        "active_endpoints": 1,
        "pending": 0,
        "succeeded_last_hour": 1,
        "failed_last_hour": 0,
    }
    assert type(runtime.modules.get("webhooks")).critical is False  # never makes the system DOWN
