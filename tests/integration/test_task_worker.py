"""A real task worker (``celery … worker --beat``, as ``./dev worker`` starts it) on a real Redis:
it runs what the site asks for, retries a mail server that refuses with back-off until it fails
for good, sends it once when staff retry it, takes cluster reloads, and readiness says DEGRADED
while nobody consumes the queue.

The database is a SQLite file shared by the processes (tests/integration/test_two_hosts.py does
the same on PostgreSQL with two web hosts).
"""

import json
import os
import time

import pytest
from aiosmtpd.controller import Controller

from tests.support.hosts import CeleryWorker, live_workers, manage
from tests.support.servers import RedisServer, free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.isolated]

SETUP = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_user("wendy", "wendy@example.com", "a-long-password-1", email_verified=True)
"""
NOTIFY = """
import json
from containers import container, runtime
from django.contrib.auth import get_user_model
runtime.ensure_started()
user = get_user_model().objects.get(username="wendy")
container.notifications.notification_service().notify(user_ids=[user.pk], subject=SUBJECT, body="Hello")
"""
RUNS = """
import json
from marketplace.tasks.models import TaskRun
rows = TaskRun.objects.filter(name="notifications.deliver").order_by("created_at")
print(json.dumps([[str(r.pk), r.status, r.attempts, r.retries, r.worker, r.last_error[:80]] for r in rows]))
"""
RETRY = """
from containers import container, runtime
runtime.ensure_started()
container.core.task_service().retry(run_id=RUN_ID)
"""
READY = """
import json
from containers import container, runtime
runtime.ensure_started()
report = container.core.health_service().readiness()
print(json.dumps({"status": report["status"], "tasks": report["components"]["tasks"]}))
"""


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode(errors="replace"))
        return "250 OK"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    var = tmp_path_factory.mktemp("task-worker")
    redis = RedisServer().start()
    mail_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "MARKETPLACE_VAR_DIR": str(var),
        "REDIS_URL": redis.url,
        "MARKETPLACE_TASKS_IN_PROCESS": "0",
        "MARKETPLACE_CLUSTER_LISTEN": "1",
        "MARKETPLACE_NOTIFICATIONS_BACKEND": "email",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail_port),
        "EMAIL_TIMEOUT": "5",
        "MARKETPLACE_TASK_BACKOFF_SECONDS": "1",
        "MARKETPLACE_TASK_MAX_ATTEMPTS": "3",
        "MARKETPLACE_TASK_STALE_SECONDS": "3",
    }
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", SETUP, env=env)
    running = {"env": env, "redis": redis, "mail_port": mail_port, "var": var}
    try:
        running["worker"] = CeleryWorker(env=env, var_dir=var, concurrency=1).start()
        yield running
    finally:
        if "worker" in running:  # a test may have replaced it
            running["worker"].stop()
        redis.stop()


def shell(site, code: str, **values) -> str:
    prelude = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    return manage("shell", "-c", prelude + code, env=site["env"]).stdout.strip().splitlines()[-1:] or [""]


def runs(site) -> list:
    return json.loads(shell(site, RUNS)[0])


def wait_runs(site, check, *, timeout=30, what="task runs"):
    seen = []

    def done():
        seen[:] = runs(site)
        return check(seen)

    try:
        wait_for(done, timeout=timeout, interval=0.5, what=what)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}: {seen}\n{site['worker'].output()[-3000:]}") from None
    return seen


def test_a_refused_mail_is_retried_with_back_off_then_failed_then_sent_once_when_staff_retry(site):
    shell(site, NOTIFY, SUBJECT="First")
    (run,) = wait_runs(site, lambda rows: rows and rows[0][1] == "failed", what="three refused attempts")
    run_id, status, attempts, retries, worker, error = run
    assert (attempts, retries) == (3, 2) and "Connection refused" in error
    assert int(worker.rpartition(":")[2]) in site["worker"].processes()  # the worker's pool ran it

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=site["mail_port"])
    smtp.start()
    try:
        shell(site, RETRY, RUN_ID=run_id)
        wait_runs(site, lambda rows: rows[0][1] == "succeeded", what="the retried task")
        time.sleep(1.5)  # a second delivery would come in this time
    finally:
        smtp.stop()
    assert len(inbox.messages) == 1 and "Subject: [Marketplace] First" in inbox.messages[0]


def test_worker_processes_take_cluster_reloads(site):
    pool = set(site["worker"].processes())
    wait_for(lambda: pool & live_workers(site["redis"].url), timeout=20, what="the worker's pool listening")
    done = manage("reload_module", "notifications", env=site["env"])
    assert done.returncode == 0
    assert any(f":{pid}: ok" in done.stdout for pid in pool), done.stdout


def test_readiness_is_degraded_while_nobody_consumes_the_queue(site):
    site["worker"].stop()
    try:
        shell(site, NOTIFY, SUBJECT="While nobody listens")
        time.sleep(4.5)  # longer than MARKETPLACE_TASK_STALE_SECONDS
        ready = json.loads(shell(site, READY)[0])
        assert ready["status"] == "DEGRADED"
        assert "no worker is consuming the queue" in ready["tasks"]["detail"]["error"]
    finally:
        site["worker"] = CeleryWorker(env=site["env"], var_dir=site["var"], concurrency=1).start()
    wait_runs(site, lambda rows: rows[-1][1] == "failed", what="the waiting task (the mail server is down)")
    assert json.loads(shell(site, READY)[0])["status"] == "UP"
