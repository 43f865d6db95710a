"""Two hosts as deployed, on one machine: everything they share, and what each must not keep.

Host A and host B are two gunicorns (two workers each) with production settings, each with its
own ``MARKETPLACE_VAR_DIR``; one Celery worker with beat runs the background tasks. They share
a PostgreSQL database made for this run (dropped after it), a private Redis (cache, reloads,
task broker), a bucket on a moto S3 server (product pictures) and an SMTP server that takes
two seconds to answer each message (notifications).

Production settings rather than the test settings, because that is what two hosts run:
PBKDF2 passwords, manifest static files from ``collectstatic``, JSON logs, DEBUG off, the
security middleware; only HTTPS is off (plain HTTP on 127.0.0.1: no redirect, cookies not
marked secure). It costs about ten seconds of password hashing over the run.

The tests run in order and share the deployment: a picture uploaded on A and served by B from
the bucket; a checkout on B that does not wait for the slow mail server, whose e-mail the
worker sends once; a reload on A that every process of B and of the worker applies; a worker
killed in the middle of sending, whose e-mail is sent once by the worker started after it.

PostgreSQL only (``DATABASE_URL=postgres://...``, a role with CREATEDB): the second pass of
.ci/run. About a minute on two cores, two thirds of it starting the deployment (migrations, demo
data, three servers).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from tests.support.hosts import (
    DEMO_PASSWORD,
    CeleryWorker,
    S3Bucket,
    ScratchDatabase,
    SlowSmtp,
    UploadingClient,
    checkout,
    children,
    live_workers,
    manage,
    production_env,
    tail,
)
from tests.support.http import HttpClient
from tests.support.operator_login import ENROL, sign_in_operator
from tests.support.servers import ROOT, Gunicorn, RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

MAIL_SECONDS = 2.0  # the SMTP server's pause before it answers each message
LEASE_SECONDS = 5  # MARKETPLACE_TASK_LEASE_SECONDS: a running task whose worker died is sent again after this
SWEEP_SECONDS = 3  # MARKETPLACE_TASK_SWEEP_SECONDS: how often beat runs the sweep
WEB_WORKERS = 2
TASK_PROCESSES = 2
# The demo data, loaded in-process (no worker yet) with notifications to the log; then the demo
# operator gets an authenticator, for the ops page.
SEED = f"from django.core.management import call_command; call_command('load_demo_data'); {ENROL}"


@dataclass
class Deployment:
    redis: RedisServer
    bucket: S3Bucket
    smtp: SlowSmtp
    db: ScratchDatabase
    env: dict[str, dict]  # "a", "b", "worker"
    var: dict[str, Path]
    host_a: Gunicorn
    host_b: Gunicorn
    worker: CeleryWorker
    retired: list[CeleryWorker] = field(default_factory=list)

    def web_workers(self, host: Gunicorn) -> set[int]:
        return set(children(host.process.pid))

    def task_processes(self) -> set[int]:
        """The worker's pool processes: its children that joined the cluster (beat does not)."""
        return set(self.worker.processes()) & live_workers(self.redis.url)

    def stop_servers(self) -> None:
        """Both hosts and every worker, at once (each takes a second or two to stop gracefully)."""
        parts = [self.host_a, self.host_b, *self.retired, self.worker]
        with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
            for done in [pool.submit(part.stop) for part in parts]:
                done.result()

    def logs(self) -> str:
        parts = [self.smtp.summary()]
        for name, host in (("host A", self.host_a), ("host B", self.host_b)):
            if host.log is not None and not host.log.closed:
                parts.append(f"--- {name} ({host.url}) ---\n{tail(host.output(), 40)}")
        for worker in [*self.retired, self.worker]:
            parts.append(f"--- celery {worker.name} ({worker.log_path}) ---\n{tail(worker.output(), 60)}")
        return "\n".join(parts)

    def wait(self, check, *, timeout: float, what, interval: float = 0.1):
        """``check()``'s first true value within ``timeout`` s, or a failure with every log
        (``what`` says what was awaited; a callable is asked at the failure, for details)."""
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                said = what() if callable(what) else what
                pytest.fail(f"{said}: not within {timeout:g} s\n{self.logs()}")
            time.sleep(interval)

    def row(self, query: str, *params) -> tuple | None:
        found = self.db.rows(query, *params)
        return found[0] if found else None


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    admin_url = os.environ.get("DATABASE_URL", "")
    base = tmp_path_factory.mktemp("two-hosts")
    (ROOT / "var").mkdir(exist_ok=True)  # the gunicorn helper's logs
    started = time.monotonic()
    phases = []

    def phase(name: str, job):
        began = time.monotonic()
        outcome = job()
        phases.append(f"{name} {time.monotonic() - began:.1f} s")
        return outcome

    with contextlib.ExitStack() as stack:
        redis = RedisServer().start()
        stack.callback(redis.stop)
        bucket = S3Bucket().start()
        stack.callback(bucket.stop)
        smtp = SlowSmtp(delay=MAIL_SECONDS).start()
        stack.callback(smtp.stop)
        db = ScratchDatabase(admin_url, prefix="twohosts").create()
        stack.callback(db.drop)

        var = {name: base / f"var-{name}" for name in ("a", "b", "worker")}
        shared = {
            "SECRET_KEY": secrets.token_urlsafe(64),  # one key for the whole site, as deployed
            "MARKETPLACE_TASK_LEASE_SECONDS": str(LEASE_SECONDS),
            "MARKETPLACE_TASK_SWEEP_SECONDS": str(SWEEP_SECONDS),
            **bucket.env(),
            **smtp.env(),
        }
        env = {
            name: production_env(var_dir=path, database_url=db.url, redis_url=redis.url, **shared)
            for name, path in var.items()
        }
        seeding = {**env["a"], "MARKETPLACE_NOTIFICATIONS_BACKEND": "log", "MARKETPLACE_TASKS_IN_PROCESS": "1"}

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            # Each host runs collectstatic into its own directory (its image build would); the
            # schema once, then the demo data while the servers start.
            jobs = [
                pool.submit(phase, "migrate", lambda: manage("migrate", "--noinput", "-v0", env=env["a"])),
                pool.submit(phase, "collectstatic", lambda: manage("collectstatic", "--noinput", "-v0", env=env["a"])),
            ]
            for job in jobs:
                job.result()
            shutil.copytree(var["a"] / "static", var["b"] / "static")
            host_a = Gunicorn(workers=WEB_WORKERS, env=env["a"], extra_args=["--log-level", "warning"])
            host_b = Gunicorn(workers=WEB_WORKERS, env=env["b"], extra_args=["--log-level", "warning"])
            worker = CeleryWorker(env=env["worker"], var_dir=var["worker"], concurrency=TASK_PROCESSES)
            deployment = Deployment(redis, bucket, smtp, db, env, var, host_a, host_b, worker)
            stack.callback(deployment.stop_servers)
            jobs = [
                pool.submit(phase, "demo data", lambda: manage("shell", "-c", SEED, env=seeding)),
                pool.submit(phase, "host A", host_a.start),
                pool.submit(phase, "host B", host_b.start),
                pool.submit(phase, "worker", worker.start),
            ]
            try:
                for job in jobs:
                    job.result()
            except Exception as exc:
                pytest.fail(f"the deployment did not start: {exc}\n{deployment.logs()}")
        print(f"\ndeployment up in {time.monotonic() - started:.1f} s ({', '.join(phases)})")
        yield deployment


def signed_in(url: str, username: str) -> UploadingClient:
    client = UploadingClient(url)
    client.login(username, DEMO_PASSWORD)
    return client


def picture(width: int, height: int) -> bytes:
    down = Image.linear_gradient("L").resize((width, height))
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    image = Image.merge("RGB", (down, across, Image.new("L", (width, height), 128)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def decoded(body: bytes) -> tuple[str, tuple[int, int]]:
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        return image.format, image.size


def a_product_of(d: Deployment, vendor: str) -> int:
    found = d.row(
        "SELECT p.id FROM products_product p JOIN vendors_vendor v ON v.id = p.vendor_id "
        "JOIN accounts_user u ON u.id = v.user_id WHERE u.username = %s AND p.stock >= 2 AND p.is_active "
        "AND p.moderation = 'ok' AND p.deleted_at IS NULL ORDER BY p.price_sat, p.id LIMIT 1",
        vendor,
    )
    assert found, f"{vendor} has no product in stock"
    return found[0]


def delivery_of(d: Deployment, username: str, subject: str) -> tuple | None:
    """(notification status, task status, attempts, worker, lease over?) of that user's notice."""
    return d.row(
        "SELECT n.status, t.status, t.attempts, t.worker, t.lease_until < now() "
        "FROM notifications_notification n JOIN accounts_user u ON u.id = n.user_id "
        "JOIN tasks_run t ON t.name = 'notifications.deliver' AND (t.kwargs->>'notification_id')::bigint = n.id "
        "WHERE u.username = %s AND n.subject LIKE %s",
        username,
        f"%{subject}%",
    )


def pid_of(worker: str) -> int:
    return int(worker.rpartition(":")[2])


def test_a_picture_uploaded_on_host_a_is_served_by_host_b_from_the_bucket(deployment):
    d = deployment
    bob = signed_in(d.host_a.url, "bob")
    form = bob.get("/products/new/")
    assert form.status == 200, form.text[:500]
    category = re.search(r'<option value="(\d+)"', form.text).group(1)
    upload = picture(1200, 900)
    answer = bob.post_multipart(
        "/products/new/",
        {
            "title": "Oak workbench",
            "description": "Uploaded on host A.",
            "price": "0.00050000",
            "stock": "3",
            "category": category,
            "is_active": "on",
        },
        {"images": ("bench.jpg", upload, "image/jpeg")},
    )
    assert answer.status == 302, f"{answer.status} {answer.text[:800]}\n{d.logs()}"
    product_id = int(re.search(r"/products/(\d+)/$", answer.headers["location"]).group(1))
    stored = d.row(
        "SELECT id, file, thumbnail_240, thumbnail_480 FROM products_image WHERE product_id = %s", product_id
    )
    assert stored and stored[2] and stored[3], f"the picture or its thumbnails were not recorded: {stored}"
    image_id, *names = stored

    page = HttpClient(d.host_b.url).get(f"/products/{product_id}/")
    assert page.status == 200 and f"/products/images/{image_id}/" in page.text, page.text[:800]
    expected = {
        "": ("image/jpeg", "JPEG", (1200, 900)),
        "?size=240": ("image/webp", "WEBP", (240, 180)),
        "?size=480": ("image/webp", "WEBP", (480, 360)),
    }
    served_by = set()
    for query, (content_type, fmt, size) in expected.items():
        for _ in range(2):  # separate connections: both of B's workers, if they take them
            got = HttpClient(d.host_b.url).get(f"/products/images/{image_id}/{query}")
            assert got.status == 200, f"host B, picture{query}: {got.status} {got.text[:300]}\n{d.logs()}"
            assert got.headers["content-type"] == content_type, (query, got.headers)
            assert decoded(got.body) == (fmt, size), query
            served_by.add(got.served_by)
    assert served_by and all(pid_of(w) in d.web_workers(d.host_b) for w in served_by), served_by

    in_bucket = d.bucket.keys()
    assert set(names) <= in_bucket, f"{names} not all in the bucket ({len(in_bucket)} objects)"
    for host in ("a", "b"):
        media = d.var[host] / "media"
        assert not media.exists() or not any(media.iterdir()), f"host {host} keeps uploads in {media}"
        kept = [p for p in d.var[host].rglob("*") if p.name in {Path(n).name for n in names}]
        assert kept == [], f"host {host} keeps the picture on disk: {kept}"


def test_a_checkout_on_host_b_does_not_wait_for_the_mail_and_the_vendor_gets_one(deployment):
    d = deployment
    alice = signed_in(d.host_b.url, "alice")
    product = a_product_of(d, "bob")
    for _ in range(2 * WEB_WORKERS):  # every worker of B past its first request
        assert HttpClient(d.host_b.url).get(f"/products/{product}/").status == 200

    # Three orders, one after the other: the mail server is still busy with the first one's
    # e-mail when the others are placed. A web worker's first checkout is the slowest (0.25 to
    # 0.35 s here, 0.06 s after: first use of its code paths and connections).
    orders = {}
    for _ in range(3):
        answer, reference = checkout(alice, product)
        orders[reference] = answer
        served_by = pid_of(answer.served_by)
        print(f"\ncheckout {reference} on host B (pid {served_by}): {answer.seconds * 1000:.0f} ms", end="")
        assert served_by in d.web_workers(d.host_b)
    print(f"\n(the mail server takes {MAIL_SECONDS:g} s a message)")
    slow = {ref: f"{a.seconds:.2f} s" for ref, a in orders.items() if a.seconds >= 0.5 * MAIL_SECONDS}
    assert slow == {}, f"checkouts that waited for the mail server? {slow}"

    for reference in orders:
        subject = f"New order {reference}"
        mails = d.wait(
            lambda subject=subject: d.smtp.delivered(to="bob@example.com", subject=subject),
            timeout=30,
            what=f"bob's e-mail about {reference}",
        )
        notice = d.wait(
            lambda subject=subject: (row := delivery_of(d, "bob", subject)) and row[1] == "succeeded" and row,
            timeout=10,
            what=f"the end of the task delivering {reference}'s notice",
        )
        status, _, attempts, worker, _ = notice
        assert (status, attempts) == ("sent", 1), notice
        assert pid_of(worker) in d.task_processes(), f"{reference}: sent by {worker}, not by the task worker"
        first = mails[0]
        print(
            f"e-mail about {reference}: accepted {first.answered - first.arrived:.1f} s after it arrived, by {worker}"
        )
    time.sleep(0.5)  # a second delivery of any of them would be on its way by now
    for reference in orders:
        assert len(d.smtp.delivered(subject=reference)) == 1, d.smtp.summary()
        assert d.smtp.in_flight(subject=reference) == [] and d.smtp.given_up(subject=reference) == []


def test_a_reload_on_host_a_reaches_host_b_and_the_task_workers(deployment):
    d = deployment
    host_a, host_b = d.web_workers(d.host_a), d.web_workers(d.host_b)
    d.wait(
        lambda: host_a | host_b <= live_workers(d.redis.url) and len(d.task_processes()) == TASK_PROCESSES,
        timeout=20,
        what="every web worker and task process listening for reloads",
    )
    tasks = d.task_processes()
    operator = HttpClient(d.host_a.url)
    sign_in_operator(operator)
    answer = operator.post_form("/ops/reload/module/notifications/", {"confirm": "yes"})
    assert answer.status == 302, f"{answer.status} {answer.text[:500]}"
    assert pid_of(answer.served_by) in host_a
    detail = operator.get(answer.headers["location"]).text
    results = {pid_of(w): ok for w, ok in re.findall(r'<tr data-worker="([^"]+)" data-ok="(yes|no)">', detail)}
    print(f"\nreload from host A: {len(results)} processes answered: {sorted(results.items())}")
    assert "no answer" not in detail, detail
    for name, pids in (("host A", host_a), ("host B", host_b), ("the task worker", tasks)):
        assert {pid: results.get(pid) for pid in pids} == dict.fromkeys(pids, "yes"), f"{name}: {results}"
    assert set(results) == host_a | host_b | tasks, results


def test_a_worker_killed_while_sending_leaves_the_mail_to_the_next_one_which_sends_it_once(deployment):
    d = deployment
    alice = signed_in(d.host_a.url, "alice")
    _, reference = checkout(alice, a_product_of(d, "bob"))
    subject = f"New order {reference}"
    d.wait(lambda: d.smtp.in_flight(subject=subject), timeout=20, what="the worker sending bob's e-mail")
    running = delivery_of(d, "bob", subject)
    assert running[:3] == ("pending", "running", 1), running

    killed = d.worker
    killed.kill()
    stopped = time.monotonic()
    d.retired.append(killed)
    d.wait(lambda: d.smtp.given_up(subject=subject), timeout=10, what="the SMTP server seeing the sender go")
    assert d.smtp.delivered(subject=subject) == []
    assert delivery_of(d, "bob", subject)[:3] == ("pending", "running", 1)

    # Restarted once its lease is over, as an operator would find it: the new worker's beat
    # sweeps at its next tick (up to SWEEP_SECONDS later) and sends the task again.
    d.wait(lambda: delivery_of(d, "bob", subject)[4], timeout=LEASE_SECONDS + 5, what="the lease running out")
    d.worker = CeleryWorker(env=d.env["worker"], var_dir=d.var["worker"], concurrency=TASK_PROCESSES).start()
    mails = d.wait(
        lambda: d.smtp.delivered(to="bob@example.com", subject=subject),
        timeout=SWEEP_SECONDS + 3 * MAIL_SECONDS + 10,
        what=lambda: (
            f"bob's e-mail about {reference} after the restart (the new worker's beat sent the sweep "
            f"{d.worker.output().count('Sending due task tasks.sweep')} time(s))"
        ),
    )
    print(f"\ne-mail delivered {time.monotonic() - stopped:.1f} s after the worker was killed")
    notice = d.wait(
        lambda: (row := delivery_of(d, "bob", subject)) and row[1] == "succeeded" and row,
        timeout=10,
        what="the delivery task's end",
    )
    assert notice[:3] == ("sent", "succeeded", 2), notice
    assert pid_of(notice[3]) in d.task_processes(), f"sent by {notice[3]}"

    # The killed worker's message is still in Redis, unacknowledged; Redis hands it out again once
    # its visibility timeout is over (an hour). Make that happen now: it must not mail twice.
    stale = restore_unacknowledged(d.redis.url)
    assert stale >= 1, "the killed worker's message was not left in Redis"
    d.wait(lambda: broker_idle(d.redis.url), timeout=20, what="the stale message being taken and acknowledged")
    time.sleep(0.5)
    assert d.smtp.delivered(subject=subject) == mails and len(mails) == 1, d.smtp.summary()
    assert d.smtp.in_flight(subject=subject) == []
    assert delivery_of(d, "bob", subject)[:3] == ("sent", "succeeded", 2)


def restore_unacknowledged(redis_url: str) -> int:
    """What kombu does with a message unacknowledged past its visibility timeout, done now."""
    import redis
    from kombu import Connection

    client = redis.Redis.from_url(redis_url)
    try:
        stale = set(client.hkeys("unacked"))
        with Connection(redis_url, transport_options={"visibility_timeout": 0}) as connection:
            for _ in range(50):  # again while a worker's own restore holds kombu's lock
                connection.default_channel.qos.restore_visible(num=1000, interval=1)
                if not stale & set(client.hkeys("unacked")):
                    break
                time.sleep(0.1)
        return len(stale)
    finally:
        client.close()


def broker_idle(redis_url: str) -> bool:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return client.llen("marketplace") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()
