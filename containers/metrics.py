"""Prometheus metrics the composition root records, and a dict view of them.

In a multi-process server (``PROMETHEUS_MULTIPROC_DIR`` set before start) the values live in
per-process files and ``collect()`` reads them all, so figures add up across workers.
"""

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess

SERVICE_CALLS = Counter(
    "marketplace_service_calls_total", "Service method calls", ["service", "method"]
)
SERVICE_ERRORS = Counter(
    "marketplace_service_errors_total", "Service method calls that raised", ["service", "method"]
)
SERVICE_LATENCY = Histogram(
    "marketplace_service_latency_seconds",
    "Service method latency",
    ["service", "method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
RELOADS = Counter(
    "marketplace_reloads_total", "Hot reloads by kind, target and outcome", ["kind", "target", "outcome"]
)
MODULE_READY = Gauge(
    "marketplace_module_ready",
    "1 when the module serves, 0 otherwise",
    ["module"],
    multiprocess_mode="liveall",
)


def registry():
    """The registry to read: every worker's files in multiprocess mode, this process otherwise."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)
        return merged
    return REGISTRY


def samples(prefix: str = "marketplace_") -> list:
    out = []
    for family in registry().collect():
        if family.name.startswith(prefix):
            out.extend(family.samples)
    return out


def service_figures() -> dict:
    """Calls, errors and mean latency per service and method, summed over every process."""
    figures: dict = {}
    for sample in samples("marketplace_service_"):
        service, method = sample.labels.get("service"), sample.labels.get("method")
        if not service:
            continue
        svc = figures.setdefault(service, {"calls": 0, "errors": 0, "methods": {}})
        row = svc["methods"].setdefault(method, {"calls": 0, "errors": 0, "total_seconds": 0.0})
        if sample.name == "marketplace_service_calls_total":
            row["calls"] += int(sample.value)
            svc["calls"] += int(sample.value)
        elif sample.name == "marketplace_service_errors_total":
            row["errors"] += int(sample.value)
            svc["errors"] += int(sample.value)
        elif sample.name == "marketplace_service_latency_seconds_sum":
            row["total_seconds"] += sample.value
    for svc in figures.values():
        for row in svc["methods"].values():
            row["mean_ms"] = round(row["total_seconds"] * 1000 / row["calls"], 3) if row["calls"] else 0.0
    return figures


def reload_figures() -> dict:
    out: dict = {}
    for sample in samples("marketplace_reloads_"):
        if sample.name != "marketplace_reloads_total":
            continue
        key = f"{sample.labels['kind']}:{sample.labels['target']}"
        out.setdefault(key, {})[sample.labels["outcome"]] = int(sample.value)
    return out
