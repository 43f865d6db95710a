"""Catalog throughput under gunicorn: uncached, cached, and a minimal Django view, in one run.

    .venv/bin/python bench/catalog.py [--duration 5] [--rounds 5] [--connections 16] [--products 500]

Builds a throw-away project state (SQLite under a temporary directory unless DATABASE_URL is
set; a private redis-server), serves it with gunicorn (2 workers, production settings, DEBUG
off) and drives load with ``wrk`` from a second process on 127.0.0.1, bounded in time:

* minimal:  ``/bench/minimal``, a view returning a fixed string (the floor: middleware only);
* uncached: ``/products/`` with the page cache off (MARKETPLACE_PAGE_CACHE_SECONDS=0);
* cached:   ``/products/`` with the page cache on (whole pages for anonymous visitors), as
            deployed: the versions pages are checked against kept in each worker by Redis
            client tracking (MARKETPLACE_PAGE_CACHE_NEAR, containers/near_cache.py);
* cached, asking Redis: the same with that tier off, one Redis round trip per page (for comparison);
* home, uncached / home, cached: the home page (``/``, its sections drawn by the products, vendors
  and orders modules) on the same two servers as the catalog.

Prints requests per second and the ratios; the target is cached >= 0.7 x minimal.
"""

import argparse
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.servers import Gunicorn, RedisServer  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
TARGET = 0.7


def environment(var_dir: Path, redis_url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MARKETPLACE_VAR_DIR": str(var_dir),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        # Each gunicorn worker keeps its connection, as deployments on PostgreSQL do by default.
        "DATABASE_CONN_MAX_AGE": "60",
    }
    env.update(extra)
    return env


SEED = """
import django
django.setup()
from django.contrib.auth import get_user_model
from containers import runtime, container
runtime.ensure_started()
for name in runtime.modules.initialization_order():
    runtime.modules.get(name).load_demo_data()
bob = get_user_model().objects.get(username="bob")
service = container.products.catalog_service()
from marketplace.products.models import Category, Product
tools = Category.objects.get(slug="tools").pk
have = Product.objects.filter(vendor__user=bob).count()
for i in range(have, {products}):
    service.create_product(actor_id=bob.pk, title=f"Workshop item {{i}}", description="Bench stock.\\nSturdy.",
                           price_sat=10_000 + i, stock=5, category_id=tools)
# Every card shows a rating (as after real reviews: CatalogService.record_rating keeps these).
Product.objects.filter(rating_count=0).update(rating_sum=52, rating_count=12)
print(Product.objects.count(), "products")
"""


def prepare(env: dict, products: int) -> None:
    python = sys.executable
    for args in (["manage.py", "migrate", "--noinput", "-v0"], ["manage.py", "collectstatic", "--noinput", "-v0"]):
        subprocess.run([python, *args], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [python, "-c", SEED.format(products=products)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    print(f"seeded: {out.stdout.strip()}")


def wrk(url: str, *, duration: int, connections: int, threads: int = 2, token: str | None = None) -> dict:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", url]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latency = re.search(r"Latency\s+([\d.]+\w+)", out)
    return {
        "rps": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "latency": latency.group(1) if latency else "?",
    }


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("X-Page-Cache", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the median is kept)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=500)
    args = parser.parse_args()
    if not Path(WRK).exists():
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    var_dir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    (ROOT / "var").mkdir(exist_ok=True)
    redis = RedisServer().start()
    servers: list[Gunicorn] = []
    try:
        prepare(environment(var_dir, redis.url), args.products)
        uncached = Gunicorn(
            workers=2, cwd=ROOT, env=environment(var_dir, redis.url, MARKETPLACE_PAGE_CACHE_SECONDS="0")
        )
        cached = Gunicorn(workers=2, cwd=ROOT, env=environment(var_dir, redis.url))
        asking = Gunicorn(workers=2, cwd=ROOT, env=environment(var_dir, redis.url, MARKETPLACE_PAGE_CACHE_NEAR="0"))
        servers = [uncached.start(), cached.start(), asking.start()]
        scenarios = {
            "minimal view": cached.url + "/bench/minimal",
            "catalog, uncached": uncached.url + "/products/",
            "catalog, cached": cached.url + "/products/",
            "cached, asking Redis": asking.url + "/products/",
            "home, uncached": uncached.url + "/",
            "home, cached": cached.url + "/",
        }
        for name, url in scenarios.items():
            status, cache = fetch(url)
            # A worker's first request starts its modules, and the products module starts the
            # catalog afresh: the other servers' pages may be gone by then.
            expected = {
                "catalog, uncached": {"off"},
                "catalog, cached": {"miss", "hit"},
                "cached, asking Redis": {"miss", "hit"},
                "home, uncached": {"off"},
                "home, cached": {"miss", "hit"},
            }.get(name, {""})
            if status != 200 or cache not in expected:
                raise SystemExit(f"{name}: {url} answered {status} with page cache {cache!r}")
            wrk(url, duration=2, connections=args.connections)  # warm-up: workers, connections, cache
        for name in ("catalog, cached", "cached, asking Redis", "home, cached"):
            if fetch(scenarios[name])[1] != "hit":
                raise SystemExit(f"{name}: the page is not served from the cache")
        # The machine may be shared: interleave the scenarios so each round sees the same load.
        runs: dict[str, list[dict]] = {name: [] for name in scenarios}
        for round_number in range(1, args.rounds + 1):
            for name, url in scenarios.items():
                result = wrk(url, duration=args.duration, connections=args.connections)
                runs[name].append(result)
                print(
                    f"  round {round_number}  {name:<20} {result['rps']:>9.1f} req/s   "
                    f"latency {result['latency']:>8}   non-2xx {result['non_2xx']}",
                    flush=True,
                )
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    median = {name: statistics.median(r["rps"] for r in results) for name, results in runs.items()}
    minimal, cached_rps = median["minimal view"], median["catalog, cached"]
    uncached_rps = median["catalog, uncached"]
    print()
    print(
        f"gunicorn 2 workers (production settings, DEBUG off), Redis cache, wrk {args.connections} "
        f"connections, {args.rounds} x {args.duration}s interleaved; {args.products}+ products, 24 per page"
    )
    for name, value in median.items():
        print(f"  {name:<20} {value:>9.1f} req/s (median)")
    paired = statistics.median(
        c["rps"] / m["rps"] for c, m in zip(runs["catalog, cached"], runs["minimal view"], strict=True)
    )
    print(
        f"  cached / minimal    = {cached_rps / minimal:.2f}   (target >= {TARGET}); "
        f"median of the per-round ratios {paired:.2f}"
    )
    print(f"  uncached / minimal  = {uncached_rps / minimal:.2f}")
    print(
        f"  asking Redis / minimal = {median['cached, asking Redis'] / minimal:.2f}   "
        f"(the page cache with MARKETPLACE_PAGE_CACHE_NEAR=0)"
    )
    print(f"  cached / uncached   = {cached_rps / uncached_rps:.1f}")
    home_paired = statistics.median(
        c["rps"] / m["rps"] for c, m in zip(runs["home, cached"], runs["minimal view"], strict=True)
    )
    print(
        f"  home cached / minimal = {median['home, cached'] / minimal:.2f}   (target >= {TARGET}); "
        f"median of the per-round ratios {home_paired:.2f}"
    )
    print(f"  home uncached / minimal = {median['home, uncached'] / minimal:.2f}")
    verdict = "meets" if min(paired, cached_rps / minimal) >= TARGET else "is BELOW"
    print(f"  the cached catalog {verdict} the target")
    if any(r["non_2xx"] for results in runs.values() for r in results):
        raise SystemExit("some responses were errors: the figures are not valid")


if __name__ == "__main__":
    main()
