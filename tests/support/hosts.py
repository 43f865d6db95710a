"""The marketplace as it is deployed on several machines, on one machine: what the hosts share.

For tests and benchmarks that run real servers side by side:

* ``SlowSmtp``: an SMTP server (aiosmtpd) that takes ``delay`` seconds to answer each message,
  and records every message it took, and every one whose sender went away while it waited;
* ``S3Bucket``: a private bucket on a moto S3 server of the caller's own;
* ``ScratchDatabase``: a PostgreSQL database made for one run and dropped after it, with the
  credentials of ``DATABASE_URL`` (the role needs CREATEDB);
* ``CeleryWorker``: ``celery -A marketplace.tasks.engine worker`` (with beat) in a process
  group of its own, which ``kill()`` SIGKILLs whole, as a machine that dies would;
* ``production_env``: production settings made to speak plain HTTP on 127.0.0.1;
* ``UploadingClient``: ``HttpClient`` plus multipart form posts (a file input, with CSRF).

Everything listens on 127.0.0.1 and a free port. Each server has ``stop()``, safe to call twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.client
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, replace
from http.cookies import SimpleCookie
from pathlib import Path

from tests.support.http import HttpClient, Response
from tests.support.servers import ROOT, free_port

DEMO_PASSWORD = "demo-password-123"


# the mail server
@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    arrived: float  # time.monotonic() when its DATA was in
    answered: float | None = None  # when the server said 250


class SlowSmtp:
    """An SMTP server on 127.0.0.1 that waits ``delay`` seconds before answering each message.

    A message is *delivered* (``accepted``) only once the server answered 250 to a sender still
    connected. One whose sender went away while the server waited (a worker killed mid-send) is
    ``abandoned``: the sender never heard it was taken and must send it again, and this server,
    like one that checks a message before committing it, keeps nothing of it. ``sending`` holds
    the messages being waited on right now. ``delay`` may be changed while it runs.
    """

    def __init__(self, delay: float = 2.0):
        self.delay = delay
        self.port = free_port()
        self.accepted: list[Mail] = []
        self.abandoned: list[Mail] = []
        self.sending: list[Mail] = []
        self._lock = threading.Lock()
        self._controller = None

    def start(self) -> SlowSmtp:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict:
        """Django's e-mail settings for this server, and the notifications' e-mail backend."""
        return {
            "MARKETPLACE_NOTIFICATIONS_BACKEND": "email",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_TIMEOUT": "20",
        }

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        mail = Mail(tuple(envelope.rcpt_tos), str(message.get("Subject", "")), time.monotonic())
        with self._lock:
            self.sending.append(mail)
        try:
            if self.delay > 0:
                await asyncio.sleep(self.delay)
        except asyncio.CancelledError:  # aiosmtpd cancels the session when the sender hangs up
            with self._lock:
                self.sending.remove(mail)
                self.abandoned.append(mail)
            raise
        with self._lock:
            self.sending.remove(mail)
            self.accepted.append(replace(mail, answered=time.monotonic()))
        return "250 Message accepted for delivery"

    def delivered(self, *, to: str | None = None, subject: str = "") -> list[Mail]:
        """Messages accepted, to that address (when given) with ``subject`` in their subject."""
        with self._lock:
            return [m for m in self.accepted if (to is None or to in m.to) and subject in m.subject]

    def in_flight(self, *, subject: str = "") -> list[Mail]:
        with self._lock:
            return [m for m in self.sending if subject in m.subject]

    def given_up(self, *, subject: str = "") -> list[Mail]:
        with self._lock:
            return [m for m in self.abandoned if subject in m.subject]

    def summary(self) -> str:
        with self._lock:
            lines = [f"smtp 127.0.0.1:{self.port}, {self.delay:g} s a message"]
            for label, mails in (("accepted", self.accepted), ("abandoned", self.abandoned), ("sending", self.sending)):
                lines += [f"  {label}: {', '.join(m.to)}: {m.subject}" for m in mails]
        return "\n".join(lines)


# the bucket
class S3Bucket:
    """A private bucket on a moto S3 server of the caller's own (a thread of this process)."""

    REGION = "us-east-1"
    KEY_ID, SECRET = "twohosts-test-key", "twohosts-test-secret"

    def __init__(self, name: str = "marketplace-media"):
        self.name = name
        self.port = free_port()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Bucket:
        from moto.server import ThreadedMotoServer

        # werkzeug logs every request at INFO on a handler of its own unless its logger has a level.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.client().create_bucket(Bucket=self.name)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id=self.KEY_ID,
            aws_secret_access_key=self.SECRET,
        )

    def keys(self) -> set[str]:
        found = set()
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=self.name):
            found.update(item["Key"] for item in page.get("Contents", ()))
        return found

    def env(self) -> dict:
        """What the settings read (marketplace/settings/media.py) and boto3 takes its credentials from."""
        return {
            "MARKETPLACE_MEDIA_BUCKET": self.name,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_S3_REGION_NAME": self.REGION,
            "AWS_ACCESS_KEY_ID": self.KEY_ID,
            "AWS_SECRET_ACCESS_KEY": self.SECRET,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


# the database
class ScratchDatabase:
    """``<prefix>_<random>`` on the server of ``admin_url`` (a postgres:// URL whose role has
    CREATEDB), created by ``create()`` and dropped, whoever is still connected, by ``drop()``."""

    def __init__(self, admin_url: str, *, prefix: str = "scratch"):
        parsed = urllib.parse.urlparse(admin_url)
        if parsed.scheme not in ("postgres", "postgresql"):
            raise ValueError(f"a PostgreSQL URL is needed, not {admin_url!r}")
        self.name = f"{prefix}_{secrets.token_hex(4)}"
        self._admin_url = admin_url
        self.url = urllib.parse.urlunparse(parsed._replace(path=f"/{self.name}"))
        self._connection = None
        self.created = False

    def _admin(self, statement) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement)

    def create(self) -> ScratchDatabase:
        from psycopg import sql

        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True
        return self

    def drop(self) -> None:
        from psycopg import sql

        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self.created:
            # FORCE: a server or worker that could not be stopped must not keep the database alive.
            self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            self.created = False

    def rows(self, query: str, *params) -> list[tuple]:
        """The rows of one query, read outside any transaction (what every host sees now)."""
        import psycopg

        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return self._connection.execute(query, params).fetchall()


# processes
def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def production_env(*, var_dir: Path, database_url: str, redis_url: str, **extra) -> dict:
    """Production settings as deployed (DEBUG off, PBKDF2 passwords, manifest static files, JSON
    logs, Redis for the cache, the reloads and the tasks), speaking plain HTTP on 127.0.0.1: no
    HTTPS redirect and cookies not marked secure. ``X-Served-By`` is on, to tell workers apart."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MARKETPLACE_SERVED_BY_HEADER": "1",
        "MARKETPLACE_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": "",
        "MARKETPLACE_CLUSTER_LISTEN": "1",
        "MARKETPLACE_TASKS_IN_PROCESS": "0",
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def manage(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    """``manage.py`` with that environment; fails with its output when it exits non-zero."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise AssertionError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{tail(done.stderr, 60)}")
    return done


class CeleryWorker:
    """``celery -A marketplace.tasks.engine worker`` (and beat, by default) as ``./dev worker``
    starts it, in a session of its own: ``kill()`` takes the whole process group at once."""

    _count = 0

    def __init__(
        self,
        *,
        env: dict,
        var_dir: Path,
        concurrency: int = 2,
        beat: bool = True,
        name: str = "worker",
        extra_args: list[str] = (),
    ):
        CeleryWorker._count += 1
        self.env = env
        self.var_dir = Path(var_dir)
        self.concurrency = concurrency
        self.beat = beat
        self.extra_args = list(extra_args)
        self.name = f"{name}{CeleryWorker._count}"
        self.log_path = self.var_dir / f"celery-{self.name}.log"
        self.process = None
        self._log = None

    def start(self, timeout: float = 60) -> CeleryWorker:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace.tasks.engine",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(self.concurrency),
            "--hostname",
            f"{self.name}@%h",
        ]
        if self.beat:
            command += ["--beat", "--schedule", str(self.var_dir / "celerybeat-schedule")]
        command += self.extra_args
        self._log = open(self.log_path, "a+")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while " ready." not in self.output():
            if self.process.poll() is not None:
                raise AssertionError(f"celery worker exited {self.process.returncode}:\n{tail(self.output(), 60)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"celery worker not ready in {timeout} s:\n{tail(self.output(), 60)}")
            time.sleep(0.1)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def processes(self) -> list[int]:
        """The worker's own processes: its pool (and the embedded beat)."""
        return children(self.pid) if self.process and self.process.poll() is None else []

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: pool, beat and all, nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


def live_workers(redis_url: str, namespace: str = "marketplace:0") -> set[int]:
    """Pids of the processes that listen for cluster reloads on that Redis, as they last reported."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        now = time.time()
        entries = [json.loads(raw) for raw in client.hgetall(f"{namespace}:workers").values()]
    finally:
        client.close()
    return {entry["pid"] for entry in entries if now - entry.get("last_seen", 0) < 7}


# the browser's side
class UploadingClient(HttpClient):
    """``HttpClient`` that can also post a form with files, as a browser does a file input."""

    def token(self, path: str) -> str:
        if "csrftoken" not in self.cookies:
            self.get(path)
        return self.cookies["csrftoken"]

    def post_multipart(self, path: str, fields: dict, files: dict[str, tuple[str, bytes, str]]) -> Response:
        """``fields``: name -> value (or a list of values); ``files``: name -> (filename, bytes, type)."""
        boundary = f"----marketplace{uuid.uuid4().hex}"
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.token(path), **fields}.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
                )
        for name, (filename, content, content_type) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            )
            parts.append(head.encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self._send("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def _send(self, method: str, path: str, body: bytes, content_type: str) -> Response:
        sent = {
            "Host": f"{self.host}:{self.port}",
            "Connection": "close",
            "Content-Type": content_type,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            payload = raw.read()
            headers = {k.lower(): v for k, v in raw.getheaders()}
            for value in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(value)
                self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        finally:
            connection.close()
        return Response(raw.status, headers, payload, time.perf_counter() - started)


CHECKOUT_FIELDS = re.compile(r'name="(idempotency_key|expected_total_sat)" value="([^"]*)"')


def checkout(client: HttpClient, product_id: int, quantity: int = 1) -> tuple[Response, str]:
    """Add to the cart and check out through the pages, as a buyer does: the checkout POST's
    answer (timed: ``.seconds``) and the order's reference."""
    added = client.post_form("/orders/cart/add/", {"product_id": str(product_id), "quantity": str(quantity)})
    if added.status != 302:
        raise AssertionError(f"adding product {product_id} to the cart: {added.status} {added.text[:400]}")
    page = client.get("/orders/checkout/")
    form = dict(CHECKOUT_FIELDS.findall(page.text))
    if page.status != 200 or len(form) != 2:
        raise AssertionError(f"the checkout page: {page.status} {page.text[:400]}")
    answer = client.post_form("/orders/checkout/", form)
    location = answer.headers.get("location", "")
    if answer.status != 302 or not location.startswith("/orders/"):
        raise AssertionError(f"checkout: {answer.status} {location} {answer.text[:400]}")
    return answer, location.rstrip("/").rpartition("/")[2]
