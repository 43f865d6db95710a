"""Hot reload costs: time per service and per module reload, propagation to every worker, and
request latency while reloads happen against without.

    .venv/bin/python bench/reload.py [reloads per kind, default 40] [requests per latency phase, default 12000]

1. In process: ``reload_service('user_service')`` and ``reload_module('accounts')``, repeated.
2. gunicorn with 3 workers and a private Redis on 127.0.0.1, in a disposable project copy:
   - propagation: a reload announced on Redis until every worker has answered;
   - the same through the ops page (one staff POST, answered once every worker has applied it);
   - p50/p99 latency of the register page under a bounded load loop, without reloads and with
     a reload every 200 ms (target: p99 with reloads <= 1.5 x without).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.http import HttpClient  # noqa: E402
from tests.support.operator_login import ENROL, sign_in_operator  # noqa: E402
from tests.support.projects import copy_project  # noqa: E402
from tests.support.servers import Gunicorn, RedisServer  # noqa: E402

WORKERS = 3


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3  # noqa: E731
    return f"median {statistics.median(ordered) * 1e3:.1f} ms  p95 {p(0.95):.1f} ms  max {ordered[-1] * 1e3:.1f} ms"


def in_process(project: Path, count: int) -> None:
    code = f"""
import json, time, sys
sys.path.insert(0, 'tests/scenarios')
from boot import boot
runtime = boot('bench.sqlite3')
out = {{}}
for kind, call in (('service', lambda: runtime.reload_service('user_service')),
                   ('module', lambda: runtime.reload_module('accounts'))):
    call()
    times = []
    for _ in range({count}):
        started = time.perf_counter(); call(); times.append(time.perf_counter() - started)
    out[kind] = times
print(json.dumps(out))
"""
    env = project_env(project)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"in-process reload, {count} each:")
    print(f"  reload_service(user_service): {summary(figures['service'])}")
    print(f"  reload_module(accounts):      {summary(figures['module'])}")


def project_env(project: Path, **extra) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"sqlite:///{project / 'var' / 'db.sqlite3'}",
        "MARKETPLACE_VAR_DIR": str(project / "var"),
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MARKETPLACE_CLUSTER_LISTEN": "1",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def live_workers(client) -> list[str]:
    now = time.time()
    return [w for w, raw in client.hgetall("marketplace:0:workers").items() if now - json.loads(raw)["last_seen"] < 7]


def announce(client, kind: str, target: str) -> tuple[str, float]:
    reload_id = str(uuid.uuid4())
    message = {
        "id": reload_id,
        "kind": kind,
        "target": target,
        "origin": "bench:0",
        "requested_by": "bench",
        "request_id": "-",
        "at": time.time(),
    }
    started = time.perf_counter()
    pipe = client.pipeline(transaction=True)
    pipe.rpush("marketplace:0:reloads:log", json.dumps(message))
    pipe.ltrim("marketplace:0:reloads:log", -100, -1)
    pipe.publish("marketplace:0:reloads", json.dumps(message))
    pipe.execute()
    return reload_id, started


def propagation(client, count: int) -> None:
    workers = set(live_workers(client))
    times, failures = [], 0
    for i in range(count):
        kind, target = ("module", "accounts") if i % 2 else ("service", "user_service")
        reload_id, started = announce(client, kind, target)
        answered = set()
        while answered != workers:
            item = client.blpop([f"marketplace:0:reloads:{reload_id}:results"], timeout=10)
            if item is None:
                failures += 1
                break
            report = json.loads(item[1])
            answered.add(report["worker"])
            failures += not report["ok"]
        times.append(time.perf_counter() - started)
    print(
        f"propagation to all {len(workers)} workers (announce -> last answer), {count} reloads: "
        f"{summary(times)}; failures {failures}"
    )


def through_the_page(url: str, count: int) -> None:
    staff = HttpClient(url)
    sign_in_operator(staff)
    times = []
    for i in range(count):
        kind, target = ("module", "accounts") if i % 2 else ("service", "user_service")
        started = time.perf_counter()
        response = staff.post_form(f"/ops/reload/{kind}/{target}/", {"confirm": "yes"})
        times.append(time.perf_counter() - started)
        assert response.status == 302, response.status
    print(f"reload through the ops page (one POST, answered when every worker applied it), {count}: {summary(times)}")


def load(url: str, requests: int, threads: int = 4) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    remaining = [requests]

    def run() -> None:
        client = HttpClient(url)
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                response = client.get("/accounts/register/")
                ok = response.status == 200
            except Exception:
                ok = False
            with lock:
                if ok:
                    latencies.append(response.seconds)
                else:
                    errors[0] += 1

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors[0]


def latency_under_reloads(url: str, client, requests: int) -> None:
    """Alternate quiet blocks and blocks with a reload every 200 ms, so drift hits both alike.

    Blocks of 1,000 requests, and many of them: the p99 of 3,000 requests in all moved by 0.2
    either way between runs of the same code."""
    blocks = max(2, requests // 1000)
    load(url, 300)  # warm up
    quiet, busy = [], []
    errors = {"quiet": 0, "busy": 0}
    reloads = [0]
    per_block = requests // blocks
    for _ in range(blocks):
        latencies, failed = load(url, per_block)
        quiet.extend(latencies)
        errors["quiet"] += failed
        stop = threading.Event()

        def reloader(stop: threading.Event = stop) -> None:
            i = 0
            while not stop.is_set():
                kind, target = ("module", "accounts") if i % 2 else ("service", "user_service")
                announce(client, kind, target)
                reloads[0] += 1
                i += 1
                stop.wait(0.2)

        thread = threading.Thread(target=reloader)
        thread.start()
        latencies, failed = load(url, per_block)
        stop.set()
        thread.join()
        busy.extend(latencies)
        errors["busy"] += failed

    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    print(
        f"register page under load, {requests} requests per phase in {blocks} alternating blocks, "
        f"4 client threads, {WORKERS} workers:"
    )
    print(f"  without reloads: p50 {pct(quiet, 0.5):.1f} ms  p99 {pct(quiet, 0.99):.1f} ms  errors {errors['quiet']}")
    print(
        f"  with {reloads[0]} reloads: p50 {pct(busy, 0.5):.1f} ms  p99 {pct(busy, 0.99):.1f} ms  "
        f"errors {errors['busy']}"
    )
    print(f"  p99 ratio with / without reloads: {pct(busy, 0.99) / pct(quiet, 0.99):.2f} (target <= 1.5)")


def main() -> None:
    import redis

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 12000
    project = copy_project(Path(tempfile.mkdtemp(prefix="bench-reload-")) / "project")
    env = project_env(project)
    for command in (("migrate", "--noinput"), ("load_demo_data",), ("shell", "-c", ENROL)):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
    in_process(project, count)

    server = RedisServer().start()
    gunicorn = Gunicorn(workers=WORKERS, cwd=project, env=project_env(project, REDIS_URL=server.url))
    try:
        gunicorn.start()
        client = redis.Redis.from_url(server.url, decode_responses=True)
        deadline = time.monotonic() + 30
        while len(live_workers(client)) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.1)
        propagation(client, count)
        through_the_page(gunicorn.url, max(10, count // 2))
        latency_under_reloads(gunicorn.url, client, requests)
    finally:
        gunicorn.stop()
        server.stop()


if __name__ == "__main__":
    main()
