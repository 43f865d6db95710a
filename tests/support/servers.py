"""Real servers for tests, on 127.0.0.1 and free ports: a private Redis, a gunicorn of the project."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, timeout: float = 20.0, interval: float = 0.05, what: str = "server"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} did not come up in {timeout}s (last error: {last})")


class RedisServer:
    """``redis-server`` in the foreground, no persistence; stop()/start() for fault tests."""

    def __init__(self, port: int | None = None):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.fail("redis-server not found: apt-get install redis-server (./dev test does it)")
        self.port = port or free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._ping, what=f"redis on {self.port}")
        return self

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def private_redis():
    """A Redis of the test's own, which it may stop and start (an outage)."""
    server = RedisServer().start()
    yield server
    server.stop()


def redis_caches(url: str, *, prefix: str = "test", ignore_exceptions: bool = False) -> dict:
    """``CACHES`` on that Redis through django-redis, with short timeouts for outage tests."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.3,
                "SOCKET_TIMEOUT": 0.3,
                "IGNORE_EXCEPTIONS": ignore_exceptions,
            },
        }
    }


class Gunicorn:
    """The project under gunicorn with ``workers`` processes, settings and env of the caller's choice."""

    def __init__(
        self,
        *,
        workers: int = 2,
        env: dict | None = None,
        port: int | None = None,
        cwd: Path = ROOT,
        extra_args: list[str] = (),
        python: str = sys.executable,
    ):
        self.python = python
        self.port = port or free_port()
        self.workers = workers
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONPATH": str(cwd), **(env or {})}
        self.extra_args = list(extra_args)
        self.process = None
        self.log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/health/live") -> "Gunicorn":
        self.log = open(self.cwd / "var" / f"gunicorn-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [
                self.python,
                "-m",
                "gunicorn",
                "marketplace.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                "-",
                *self.extra_args,
            ],
            cwd=self.cwd,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: urllib.request.urlopen(self.url + ready_path, timeout=2).status == 200, timeout=60, what="gunicorn"
        )
        return self

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log:
            self.log.close()


@contextmanager
def gunicorn(**kwargs):
    server = Gunicorn(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()
