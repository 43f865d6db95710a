"""Request metrics by view name (the resolver's ``view_name``, never the raw path) and status class.

Outermost after the request id, so the time covers every other middleware. Queries are counted
with a database execute wrapper on this request's connection: each thread has its own, so
concurrent requests never count each other's.
"""

import contextlib
import os
import socket
import time

from django.conf import settings
from django.db import connections

from containers.metrics import (
    DB_QUERIES,
    DB_QUERIES_PER_REQUEST,
    HTTP_LATENCY,
    HTTP_REQUESTS,
    HTTP_RESPONSES,
    HTTP_SECONDS,
    area,
    status_class,
)

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNRESOLVED = "<unresolved>"


class _QueryCounter:
    __slots__ = ("count",)

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return match.view_name or match._func_path


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.served_by = bool(getattr(settings, "MARKETPLACE_SERVED_BY_HEADER", False))
        self.host = socket.gethostname()

    def __call__(self, request):
        started = time.perf_counter()
        counter = _QueryCounter()
        with contextlib.ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(counter))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = view_name(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(view, method).inc()
        HTTP_SECONDS.labels(view, method).inc(elapsed)
        HTTP_LATENCY.labels(area(view), method).observe(elapsed)
        HTTP_RESPONSES.labels(status_class(response.status_code)).inc()
        DB_QUERIES.labels(view).inc(counter.count)
        DB_QUERIES_PER_REQUEST.observe(counter.count)
        if self.served_by:
            # Which process answered (host:pid): how tests and operators tell workers apart.
            response["X-Served-By"] = f"{self.host}:{os.getpid()}"
        return response


class ReloadListenerMiddleware:
    """Makes a serving process a cluster worker on its first request (fork-safe: per process).

    Under gunicorn the ``post_worker_init`` hook already did it; this covers other servers.
    Management commands never pass here, so they never listen.
    """

    def __init__(self, get_response):
        from containers import cluster

        self.get_response = get_response
        self.cluster = cluster

    def __call__(self, request):
        if not self.cluster.listening:
            self.cluster.start_listener()
        return self.get_response(request)
