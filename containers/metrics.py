"""Prometheus metrics the composition root records, and a dict view of them.

In a multi-process server (``PROMETHEUS_MULTIPROC_DIR`` set before start) the values live in
per-process files and ``collect()`` reads them all, so figures add up across workers.

Every label takes its values from a closed set: view names from the URL conf (never a raw path),
status classes, service and method names from the code the runtime builds, a fixed list of
outcomes. Series exist only once something was counted in them, counters carry no ``_created``
twin, and histograms are kept coarse (per service, per URL namespace) while the per-view and
per-method figures are plain counters: docs/operations.md gives the resulting size.
"""

import os
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404
from modkit import Observer
from modkit.base import ModuleState
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)

from services.errors import ChainBackendError, NotificationError, ServiceError, ServiceUnavailable

# A ``_created`` timestamp per counter doubled the text and no dashboard reads it.
disable_created_metrics()

OUTCOMES = ("ok", "refused", "failed")
SERVICE_CALLS = Counter(
    "marketplace_service_calls_total",
    "Service method calls by outcome: ok, refused (not allowed, not found, bad input, conflict) or failed",
    ["service", "method", "outcome"],
)
SERVICE_SECONDS = Counter(
    "marketplace_service_seconds_total", "Time spent in each service method", ["service", "method"]
)
SERVICE_LATENCY = Histogram(
    "marketplace_service_latency_seconds",
    "Service call latency, per service",
    ["service"],
    buckets=(0.005, 0.025, 0.1, 0.5),
)
RELOADS = Counter("marketplace_reloads_total", "Hot reloads by kind, target and outcome", ["kind", "target", "outcome"])
MODULE_READY = Gauge(
    "marketplace_module_ready",
    "1 when the module serves, 0 otherwise",
    ["module"],
    multiprocess_mode="liveall",
)
MODULE_STATE = Gauge(
    "marketplace_module_state",
    "1 for the state each module is in (registered, ready, failed, stopped), per worker",
    ["module", "state"],
    multiprocess_mode="liveall",
)
MODULE_GENERATION = Gauge(
    "marketplace_module_generation",
    "The generation of each module's services a worker serves with",
    ["module"],
    multiprocess_mode="liveall",
)
RELOAD_DURATION = Histogram(
    "marketplace_reload_duration_seconds",
    "Time to build, check and swap in a reload, per worker",
    ["kind"],
    buckets=(0.01, 0.05, 0.25, 1, 5),
)

# The web layer: one label set per view name (the resolver's), never per raw path; latency
# quantiles per area (the view name's namespace), since a histogram per view would be most of the text.
HTTP_REQUESTS = Counter("marketplace_http_requests_total", "Requests by view name and method", ["view", "method"])
HTTP_SECONDS = Counter(
    "marketplace_http_request_seconds_total", "Time spent serving, by view name and method", ["view", "method"]
)
HTTP_LATENCY = Histogram(
    "marketplace_http_request_duration_seconds",
    "Request latency by area (the view name's namespace) and method",
    ["area", "method"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
HTTP_RESPONSES = Counter("marketplace_http_responses_total", "Responses by status class (2xx...5xx)", ["status"])
DB_QUERIES = Counter("marketplace_db_queries_total", "Database queries run while serving, by view name", ["view"])
DB_QUERIES_PER_REQUEST = Histogram(
    "marketplace_db_queries_per_request",
    "Database queries per request",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100),
)
CACHE_REQUESTS = Counter(
    "marketplace_cache_requests_total", "Cache reads by backend and result (hit, miss)", ["backend", "result"]
)

# Service errors that say no to the caller rather than that something broke.
_NOT_REFUSALS = (ServiceUnavailable, ChainBackendError, NotificationError)
_REFUSALS = (DjangoPermissionDenied, Http404, ValidationError)


def outcome(error: BaseException | None) -> str:
    """ok; refused (a ServiceError meaning not allowed, not found, bad input or conflict, or
    Django's PermissionDenied, Http404, ValidationError); failed (anything else)."""
    if error is None:
        return "ok"
    if isinstance(error, ServiceError) and not isinstance(error, _NOT_REFUSALS):
        return "refused"
    return "refused" if isinstance(error, _REFUSALS) else "failed"


def status_class(code: int) -> str:
    return f"{code // 100}xx" if 100 <= code <= 599 else "other"


def area(view: str) -> str:
    return view.split(":", 1)[0]


def registry():
    """The registry to read: every worker's files in multiprocess mode, this process otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged
    return REGISTRY


class TaskFigures:
    """The task queue's figures, read from the database at each scrape: they are the cluster's,
    not one process's, so they are not kept in any worker's counters."""

    def __init__(self, figures: Callable[[], dict]):
        self._figures = figures

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        try:
            figures = self._figures()
        except Exception:  # the database is down: /health says so; the other figures still go out
            return
        states = GaugeMetricFamily("marketplace_tasks", "Background tasks by state", labels=["state"])
        for state in ("queued", "running", "retrying", "succeeded", "failed"):
            states.add_metric([state], figures[state])
        yield states
        yield GaugeMetricFamily("marketplace_tasks_retried", "Tasks sent again at least once", value=figures["retried"])
        yield GaugeMetricFamily(
            "marketplace_tasks_oldest_waiting_seconds",
            "How long the oldest task due to run has waited",
            value=figures["oldest_waiting_seconds"],
        )
        if figures["broker_depth"] is not None:
            yield GaugeMetricFamily(
                "marketplace_task_queue_depth", "Messages waiting in the broker's queue", value=figures["broker_depth"]
            )


class _Forward:
    def __init__(self, registry):
        self._registry = registry

    def collect(self):
        return self._registry.collect()


def exposition_registry(*extra) -> CollectorRegistry:
    """What ``/metrics`` serves: every worker's figures, and ``extra`` collectors (the task queue's)."""
    merged = CollectorRegistry()
    merged.register(_Forward(registry()))
    for collector in extra:
        merged.register(collector)
    return merged


def samples(prefix: str = "marketplace_") -> list:
    out = []
    for family in registry().collect():
        if family.name.startswith(prefix):
            out.extend(family.samples)
    return out


def service_figures() -> dict:
    """Calls (ok, refused, failed) and mean latency per service and method, summed over every process."""
    figures: dict = {}
    for sample in samples("marketplace_service_"):
        service, method = sample.labels.get("service"), sample.labels.get("method")
        if not service or not method:
            continue
        svc = figures.setdefault(service, {"calls": 0, "refused": 0, "failed": 0, "methods": {}})
        row = svc["methods"].setdefault(method, {"calls": 0, "refused": 0, "failed": 0, "total_seconds": 0.0})
        if sample.name == "marketplace_service_calls_total":
            row["calls"] += int(sample.value)
            svc["calls"] += int(sample.value)
            kind = sample.labels.get("outcome")
            if kind in ("refused", "failed"):
                row[kind] += int(sample.value)
                svc[kind] += int(sample.value)
        elif sample.name == "marketplace_service_seconds_total":
            row["total_seconds"] += sample.value
    for svc in figures.values():
        for row in svc["methods"].values():
            row["mean_ms"] = round(row["total_seconds"] * 1000 / row["calls"], 3) if row["calls"] else 0.0
    return figures


def request_figures() -> dict:
    """Requests and mean latency per view and method, with its area's estimated p95; responses by status class."""
    views: dict = {}
    buckets: dict = {}
    statuses: dict = {}
    for sample in samples("marketplace_http_"):
        labels = sample.labels
        if sample.name == "marketplace_http_responses_total":
            statuses[labels["status"]] = statuses.get(labels["status"], 0) + int(sample.value)
        elif sample.name == "marketplace_http_request_duration_seconds_bucket":
            per_area = buckets.setdefault(f"{labels['area']} {labels['method']}", {})
            le = float(labels["le"])
            per_area[le] = per_area.get(le, 0) + sample.value
        elif "view" in labels:
            key = f"{labels['view']} {labels['method']}"
            row = views.setdefault(
                key, {"view": labels["view"], "method": labels["method"], "count": 0, "total_seconds": 0.0}
            )
            if sample.name == "marketplace_http_requests_total":
                row["count"] += int(sample.value)
            elif sample.name == "marketplace_http_request_seconds_total":
                row["total_seconds"] += sample.value
    for row in views.values():
        row["area"] = area(row["view"])
        row["mean_ms"] = round(row["total_seconds"] * 1000 / row["count"], 3) if row["count"] else 0.0
        row["p95_ms"] = _quantile_ms(buckets.get(f"{row['area']} {row['method']}", {}), 0.95)
    total = sum(row["count"] for row in views.values())
    return {
        "total": total,
        "server_errors": statuses.get("5xx", 0),
        "by_view": dict(sorted(views.items())),
        "by_status": dict(sorted(statuses.items())),
    }


def _quantile_ms(cumulative: dict, q: float) -> float | None:
    """The upper bound of the bucket holding the q-quantile (what Prometheus would interpolate)."""
    if not cumulative:
        return None
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]]
    if not total:
        return None
    for bound in bounds:
        if cumulative[bound] >= q * total:
            return None if bound == float("inf") else round(bound * 1000, 3)
    return None


def database_figures() -> dict:
    queries = requests = 0.0
    by_view: dict = {}
    for sample in samples("marketplace_db_"):
        if sample.name == "marketplace_db_queries_total":
            queries += sample.value
            view = sample.labels["view"]
            by_view[view] = by_view.get(view, 0) + int(sample.value)
        elif sample.name == "marketplace_db_queries_per_request_count":
            requests += sample.value
    return {
        "queries": int(queries),
        "per_request": round(queries / requests, 3) if requests else 0.0,
        "by_view": dict(sorted(by_view.items())),
    }


def cache_figures() -> dict:
    hits = misses = 0
    for sample in samples("marketplace_cache_"):
        if sample.name != "marketplace_cache_requests_total":
            continue
        if sample.labels["result"] == "hit":
            hits += int(sample.value)
        else:
            misses += int(sample.value)
    reads = hits + misses
    return {"hits": hits, "misses": misses, "hit_ratio": round(hits / reads, 4) if reads else None}


def reload_figures() -> dict:
    out: dict = {}
    for sample in samples("marketplace_reloads_"):
        if sample.name != "marketplace_reloads_total":
            continue
        key = f"{sample.labels['kind']}:{sample.labels['target']}"
        out.setdefault(key, {})[sample.labels["outcome"]] = int(sample.value)
    return out


class PrometheusObserver(Observer):
    """What the runtime reports, as the metrics above."""

    def service_method(self, service: str, method: str):
        # Series are made at the first call, not here: the runtime asks for every public method of
        # every service it builds, and most are never called in a given process.
        children: dict = {}

        def record(seconds: float, error: BaseException | None) -> None:
            kind = outcome(error)
            calls = children.get(kind)
            if calls is None:
                calls = children[kind] = SERVICE_CALLS.labels(service, method, kind)
            if "latency" not in children:
                children["seconds"] = SERVICE_SECONDS.labels(service, method)
                children["latency"] = SERVICE_LATENCY.labels(service)
            calls.inc()
            children["seconds"].inc(seconds)
            children["latency"].observe(seconds)

        return record

    def reload(self, kind: str, target: str, ok: bool, seconds: float) -> None:
        RELOADS.labels(kind, target, "ok" if ok else "failed").inc()
        RELOAD_DURATION.labels(kind).observe(seconds)

    def modules(self, states, generations) -> None:
        for name, state in states.items():
            MODULE_READY.labels(name).set(1 if state == ModuleState.READY else 0)
            for candidate in ModuleState:
                MODULE_STATE.labels(name, str(candidate)).set(1 if state == candidate else 0)
            MODULE_GENERATION.labels(name).set(generations.get(name, 0))
