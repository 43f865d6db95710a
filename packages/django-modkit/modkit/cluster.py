"""Cluster-wide hot reload: every serving process on every machine applies a reload and reports.

With ``REDIS_URL`` set, a reload is announced on a Redis pub/sub channel (the doorbell) and, in
the same MULTI, appended to a short log, so a worker whose connection dropped catches up when it
reconnects. Each serving process runs one listener thread, started in that process (gunicorn's
``post_worker_init`` hook, or its first request), never in the gunicorn master nor in a
management command. The listener applies a reload with the runtime's own rule (build, check,
swap by one reference change, or keep the previous generation) and reports: to the requester
through a Redis list, and to the database journal. It never lets an exception out: a Redis
outage means retrying with a back-off, not a dead worker.

Without Redis the process that takes the reload is the whole system: it applies and records it.
Redis is optional: ``pip install django-modkit[cluster]`` brings the client, imported only when a
``redis_url`` is set.
"""

import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from modkit.reloading import ReloadFailed, ReloadResult

log = logging.getLogger(__name__)

HOST = socket.gethostname()
LOG_LENGTH = 100
RESULT_TTL_SECONDS = 600
SEEN_LIMIT = 1000


def worker_id() -> str:
    """host:pid of this process (computed each time: a fork changes the pid)."""
    return f"{HOST}:{os.getpid()}"


@dataclass(frozen=True)
class ClusterOptions:
    redis_url: str | None
    namespace: str
    wait_seconds: float
    heartbeat_seconds: float
    listen: bool

    @property
    def channel(self) -> str:
        return f"{self.namespace}:reloads"

    @property
    def log_key(self) -> str:
        return f"{self.namespace}:reloads:log"

    @property
    def workers_key(self) -> str:
        return f"{self.namespace}:workers"

    def results_key(self, reload_id: str) -> str:
        return f"{self.namespace}:reloads:{reload_id}:results"

    @property
    def stale_after(self) -> float:
        return self.heartbeat_seconds * 3 + 1

    @classmethod
    def from_config(cls, section: dict, redis_url: str | None, *, prefix: str = "modkit") -> "ClusterOptions":
        """``section``: ``reload_wait_seconds``, ``heartbeat_seconds``, ``listen``, ``cluster_namespace``."""
        return cls(
            redis_url=redis_url or None,
            namespace=section.get("cluster_namespace") or _default_namespace(redis_url, prefix),
            wait_seconds=float(section.get("reload_wait_seconds", 5)),
            heartbeat_seconds=float(section.get("heartbeat_seconds", 2)),
            listen=bool(section.get("listen", True)),
        )

    @classmethod
    def from_settings(cls, settings=None) -> "ClusterOptions":
        """``MODKIT_CLUSTER`` (the keys of ``from_config``) and ``REDIS_URL``."""
        if settings is None:
            from django.conf import settings
        section = dict(getattr(settings, "MODKIT_CLUSTER", None) or {})
        return cls.from_config(section, getattr(settings, "REDIS_URL", None))


class RequestIds:
    """How a reload carries the id of the request that asked for it into every worker's logs.

    This one carries none; a project with request ids passes its own (``current()`` returns the
    id or ``None``, ``bind(id)`` is a context manager that makes it current).
    """

    def current(self) -> str | None:
        return None

    @contextlib.contextmanager
    def bind(self, request_id: str | None):
        yield


def _default_namespace(redis_url: str | None, prefix: str = "modkit") -> str:
    # Pub/sub channels ignore the database number: put it in the names, so two deployments
    # sharing one Redis server on different databases never hear each other.
    db = "0"
    if redis_url:
        path = urlparse(redis_url).path.strip("/")
        db = path or "0"
    return f"{prefix}:{db}"


@dataclass
class ClusterReload:
    """A reload as the cluster saw it: each answering worker's result, and who did not answer."""

    reload_id: str
    kind: str
    target: str
    requested_by: str
    broadcast: bool
    broadcast_error: str = ""
    expected: list[str] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    local: ReloadResult | None = None

    @property
    def ok(self) -> bool:
        """Applied by every worker expected, none refused it, and the announcement went out."""
        return (
            bool(self.results)
            and not self.missing
            and not self.broadcast_error
            and all(r["ok"] for r in self.results.values())
        )

    @property
    def failed_workers(self) -> list[str]:
        return sorted(w for w, r in self.results.items() if not r["ok"])

    @property
    def error(self) -> str | None:
        for worker in self.failed_workers:
            return f"{worker}: {self.results[worker].get('error')}"
        if self.missing:
            return f"no answer from {', '.join(self.missing)}"
        if self.broadcast_error:
            return self.broadcast_error
        if not self.results:
            return "no worker answered"
        return None

    # The local result's figures, so callers of the single-process API keep working.
    @property
    def version_before(self) -> str:
        return self.local.version_before if self.local else ""

    @property
    def version_after(self) -> str:
        return self.local.version_after if self.local else ""

    @property
    def generation(self) -> int:
        return self.local.generation if self.local else 0

    def as_dict(self) -> dict:
        return {
            "reload_id": self.reload_id,
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "error": self.error,
            "requested_by": self.requested_by,
            "broadcast": self.broadcast,
            "broadcast_error": self.broadcast_error,
            "expected": list(self.expected),
            "missing": list(self.missing),
            "results": dict(self.results),
        }

    def __str__(self) -> str:
        answered = len(self.results)
        good = answered - len(self.failed_workers)
        outcome = "ok" if self.ok else f"FAILED ({self.error})"
        return f"reload {self.kind} {self.target}: {outcome}; {good}/{answered} worker(s) applied it"


class Cluster:
    """The reload fan-out of one process. ``reload()`` is the API pages and commands use;
    ``start_listener()`` makes this process a worker that hears others.

    ``journal`` returns the record of reloads (``open``, ``record_result``, ``close``), or is left
    out for none; ``options`` returns the ``ClusterOptions`` (``ClusterOptions.from_settings``).
    """

    def __init__(
        self,
        runtime,
        journal: Callable[[], object] | None = None,
        options: Callable[[], ClusterOptions] | None = None,
        identity: Callable[[], str] = worker_id,
        request_ids: RequestIds | None = None,
    ):
        self.runtime = runtime
        self._journal = journal
        self._request_ids = request_ids or RequestIds()
        self._identity = identity
        self._options_factory = options or ClusterOptions.from_settings
        self._options: ClusterOptions | None = None
        self._lock = threading.Lock()
        self._listener: _Listener | None = None
        self._listener_pid: int | None = None
        self._client = None
        self._client_pid: int | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._applied: dict[str, dict] = {}

    # configuration and connections
    def options(self) -> ClusterOptions:
        if self._options is None:
            self._options = self._options_factory()
        return self._options

    def configure(self, options: ClusterOptions | None) -> None:
        """Use other options (tests, benchmarks); stops the listener, which reads them at start."""
        self.stop_listener()
        self._options = options
        self._client = None

    @property
    def broadcasting(self) -> bool:
        return bool(self.options().redis_url)

    @property
    def worker_id(self) -> str:
        return self._identity()

    def _redis(self):
        """The requester's client (per process: a forked child must not share its sockets)."""
        if self._client is None or self._client_pid != os.getpid():
            import redis

            opts = self.options()
            self._client = redis.Redis.from_url(
                opts.redis_url,
                socket_connect_timeout=1,
                socket_timeout=opts.wait_seconds + 5,
                decode_responses=True,
            )
            self._client_pid = os.getpid()
        return self._client

    # the API
    def reload(
        self,
        kind: str,
        target: str,
        *,
        requested_by: str = "api",
        user_id: int | None = None,
        via: str = "api",
        apply_here: bool = True,
        wait: float | None = None,
    ) -> ClusterReload:
        """Reload ``target`` on every worker; return each one's result.

        ``apply_here`` reloads this process too (the ops page, the Python API); a management
        command, which serves nobody, only asks the workers (unless there is no Redis to ask).
        """
        if kind not in ("module", "service"):
            raise ValueError(f"kind must be 'module' or 'service', not {kind!r}")
        self._check_target(kind, target)
        opts = self.options()
        reload_id = str(uuid.uuid4())
        request_id = self._request_ids.current() or "-"
        self._journal_call(
            "open",
            reload_id=reload_id,
            kind=kind,
            target=target,
            via=via,
            requested_by=requested_by,
            user_id=user_id,
            origin=self.worker_id,
            request_id="" if request_id == "-" else request_id,
        )
        outcome = ClusterReload(
            reload_id=reload_id, kind=kind, target=target, requested_by=requested_by, broadcast=False
        )
        message = {
            "id": reload_id,
            "kind": kind,
            "target": target,
            "origin": self.worker_id,
            "requested_by": requested_by,
            "request_id": request_id,
            "at": time.time(),
        }
        if opts.redis_url:
            try:
                outcome.expected = sorted(w for w in self.live_workers() if w != self.worker_id)
                self._publish(message)
                outcome.broadcast = True
            except Exception as exc:  # Redis down: this process is all we can reach
                outcome.broadcast_error = f"not broadcast: {type(exc).__name__}: {exc}"
                outcome.expected = []
                log.warning("reload %s %s %s", kind, target, outcome.broadcast_error)
        if apply_here or not outcome.broadcast:
            report = self._apply(message, announce=False)
            outcome.local = report.pop("_result")
            outcome.results[report["worker"]] = report
        if outcome.broadcast:
            answers = self._collect(reload_id, outcome.expected, opts.wait_seconds if wait is None else wait)
            outcome.results.update(answers)
            outcome.missing = sorted(set(outcome.expected) - set(outcome.results))
        self._journal_call(
            "close",
            reload_id=reload_id,
            broadcast=outcome.broadcast,
            broadcast_error=outcome.broadcast_error,
            expected_workers=len(outcome.expected) + (1 if outcome.local else 0),
            missing_workers=outcome.missing,
        )
        (log.info if outcome.ok else log.warning)("%s (id %s)", outcome, reload_id)
        return outcome

    def _check_target(self, kind: str, target: str) -> None:
        if kind == "module" and target not in self.runtime.modules:
            raise KeyError(f"no module named {target!r} (known: {', '.join(self.runtime.modules.names())})")
        if kind == "service" and target not in self.runtime.services:
            raise KeyError(f"no service named {target!r} (known: {', '.join(self.runtime.services.names())})")

    def _publish(self, message: dict) -> None:
        opts = self.options()
        payload = json.dumps(message)
        self._remember(message["id"])
        pipe = self._redis().pipeline(transaction=True)
        pipe.rpush(opts.log_key, payload)
        pipe.ltrim(opts.log_key, -LOG_LENGTH, -1)
        pipe.publish(opts.channel, payload)
        pipe.execute()

    def _collect(self, reload_id: str, expected: list[str], wait: float) -> dict[str, dict]:
        key = self.options().results_key(reload_id)
        answers: dict[str, dict] = {}
        deadline = time.monotonic() + wait
        try:
            client = self._redis()
            while set(expected) - set(answers):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                item = client.blpop([key], timeout=max(0.01, remaining))
                if item is None:
                    break
                report = json.loads(item[1])
                answers[report["worker"]] = report
        except Exception as exc:
            log.warning("reload %s: stopped waiting for workers: %s", reload_id, exc)
        return answers

    # applying a reload in this process
    def _apply(self, message: dict, *, announce: bool) -> dict:
        incoming = message.get("request_id")
        with self._request_ids.bind(None if incoming in (None, "-") else incoming):
            self.runtime.ensure_started()
            kind, target = message["kind"], message["target"]
            try:
                if kind == "module":
                    result = self.runtime.reload_module(target)
                else:
                    result = self.runtime.reload_service(target)
            except ReloadFailed as failed:
                result = failed.result
            except Exception as exc:  # e.g. a target this worker does not run: a finding
                log.exception("reload %s %s could not be applied here", kind, target)
                result = ReloadResult(kind=kind, target=target, ok=False, error=f"{type(exc).__name__}: {exc}")
            if result.ok:
                module = target if kind == "module" else self._module_of(target)
                if module:
                    self._applied[module] = {"id": message["id"], "at": message["at"]}
            report = {
                **result.as_dict(),
                "worker": self.worker_id,
                "reload_id": message["id"],
                "modules": self.modules_snapshot(),
            }
            # Journal and presence first: once the requester has every answer, the rows and the
            # worker table it then reads already say what each worker runs.
            self._journal_call("record_result", reload_id=message["id"], report=report)
            self._update_presence()
            if announce:
                self._answer(message["id"], report)
            report["_result"] = result
            return report

    def _module_of(self, service: str) -> str | None:
        try:
            return self.runtime.services.get(service).module
        except KeyError:
            return None

    def _update_presence(self) -> None:
        if not self.listening:
            return  # a management command or a test process is no worker
        listener = self._listener
        try:
            client = listener.client if threading.current_thread() is listener else self._redis()
            client.hset(self.options().workers_key, self.worker_id, json.dumps(self.presence()))
        except Exception as exc:
            log.warning("could not update this worker's presence: %s", exc)

    def _answer(self, reload_id: str, report: dict) -> None:
        opts = self.options()
        body = json.dumps({k: v for k, v in report.items() if k != "_result"})
        client = self._listener.client if self._listener is not None else self._redis()
        pipe = client.pipeline(transaction=True)
        pipe.rpush(opts.results_key(reload_id), body)
        pipe.expire(opts.results_key(reload_id), RESULT_TTL_SECONDS)
        pipe.execute()

    def _journal_call(self, method: str, **kwargs) -> None:
        """The journal is a record, not a gate: a database outage never blocks a reload."""
        if self._journal is None:
            return
        try:
            getattr(self._journal(), method)(**kwargs)
        except Exception:
            log.exception("reload journal: %s failed", method)

    def _remember(self, reload_id: str) -> bool:
        """True the first time an id is seen in this process."""
        with self._lock:
            if reload_id in self._seen:
                return False
            self._seen[reload_id] = None
            while len(self._seen) > SEEN_LIMIT:
                self._seen.popitem(last=False)
            return True

    def on_message(self, payload: str) -> None:
        """A reload announced by any process (the listener calls this)."""
        try:
            message = json.loads(payload)
        except ValueError:
            log.warning("ignoring a malformed reload message: %.200s", payload)
            return
        if message.get("origin") == self.worker_id or not self._remember(message.get("id", "")):
            return
        try:
            self._apply(message, announce=True)
        finally:
            self._close_thread_connections()

    def catch_up(self, client) -> int:
        """Apply the logged reloads this process missed (announced after it booted); return how many."""
        applied = 0
        booted_at = self.runtime.started_at
        for payload in client.lrange(self.options().log_key, 0, -1):
            try:
                message = json.loads(payload)
            except ValueError:
                continue
            if message.get("at", 0) < booted_at or message.get("id") in self._seen:
                continue
            self.on_message(payload)
            applied += 1
        return applied

    @staticmethod
    def _close_thread_connections() -> None:
        from django.db import connections

        for connection in connections.all(initialized_only=True):
            connection.close()

    # who is out there
    def modules_snapshot(self) -> dict:
        modules = self.runtime.snapshot()
        for name, row in modules.items():
            row["reload"] = self._applied.get(name)
        return modules

    def presence(self) -> dict:
        return {
            "worker": self.worker_id,
            "host": HOST,
            "pid": os.getpid(),
            "started_at": self.runtime.started_at,
            "last_seen": time.time(),
            "modules": self.modules_snapshot(),
        }

    def live_workers(self) -> dict[str, dict]:
        """Every serving process that reported in the last few heartbeats (this one included)."""
        opts = self.options()
        if not opts.redis_url:
            return {self.worker_id: self.presence()}
        now = time.time()
        workers = {}
        for worker, raw in self._redis().hgetall(opts.workers_key).items():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if now - entry.get("last_seen", 0) <= opts.stale_after:
                workers[worker] = entry
        return dict(sorted(workers.items()))

    # the listener
    @property
    def listening(self) -> bool:
        listener = self._listener
        return listener is not None and self._listener_pid == os.getpid() and listener.is_alive()

    def start_listener(self) -> bool:
        """Make this process a worker that applies others' reloads; idempotent, fork-aware."""
        if self.listening:
            return True
        opts = self.options()
        if not opts.redis_url or not opts.listen:
            return False
        # Imported here, in the thread that starts the listener, never first in the listener: a
        # module imported by two threads at once (the listener, and a request importing
        # django-redis, which imports redis.asyncio) can hand one a half-initialised ``redis.client``.
        import redis  # noqa: F401

        with self._lock:
            if self.listening:
                return True
            self._listener = _Listener(self, opts)
            self._listener_pid = os.getpid()
            self._listener.start()
        return True

    def stop_listener(self, timeout: float = 2.0) -> None:
        listener = self._listener
        if listener is None or self._listener_pid != os.getpid():
            self._listener = None
            return
        listener.stop()
        listener.join(timeout)
        self._listener = None


class _Listener(threading.Thread):
    def __init__(self, cluster: Cluster, options: ClusterOptions):
        super().__init__(name="modkit-reload-listener", daemon=True)
        self.cluster = cluster
        self.options = options
        self.client = None
        self.connected = threading.Event()
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        backoff = 0.2
        outage_since = None
        while not self._stop_event.is_set():
            pubsub = None
            try:
                pubsub = self._subscribe()
                missed = self.cluster.catch_up(self.client)
                self._heartbeat()
                if outage_since is not None:
                    log.warning(
                        "reload listener reconnected after %.1fs; applied %d missed reload(s)",
                        time.monotonic() - outage_since,
                        missed,
                    )
                outage_since = None
                backoff = 0.2
                self.connected.set()
                self._serve(pubsub)
            except Exception as exc:  # Redis down or anything else: retry, never die
                self.connected.clear()
                if outage_since is None:
                    outage_since = time.monotonic()
                    log.warning("reload listener lost Redis (%s: %s); retrying", type(exc).__name__, exc)
                self._stop_event.wait(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        log.debug("closing the pub/sub connection failed", exc_info=True)
        self._leave()

    def _subscribe(self):
        import redis

        self.client = redis.Redis.from_url(
            self.options.redis_url,
            socket_connect_timeout=2,
            socket_timeout=max(5.0, self.options.heartbeat_seconds * 3),
            decode_responses=True,
        )
        pubsub = self.client.pubsub()
        pubsub.subscribe(self.options.channel)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # wait for the server's confirmation before reading the log
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "subscribe":
                return pubsub
            if message and message["type"] == "message":
                self.cluster.on_message(message["data"])
        raise TimeoutError("no subscription confirmation from Redis")

    def _serve(self, pubsub) -> None:
        next_beat = time.monotonic() + self.options.heartbeat_seconds
        while not self._stop_event.is_set():
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "message":
                self.cluster.on_message(message["data"])
            if time.monotonic() >= next_beat:
                self._heartbeat()
                next_beat = time.monotonic() + self.options.heartbeat_seconds

    def _heartbeat(self) -> None:
        entry = self.cluster.presence()
        self.client.hset(self.options.workers_key, entry["worker"], json.dumps(entry))
        self._prune()

    def _prune(self) -> None:
        now = time.time()
        for worker, raw in self.client.hgetall(self.options.workers_key).items():
            try:
                last_seen = json.loads(raw).get("last_seen", 0)
            except ValueError:
                last_seen = 0
            if now - last_seen > max(60.0, self.options.stale_after * 10):
                self.client.hdel(self.options.workers_key, worker)

    def _leave(self) -> None:
        try:
            if self.client is not None:
                self.client.hdel(self.options.workers_key, self.cluster.worker_id)
        except Exception:
            log.debug("could not remove this worker from the presence table", exc_info=True)
