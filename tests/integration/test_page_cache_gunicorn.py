"""Cached pages under gunicorn: every worker holds the page in memory, a vendor edits the price,
and from the moment the edit answers no worker shows the old price.

Each worker keeps the versions pages are checked against in process (Redis client tracking,
containers/near_cache.py), so this is where a missed or late invalidation would show: the
workers are warmed with the old page before every edit and asked right after it returns.
"""

import concurrent.futures
import os
import re
import subprocess
import sys

import pytest

from tests.support.http import HttpClient
from tests.support.ops import metric_value
from tests.support.servers import ROOT, Gunicorn, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

WORKERS = 3
PRICE = re.compile(r'id="product-price">([^<]+)<')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("page-cache-gunicorn")
    redis_server = RedisServer().start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "MARKETPLACE_VAR_DIR": str(var),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": redis_server.url,
        "MARKETPLACE_PAGE_CACHE_NEAR": "1",
    }
    for command in (("migrate", "--noinput"), ("load_demo_data",)):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
    gunicorn = Gunicorn(workers=WORKERS, env=env, extra_args=["--log-level", "warning"])
    (ROOT / "var").mkdir(exist_ok=True)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()
    redis_server.stop()


def burst(url: str, path: str, n: int = 3 * WORKERS) -> list:
    """``n`` requests at once, each on its own connection: they spread over the workers."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda _: HttpClient(url).get(path), range(n)))


def form_values(page: str) -> dict:
    title = re.search(r'name="title" value="([^"]*)"', page).group(1)
    category = re.search(r'<option value="(\d+)" selected>', page).group(1)
    stock = re.search(r'name="stock" value="(\d+)"', page).group(1)
    return {
        "title": title,
        "category": category,
        "stock": stock,
        "is_active": "on",
        "description": "Kept in every worker's memory, never shown stale.",
    }


def test_no_worker_shows_the_old_price_once_the_edit_has_answered(server):
    bob = HttpClient(server.url)
    bob.login("bob", "demo-password-123")
    shop = bob.get("/vendors/bobs-hardware/").text
    product_id = re.search(r'href="/products/(\d+)/"', shop).group(1)
    detail, edit = f"/products/{product_id}/", f"/products/{product_id}/edit/"
    fields = form_values(bob.get(edit).text)

    served_by, hits = set(), 0
    for round_ in range(12):
        before = burst(server.url, detail)  # every worker now holds the current page
        hits += sum(r.headers.get("x-page-cache") == "hit" for r in before)
        served_by.update(r.served_by for r in before)
        price = f"0.{2000 + round_:08d}"
        answer = bob.post_form(edit, {**fields, "price": price})
        assert answer.status == 302, answer.text[:500]
        after = burst(server.url, detail)
        shown = {(r.served_by, PRICE.search(r.text).group(1)) for r in after}
        assert {p for _, p in shown} == {price}, f"after the edit to {price}: {sorted(shown)}"

    assert len(served_by) == WORKERS
    assert hits >= 12 * 3 * WORKERS // 2  # the old page really was being served from the cache
    metrics = HttpClient(server.url).get("/metrics").text
    assert metric_value(metrics, "marketplace_cache_requests_total", backend="near", result="hit") > 0
