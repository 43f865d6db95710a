"""Webhooks: a user's own events, POSTed as signed JSON to the URLs they registered.

``handle`` (subscribed to ``orders.changed`` and ``products.sold_out``, so it runs after the
publishing transaction commits) writes one ``WebhookDelivery`` per matching endpoint and the task
that sends it, ``webhooks.deliver``, together. An endpoint hears only of its owner's objects:
orders they bought or sold, products of their shop. ``deliver`` POSTs the stored body, signed
(``sign``; receivers check with ``verify_signature``), and raises on anything but a 2xx, so the
task queue retries it with back-off. Every page asks through the owner: another user's endpoint
or delivery is ``NotFound``, exactly as one that never existed.

Addresses: ``https://`` only (``allow_http`` for local testing), and never one that resolves to
a loopback, private, link-local or otherwise non-public address (``allow_private`` for tests).
The address is checked when an endpoint is registered, for a clear form error, and again on
every connection, on the very address connected to, so a name that resolves elsewhere later
(DNS rebinding) still reaches nothing inside. Redirects are not followed, for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from marketplace.webhooks.models import WebhookDelivery, WebhookEndpoint
from services import order_states as states
from services.errors import Conflict, NotFound, ServiceError
from services.money import format_btc
from services.text_rules import clean_text, text_errors

if TYPE_CHECKING:
    from services.ports import Clock
    from services.task_service import TaskService

log = logging.getLogger(__name__)

# Marked, not translated here: the names are the API's; the forms show each text translated.
EVENT_TYPES = {
    "order.funded": gettext_noop("An order was paid into escrow"),
    "order.accepted": gettext_noop("The vendor accepted an order"),
    "order.shipped": gettext_noop("The vendor shipped an order"),
    "order.completed": gettext_noop("An order completed: the payment went to the vendor"),
    "order.disputed": gettext_noop("A dispute was opened on an order"),
    "order.refunded": gettext_noop("An order was cancelled, declined or not accepted in time: the buyer was refunded"),
    "product.sold_out": gettext_noop("A sale took the last of a product's stock"),
}
# The order state an ``orders.changed`` event moved to -> the event type it is delivered as.
# A dispute's ruling (RESOLVED) is none of them: its payload does not say who got the money.
ORDER_EVENTS = {
    states.FUNDED: "order.funded",
    states.ACCEPTED: "order.accepted",
    states.SHIPPED: "order.shipped",
    states.COMPLETED: "order.completed",
    states.DISPUTED: "order.disputed",
    states.CANCELLED: "order.refunded",
    states.DECLINED: "order.refunded",
    states.EXPIRED: "order.refunded",
}
TOPICS = ("orders.changed", "products.sold_out")
USER_AGENT = "marketplace-webhooks/1"
URL_MAX = 500
DESCRIPTION_MAX = 200
EXCERPT_MAX = 500  # of the receiver's answer (or the error) kept on the delivery
_FAILED = Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED))


@dataclass(frozen=True)
class EndpointRow:
    id: int
    url: str
    description: str
    events: tuple[str, ...]
    is_active: bool
    created_at: datetime
    failed: int  # its deliveries that failed for good (and were not sent again since)


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    uuid: str
    event_type: str
    status: str
    status_label: str
    attempts: int
    response_code: int | None
    response_body: str
    created_at: datetime
    last_attempt_at: datetime | None

    @property
    def can_redeliver(self) -> bool:
        return self.status != WebhookDelivery.Status.PENDING


@dataclass(frozen=True)
class NewSecret:
    """Returned once, when an endpoint is made or its secret rotated: the only time it is shown."""

    endpoint_id: int
    secret: str


class DeliveryFailed(RuntimeError):
    """The receiver did not take it (the task queue tries again later)."""


# signatures: what receivers copy (docs/webhooks.md)
def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``Webhook-Signature`` header: ``v1=`` and the hex HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes | str, header: str, tolerance: int = 300, *, now: float | None = None
) -> bool:
    """True when ``header`` (Webhook-Signature) signs ``body`` with ``secret`` at ``timestamp``
    (Webhook-Timestamp), and that time is within ``tolerance`` seconds of ``now`` (the clock).

    Pure, with no dependency but the standard library. ``body`` is the request body exactly as
    received, before any JSON parsing. The header may carry several space-separated ``v1=``
    signatures; one match is enough. A stale timestamp is refused, so a captured request cannot
    be replayed later; deduplicate what arrives twice by its Webhook-Id.
    """
    stamp = str(timestamp).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = sign(secret, stamp, body)
    return any(hmac.compare_digest(part, expected) for part in (header or "").split() if part.startswith("v1="))


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def address_refusal(address: str) -> str | None:
    """Why a webhook may not go to this IP address (loopback, private, link-local...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") names no host
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return _("%(address)s is not a public address") % {"address": address}
    return None


class WebhookService:
    def __init__(
        self,
        *,
        clock: Clock,
        tasks: TaskService,
        allow_http: bool = False,
        allow_private: bool = False,
        timeout_seconds: float = 10,
        max_attempts: int = 6,
        max_endpoints: int = 10,
        recent_deliveries: int = 25,
        resolve=socket.getaddrinfo,
    ):
        for name, value in (("allow_http", allow_http), ("allow_private", allow_private)):
            if not isinstance(value, bool):
                raise ValueError(f"webhooks.{name} must be true or false, not {value!r}")
        self._clock = clock
        self._tasks = tasks
        self._resolve = resolve
        self.allow_http = allow_http
        self.allow_private = allow_private
        self.timeout_seconds = float(timeout_seconds)
        self.max_attempts = int(max_attempts)
        self.max_endpoints = int(max_endpoints)
        self.recent_deliveries = int(recent_deliveries)
        if not 0 < self.timeout_seconds <= 60 or self.max_attempts < 1 or self.max_endpoints < 1:
            raise ValueError("webhooks: timeout_seconds must be in (0, 60], max_attempts and max_endpoints >= 1")

    def get_required_config(self) -> dict:
        return {
            "allow_http": self.allow_http,
            "allow_private": self.allow_private,
            "timeout_seconds": self.timeout_seconds,
            "max_attempts": self.max_attempts,
            "max_endpoints": self.max_endpoints,
        }

    # the owner's pages
    def endpoints(self, *, user_id: int) -> list[EndpointRow]:
        rows = WebhookEndpoint.objects.filter(owner_id=user_id).annotate(failed=_FAILED).order_by("-id")
        return [_endpoint_row(e) for e in rows]

    def endpoint(self, *, user_id: int, endpoint_id: int) -> EndpointRow:
        self._own(user_id, endpoint_id)
        return _endpoint_row(WebhookEndpoint.objects.annotate(failed=_FAILED).get(pk=endpoint_id))

    def deliveries(self, *, user_id: int, endpoint_id: int) -> list[DeliveryRow]:
        endpoint = self._own(user_id, endpoint_id)
        rows = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")[: self.recent_deliveries]
        return [_delivery_row(d) for d in rows]

    def register(self, *, user_id: int, url: str, description: str = "", events=()) -> NewSecret:
        url, description, events = self._validated(url, description, events)
        if WebhookEndpoint.objects.filter(owner_id=user_id).count() >= self.max_endpoints:
            raise Conflict(
                _("You have %(count)s endpoints already, the most allowed: delete one first.")
                % {"count": self.max_endpoints}
            )
        now = self._clock.now()
        secret = new_secret()
        endpoint = WebhookEndpoint.objects.create(
            owner_id=user_id,
            url=url,
            description=description,
            events=events,
            secret=secret,
            created_at=now,
            updated_at=now,
        )
        log.info("webhook endpoint %s registered by user %s for %s", endpoint.pk, user_id, ", ".join(events))
        return NewSecret(endpoint.pk, secret)

    def rotate_secret(self, *, user_id: int, endpoint_id: int) -> NewSecret:
        """A new secret at once; deliveries sent from now on (retries too) are signed with it."""
        endpoint = self._own(user_id, endpoint_id)
        secret = new_secret()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret, updated_at=self._clock.now())
        return NewSecret(endpoint.pk, secret)

    def set_active(self, *, user_id: int, endpoint_id: int, active: bool) -> None:
        endpoint = self._own(user_id, endpoint_id)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=bool(active), updated_at=self._clock.now())

    def delete(self, *, user_id: int, endpoint_id: int) -> None:
        """The endpoint and its deliveries; a send still queued for it finds nothing and stops."""
        self._own(user_id, endpoint_id).delete()

    def redeliver(self, *, user_id: int, endpoint_id: int, delivery_id: int) -> None:
        """Send one of the endpoint's deliveries again: the same id and body, signed anew."""
        endpoint = self._own(user_id, endpoint_id)
        delivery = None
        if isinstance(delivery_id, int):
            delivery = WebhookDelivery.objects.filter(pk=delivery_id, endpoint=endpoint).first()
        if delivery is None:
            raise NotFound(_("No such delivery."))
        if not endpoint.is_active:
            raise Conflict(_("This endpoint is disabled: enable it before sending to it again."))
        with transaction.atomic():
            queued = WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=WebhookDelivery.Status.PENDING)
            # Conditional, so two clicks (or a delivery still being retried) never send it twice at once.
            if not queued.update(
                status=WebhookDelivery.Status.PENDING, attempt_limit=delivery.attempts + self.max_attempts
            ):
                raise Conflict(_("This delivery is being sent already."))
            self._tasks.enqueue("webhooks.deliver", max_attempts=self.max_attempts, delivery_id=delivery.pk)

    # events, after their transaction committed
    def handle(self, topic: str, payload: dict) -> None:
        found = _event(topic, payload)
        if found is None:
            return
        event_type, owners = found
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(
                owner_id__in=owners, owner__is_active=True, is_active=True
            ).order_by("pk")
            if event_type in e.events
        ]
        if not endpoints:
            return
        now = self._clock.now()
        with transaction.atomic():
            for endpoint in endpoints:
                delivery = WebhookDelivery(
                    endpoint=endpoint,
                    event_type=event_type,
                    created_at=now,
                    attempt_limit=self.max_attempts,
                )
                body = {
                    "id": str(delivery.uuid),
                    "type": event_type,
                    "created": now.isoformat(timespec="seconds"),
                    "data": _data(topic, payload, endpoint.owner_id),
                }
                delivery.body = json.dumps(body, separators=(",", ":"))
                delivery.save()
                self._tasks.enqueue("webhooks.deliver", max_attempts=self.max_attempts, delivery_id=delivery.pk)

    # the task
    def deliver(self, *, delivery_id: int) -> None:
        """POST one delivery; raises unless the receiver answered 2xx (the queue retries). A
        delivery already made, or whose endpoint was deleted since, is left alone."""
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
        if delivery.status == WebhookDelivery.Status.SUCCEEDED:
            log.info("webhook delivery %s was already made", delivery.uuid)
            return
        endpoint = delivery.endpoint
        if not endpoint.is_active:  # disabled since: not sent, and not worth retrying
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.FAILED,
                response_code=None,
                response_body="Not sent: the endpoint is disabled.",
            )
            return
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(delivery.uuid),
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign(endpoint.secret, timestamp, delivery.body),
        }
        try:
            refusal = self._url_refusal(endpoint.url, resolve=False)  # the settings may have changed since
            if refusal:
                raise ValueError(refusal)
            code, text = self._post(endpoint.url, delivery.body.encode(), headers)
        except Exception as exc:  # refused, unreachable, timed out: all worth another try later
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            said = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
            self._record(delivery, None, said, ok=False)
            raise DeliveryFailed(f"webhook {delivery.uuid} to {endpoint.url}: {reason}") from exc
        ok = 200 <= code < 300
        self._record(delivery, code, text, ok=ok)
        if not ok:
            raise DeliveryFailed(f"webhook {delivery.uuid} to {endpoint.url}: answered {code}")

    def figures(self, *, hours: int = 1) -> dict:
        since = self._clock.now() - timedelta(hours=hours)
        recent = WebhookDelivery.objects.filter(last_attempt_at__gte=since).aggregate(
            succeeded=Count("pk", filter=Q(status=WebhookDelivery.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=WebhookDelivery.Status.FAILED)),
        )
        return {
            "active_endpoints": WebhookEndpoint.objects.filter(is_active=True).count(),
            "pending": WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).count(),
            "succeeded_last_hour": recent["succeeded"],
            "failed_last_hour": recent["failed"],
        }

    # helpers
    def _own(self, user_id: int, endpoint_id: int) -> WebhookEndpoint:
        endpoint = None
        if isinstance(endpoint_id, int):
            endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, owner_id=user_id).first()
        if endpoint is None:
            raise NotFound(_("No such endpoint."))
        return endpoint

    def _validated(self, url, description, events) -> tuple[str, str, list[str]]:
        errors: dict[str, list[str]] = {}
        url = (url or "").strip() if isinstance(url, str) else ""
        why = self._url_refusal(url, resolve=True)
        if why:
            errors["url"] = [why]
        description = clean_text(description if isinstance(description, str) else "")
        if problems := text_errors(description, max_length=DESCRIPTION_MAX):
            errors["description"] = problems
        asked = {e for e in (events or ()) if isinstance(e, str)}
        chosen = [e for e in EVENT_TYPES if e in asked]
        unknown = sorted(asked - set(EVENT_TYPES))
        if unknown:
            errors["events"] = [_("No such event type: %(name)s.") % {"name": unknown[0]}]
        elif not chosen:
            errors["events"] = [_("Choose at least one event type.")]
        if errors:
            raise ServiceError(_("Check the endpoint's details."), errors=errors)
        return url, description, chosen

    def _url_refusal(self, url: str, *, resolve: bool) -> str | None:
        """Why this URL cannot be an endpoint, in words for the form; None when it can."""
        if not url:
            return _("Enter the URL to send events to.")
        if len(url) > URL_MAX:
            return ngettext("At most %(count)s character.", "At most %(count)s characters.", URL_MAX) % {
                "count": URL_MAX
            }
        if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
            return _("Enter the URL without spaces or special characters (punycode for international names).")
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return _("Enter a valid URL, such as https://example.com/webhooks.")
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            return _("The URL must start with https://.")
        if not parts.hostname:
            return _("Enter a valid URL, such as https://example.com/webhooks.")
        if parts.username or parts.password:
            return _("Leave the user name and password out of the URL: the signature proves who sent it.")
        if parts.fragment:
            return _("Leave the #fragment out of the URL: it is never sent.")
        if self.allow_private or not resolve:
            return None
        try:
            addresses = self._addresses(parts.hostname, port)
        except OSError:
            return _("We could not find %(host)s: check the host name.") % {"host": parts.hostname}
        for address in addresses:
            if why := address_refusal(address):
                return _("%(host)s points to a private or reserved address (%(why)s): use a public one.") % {
                    "host": parts.hostname,
                    "why": why,
                }
        return None

    def _addresses(self, host: str, port: int) -> list[str]:
        return sorted({info[4][0] for info in self._resolve(host, port, type=socket.SOCK_STREAM)})

    def _connect(self, address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
        """``socket.create_connection``, refusing (before any byte is sent) a host whose address is
        not public: checked on what is connected to, not on an earlier answer of the DNS."""
        host, port = address
        addresses = self._addresses(host, port)
        if not self.allow_private:
            for ip in addresses:
                if why := address_refusal(ip):
                    raise ConnectionRefusedError(f"refused to connect to {host}: {why}")
        failure: OSError = OSError(f"no address for {host}")
        for ip in addresses:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as exc:
                failure = exc
        raise failure

    def _post(self, url: str, body: bytes, headers: dict) -> tuple[int, str]:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # straight to the receiver: the address check is on it
            _NoRedirects(),
            _GuardedHTTP(self._connect),
            _GuardedHTTPS(self._connect),
        )
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with opener.open(request, timeout=self.timeout_seconds) as answer:
                return answer.status, _excerpt(answer)
        except urllib.error.HTTPError as answer:  # a 3xx, 4xx or 5xx: an answer all the same
            with answer:
                return answer.code, _excerpt(answer)

    def _record(self, delivery: WebhookDelivery, code: int | None, text: str, *, ok: bool) -> None:
        attempts = delivery.attempts + 1
        if ok:
            status = WebhookDelivery.Status.SUCCEEDED
        elif attempts >= delivery.attempt_limit:
            status = WebhookDelivery.Status.FAILED
        else:
            status = WebhookDelivery.Status.PENDING  # the queue tries again
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status,
            attempts=attempts,
            response_code=code,
            response_body=text[:EXCERPT_MAX],
            last_attempt_at=self._clock.now(),
        )
        if not ok:
            log.warning(
                "webhook delivery %s to %s failed (attempt %s): %s",
                delivery.uuid,
                delivery.endpoint.url,
                attempts,
                text[:200],
            )


# urllib, made to connect only through WebhookService._connect and never to follow a redirect
def _guarded(base: type[http.client.HTTPConnection], connect):
    def make(host, **kwargs):
        connection = base(host, **kwargs)
        connection._create_connection = connect  # what HTTPConnection.connect() opens its socket with
        return connection

    return make


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, connect):
        super().__init__()
        self._connect = connect

    def http_open(self, req):
        return self.do_open(_guarded(http.client.HTTPConnection, self._connect), req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, connect):
        super().__init__()
        self._connect = connect

    def https_open(self, req):
        return self.do_open(_guarded(http.client.HTTPSConnection, self._connect), req, context=self._context)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx is the answer: a redirect could lead anywhere, inside too


def _excerpt(answer) -> str:
    try:
        return answer.read(EXCERPT_MAX * 4).decode("utf-8", "replace")[:EXCERPT_MAX]
    except Exception as exc:  # the status is what counts; a body cut short is no failure
        return f"(the body could not be read: {type(exc).__name__})"


# events
def _event(topic: str, p: dict) -> tuple[str, set[int]] | None:
    """(event type, the users whose endpoints may hear of it) or None."""
    if topic == "orders.changed":
        event_type = ORDER_EVENTS.get(p.get("to_state"))
        owners = {p.get("buyer_id"), p.get("vendor_user_id")}
    elif topic == "products.sold_out":
        event_type, owners = "product.sold_out", {p.get("vendor_user_id")}
    else:
        return None
    owners = {o for o in owners if isinstance(o, int)}
    return (event_type, owners) if event_type and owners else None


def _data(topic: str, p: dict, owner_id: int) -> dict:
    if topic == "products.sold_out":
        return {"product_id": p["product_id"], "title": p.get("title", ""), "stock": 0}
    total = int(p.get("total_sat") or 0)
    return {
        "reference": p["reference"],
        "role": "buyer" if owner_id == p.get("buyer_id") else "vendor",  # the endpoint owner's part in it
        "action": p.get("action"),
        "state": p.get("to_state"),
        "previous_state": p.get("from_state") or None,
        "total_sat": total,
        "total_btc": format_btc(total),
        "note": p.get("note") or "",
    }


def _endpoint_row(e: WebhookEndpoint) -> EndpointRow:
    events = tuple(x for x in EVENT_TYPES if x in (e.events or ()))
    return EndpointRow(e.pk, e.url, e.description, events, e.is_active, e.created_at, e.failed)


def _delivery_row(d: WebhookDelivery) -> DeliveryRow:
    return DeliveryRow(
        d.pk,
        str(d.uuid),
        d.event_type,
        d.status,
        d.get_status_display(),
        d.attempts,
        d.response_code,
        d.response_body,
        d.created_at,
        d.last_attempt_at,
    )
