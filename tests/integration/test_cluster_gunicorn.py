"""The operations layer for real: gunicorn with several workers, a private Redis, code edited on disk.

A disposable copy of the project is served; its ``services/user_service.py`` is edited and
reloaded through the ops page while requests run. Every response says which worker served it
(``X-Served-By``) and the register page shows the service's code version ("at least N
characters"), so the tests see which worker runs which code.
"""

import concurrent.futures
import json
import re
import subprocess
import sys
import threading
import time

import pytest
import redis

from tests.support.http import HttpClient
from tests.support.operator_login import ENROL, sign_in_operator
from tests.support.ops import metric_value
from tests.support.projects import copy_project
from tests.support.servers import Gunicorn, RedisServer, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

WORKERS = 3
LINE = '"min_password_length": self.min_password_length,'
SHOWN = re.compile(rb"at least (\d+) characters")


def project_env(project, **extra) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"sqlite:///{project / 'var' / 'db.sqlite3'}",
        "MARKETPLACE_VAR_DIR": str(project / "var"),
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MARKETPLACE_CLUSTER_LISTEN": "1",
        "REDIS_URL": "",
    }
    env.update(extra)
    return env


def manage(project, *args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    import os

    root = copy_project(tmp_path_factory.mktemp("ops-cluster") / "project")
    env = {**os.environ, **project_env(root)}
    for command in (("migrate", "--noinput"), ("load_demo_data",), ("shell", "-c", ENROL)):
        done = manage(root, *command, env=env)
        assert done.returncode == 0, done.stderr
    return root


@pytest.fixture(scope="module")
def cluster_redis():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(project, cluster_redis):
    gunicorn = Gunicorn(workers=WORKERS, cwd=project, env=project_env(project, REDIS_URL=cluster_redis.url))
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture(scope="module")
def staff(server):
    client = HttpClient(server.url)
    sign_in_operator(client)  # staff pages want the second factor: password, then code
    return client


@pytest.fixture
def source(project):
    """Edits the service on disk; put back after each test, so a failing one leaves no broken code."""
    path = project / "services" / "user_service.py"
    original = path.read_text()
    assert LINE in original

    def write(value: int | None, *, broken: bool = False) -> None:
        text = original if value is None else original.replace(LINE, f'"min_password_length": {value},')
        path.write_text(text + ("\ndef broken(:\n" if broken else ""))

    yield write
    path.write_text(original)


def live_workers(redis_url: str) -> list[str]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    now = time.time()
    return sorted(
        w for w, raw in client.hgetall("marketplace:0:workers").items() if now - json.loads(raw)["last_seen"] < 7
    )


def wait_for_workers(redis_url: str, count: int = WORKERS, timeout: float = 30) -> list[str]:
    wait_for(lambda: len(live_workers(redis_url)) == count, timeout=timeout, what=f"{count} live workers")
    return live_workers(redis_url)


def register_page(url: str):
    response = HttpClient(url).get("/accounts/register/")
    match = SHOWN.search(response.body)
    return response.status, response.served_by, int(match.group(1)) if match else None


def burst(url: str, n: int = 8) -> list:
    """``n`` requests at once: a sync worker takes one at a time, so they spread over workers."""
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: register_page(url), range(n)))


def reload_through_the_page(staff: HttpClient, kind: str, name: str) -> tuple[str, str]:
    """POST the confirmation form; return the reload's detail page and its status."""
    response = staff.post_form(f"/ops/reload/{kind}/{name}/", {"confirm": "yes"})
    assert response.status == 302, (response.status, response.text[:500])
    detail = staff.get(response.headers["location"])
    assert detail.status == 200
    status = re.search(r'id="reload-detail" data-status="(\w+)"', detail.text).group(1)
    return detail.text, status


def went_back(requests: list[tuple[float, float, int]]) -> tuple | None:
    """The first request that showed an older version than one answered before it was sent.

    Four client threads record their answers in whatever order they get the lock, so the
    order of the list is not the order the worker served them; only an answer fully received
    before another request was sent is known to have been served first.
    """
    requests = [r for r in requests if r[2] not in (10, 4242)]
    by_received = sorted(requests, key=lambda r: r[1])
    newest, i = None, 0
    for sent, received, value in sorted(requests, key=lambda r: r[0]):
        while i < len(by_received) and by_received[i][1] < sent:
            if newest is None or by_received[i][2] > newest[2]:
                newest = by_received[i]
            i += 1
        if newest is not None and value < newest[2]:
            return newest, (sent, received, value)
    return None


def test_a_reload_through_one_request_reaches_every_worker_within_a_second(server, staff, source, cluster_redis):
    workers = wait_for_workers(cluster_redis.url)
    assert {w for _, w, _ in burst(server.url, 12)} <= set(workers)
    source(4242)
    started = time.perf_counter()
    detail, status = reload_through_the_page(staff, "module", "accounts")
    seen: dict[str, float] = {}
    while len(seen) < len(workers) and time.perf_counter() - started < 5:
        for code, worker, shown in burst(server.url):
            assert code == 200
            if shown == 4242:
                seen.setdefault(worker, time.perf_counter() - started)
            else:
                assert worker not in seen, f"{worker} went back to {shown}"
    assert status == "ok", detail
    assert detail.count('data-ok="yes"') == WORKERS
    assert set(seen) == set(workers), f"only {sorted(seen)} of {workers} serve the new code"
    assert max(seen.values()) <= 1.0, seen
    # The ops page says which workers run which version: all of them, after this reload.
    reload_id = re.search(r'data-reload="([0-9a-f-]+)"', staff.get("/ops/").text).group(1)
    page = staff.get("/ops/").text
    assert "Workers disagree" not in page
    for worker in workers:
        row = re.search(rf'<tr data-worker="{re.escape(worker)}">(.*?)</tr>', page, re.S).group(1)
        assert f"reload {reload_id[:8]}" in row and ">ready<" in row, row


def test_management_commands_and_the_master_never_listen(project, server, cluster_redis):
    import os

    workers = wait_for_workers(cluster_redis.url)
    env = {**os.environ, **project_env(project, REDIS_URL=cluster_redis.url)}
    for command in (("migrate", "--noinput"), ("health",), ("load_demo_data",)):
        done = manage(project, *command, env=env)
        assert done.returncode == 0, done.stderr
    # Only the gunicorn workers are there: no master, no command process.
    assert live_workers(cluster_redis.url) == workers
    assert str(server.process.pid) not in {w.rpartition(":")[2] for w in workers}


def test_reloads_under_load_fail_no_request_and_broken_ones_roll_back_everywhere(server, staff, source, cluster_redis):
    wait_for_workers(cluster_redis.url)
    stop = threading.Event()
    lock = threading.Lock()
    # (sent, received, worker, version shown), times on this process's monotonic clock.
    outcomes: list[tuple[float, float, str, int]] = []
    failures: list[str] = []
    budget = 5000

    def load() -> None:
        while not stop.is_set():
            with lock:
                if len(outcomes) + len(failures) >= budget:
                    return
            sent = time.monotonic()
            try:
                code, worker, shown = register_page(server.url)
            except Exception as exc:  # a refused or reset connection is a failed request
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                continue
            received = time.monotonic()
            with lock:
                if code != 200 or shown is None:
                    failures.append(f"HTTP {code} from {worker}")
                else:
                    outcomes.append((sent, received, worker, shown))

    threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    good = {4242, 10}
    results = []
    try:
        for i in range(1, 21):
            broken = i % 4 == 0
            version = (9000 if broken else 5000) + i
            source(version, broken=broken)
            kind, name = ("module", "accounts") if i % 2 else ("service", "user_service")
            detail, status = reload_through_the_page(staff, kind, name)
            results.append((i, broken, status, detail.count('data-ok="yes"'), detail.count('data-ok="no"')))
            assert "no answer" not in detail, (i, detail)
            if not broken:
                good.add(version)
            time.sleep(0.15)
        # Keep the load going until it has made a few thousand requests.
        deadline = time.monotonic() + 60
        while len(outcomes) + len(failures) < 2500 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert failures == [], failures[:5]
    assert len(outcomes) >= 2500
    for i, broken, status, applied, refused in results:
        if broken:
            assert (status, applied, refused) == ("failed", 0, WORKERS), (i, status, applied, refused)
        else:
            assert (status, applied, refused) == ("ok", WORKERS, 0), (i, status, applied, refused)
    shown = {value for _, _, _, value in outcomes}
    assert shown <= good, f"served code that never was in force: {sorted(shown - good)}"
    assert not any(value >= 9000 for value in shown)
    # Per worker, versions only move forward (each good version is higher than the last).
    by_worker: dict[str, list[tuple[float, float, int]]] = {}
    for sent, received, worker, value in outcomes:
        by_worker.setdefault(worker, []).append((sent, received, value))
    assert len(by_worker) == WORKERS
    for worker, requests in by_worker.items():
        assert went_back(requests) is None, (worker, went_back(requests))

    # The last reload (20) was broken: every worker says so in its health, and the ops page shows it.
    time.sleep(2.2)  # health results are kept for two seconds
    reports: dict[str, dict] = {}
    deadline = time.monotonic() + 10
    while len(reports) < WORKERS and time.monotonic() < deadline:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            for response in pool.map(lambda _: staff.get("/health/"), range(6)):
                reports[response.served_by] = json.loads(response.body)
    assert len(reports) == WORKERS
    for report in reports.values():
        assert report["status"] == "DEGRADED"
        assert "SyntaxError" in report["components"]["reloads"]["detail"]["error"]
    page = staff.get("/ops/").text
    assert page.count('data-status="failed"') == 4  # reloads 8, 12, 16, 20 among the last 15 shown
    assert "rolled back" in page

    source(None)
    detail, status = reload_through_the_page(staff, "module", "accounts")
    assert status == "ok" and detail.count('data-ok="yes"') == WORKERS
    assert {shown for _, _, shown in burst(server.url)} == {10}


def test_counters_add_up_across_workers(server, staff):
    def scrape() -> str:
        response = HttpClient(server.url).get("/metrics")
        assert response.status == 200
        return response.text

    before = scrape()
    paths = ["/accounts/login/", "/", "/accounts/register/", "/no/such/page/"] * 60
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda p: HttpClient(server.url).get(p).status, paths))
    assert codes.count(404) == 60 and codes.count(200) == 180
    after = scrape()
    total = "marketplace_http_requests_total"
    # Everything sent, plus the first scrape (counted once its answer has gone).
    assert metric_value(after, total) - metric_value(before, total) == len(paths) + 1
    for view in ("accounts:login", "home", "accounts:register", "<unresolved>"):
        assert metric_value(after, total, view=view) - metric_value(before, total, view=view) == 60, view
    pids = {m.group(1) for m in re.finditer(r'marketplace_module_generation\{module="accounts",pid="(\d+)"\}', after)}
    assert len(pids) == WORKERS


def test_redis_stopped_pages_serve_health_degrades_and_reloads_resume_after(server, staff, cluster_redis):
    wait_for_workers(cluster_redis.url)
    cluster_redis.stop()
    try:
        for path in ("/", "/accounts/login/", "/accounts/register/"):
            codes = {HttpClient(server.url).get(path).status for _ in range(6)}
            assert codes == {200}, (path, codes)
        time.sleep(2.2)
        report = json.loads(staff.get("/health/").body)
        assert report["status"] == "DEGRADED"
        assert report["components"]["cache"]["status"] == "DOWN"
        assert HttpClient(server.url).get("/health/ready").status == 200
        # A reload during the outage is applied where it landed, and says it was not broadcast.
        detail, status = reload_through_the_page(staff, "service", "user_service")
        assert status in ("failed", "incomplete") and "not broadcast" in detail
    finally:
        cluster_redis.start()
    # Every listener reconnects by itself (back-off of at most five seconds) and hears reloads again.
    wait_for_workers(cluster_redis.url, timeout=30)
    detail, status = reload_through_the_page(staff, "module", "accounts")
    assert status == "ok" and detail.count('data-ok="yes"') == WORKERS


def test_database_unreachable_ready_is_503_live_is_200(project):
    closed = free_port()
    env = project_env(project, DATABASE_URL=f"postgres://marketplace:marketplace@127.0.0.1:{closed}/nowhere")
    gunicorn = Gunicorn(workers=2, cwd=project, env=env).start()
    try:
        client = HttpClient(gunicorn.url)
        assert client.get("/health/live").status == 200
        ready = client.get("/health/ready")
        assert ready.status == 503 and json.loads(ready.body) == {"status": "DOWN"}
        assert client.get("/health/").status == 503
        assert client.get("/health/live").status == 200
    finally:
        gunicorn.stop()
    import os

    done = manage(project, "health", env={**os.environ, **env})
    assert done.returncode == 1
    assert "System: DOWN" in done.stdout and "database" in done.stdout
