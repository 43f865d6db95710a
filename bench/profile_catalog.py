"""Where a page's time goes: one process, the page cache off (or on), its queries, cProfile.

    .venv/bin/python bench/profile_catalog.py [--path /products/] [--requests 200] [--products 500] [--top 30]
                                              [--signed-in] [--page-cache]

Builds the same throw-away state as bench/catalog.py (SQLite under a temporary directory unless
DATABASE_URL is set, a private redis-server, production settings), then calls the WSGI application
in this process, as a gunicorn worker does (so the database connection is opened per request when
the settings say so, and Prometheus runs in multiprocess mode), with MARKETPLACE_PAGE_CACHE_SECONDS=0:

* the CPU time per request of ``--path`` and of ``/bench/minimal`` (the floor, same run), median of
  batches, without the profiler, and their ratio;
* ``--path`` under cProfile: the top functions by own and by cumulative time.

``--signed-in`` sends a buyer's session cookie with every request (bench/signed_in.py's buyer);
``--page-cache`` leaves the page cache on, to profile a hit. One request's SQL is printed first.

CPU time, not wall time: other work on a shared machine slows the wall clock, not this process's CPU.
"""

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.catalog import environment, prepare  # noqa: E402
from bench.signed_in import add_buyers  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402


def caller(application, path: str, cookie: str = ""):
    route, _, query = path.partition("?")

    def call() -> int:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            **({"HTTP_COOKIE": cookie} if cookie else {}),
        }
        status = []
        body = application(environ, lambda line, headers: status.append(line))
        try:
            return len(b"".join(body)) if status[0].startswith("200") else -1
        finally:
            body.close()  # request_finished: what closes the connection after each request

    return call


def print_queries(call) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    print(f"{len(queries)} queries:")
    for query in queries:
        print(f"  {query['sql'][:160]}")


def cpu_ms(call, requests: int) -> float:
    for _ in range(20):
        call()
    batches, size = [], max(1, requests // 7)
    for _ in range(7):
        started = time.process_time()
        for _ in range(size):
            call()
        batches.append((time.process_time() - started) * 1000 / size)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default="/products/")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--signed-in", action="store_true", help="send a buyer's session cookie")
    parser.add_argument("--page-cache", action="store_true", help="leave the page cache on")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="profile-catalog-"))
    metrics_dir = Path(tempfile.mkdtemp(prefix="profile-metrics-"))
    redis = RedisServer().start()
    try:
        env = environment(var_dir, redis.url, **({} if args.page_cache else {"MARKETPLACE_PAGE_CACHE_SECONDS": "0"}))
        prepare(env, args.products)
        cookie = add_buyers(env, 1)["cookies"][0] if args.signed_in else ""
        os.environ.update(env, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        from marketplace.wsgi import application

        page, minimal = caller(application, args.path, cookie), caller(application, "/bench/minimal", cookie)
        size = page()
        if size < 0:
            raise SystemExit(f"{args.path} did not answer 200")
        print_queries(page)
        page_ms, minimal_ms = cpu_ms(page, args.requests), cpu_ms(minimal, args.requests)
        print(f"{args.path}: {page_ms:.2f} ms CPU per request ({size} bytes); /bench/minimal: {minimal_ms:.2f} ms")
        print(f"minimal / page = {minimal_ms / page_ms:.3f} (median of 7 batches each, no profiler)")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            page()
        profile.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            print(out.getvalue())
    finally:
        redis.stop()
        shutil.rmtree(var_dir, ignore_errors=True)
        shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
