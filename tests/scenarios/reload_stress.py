"""Hot reloads while eight threads serve an injected view, with a tiny GIL switch interval.

Each good reload writes a new version into the service's source (shown on the register page);
every tenth writes a syntax error instead, which must be refused. Every response must come
from a version that was in force while the request ran; nothing may fail or crash; memory must
not grow with the number of reloads. Prints one JSON report.
"""

import ctypes
import gc
import json
import re
import sys
import threading
import time
import traceback
from pathlib import Path
from wsgiref.util import setup_testing_defaults

from boot import boot

runtime = boot()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.signals import got_request_exception, request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from modkit.generations import Generation  # noqa: E402

from containers import ReloadFailed  # noqa: E402

RELOADS = int(sys.argv[1]) if len(sys.argv) > 1 else 240
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
SERVICE = Path.cwd() / "services" / "user_service.py"
ORIGINAL = SERVICE.read_text()
LINE = '"min_password_length": self.min_password_length,'
PATTERN = re.compile(rb"at least (\d+) characters")

# "pending" is the version a reload in progress may commit before "applied" moves to it.
state = {"applied": 10, "pending": 10, "stop": False}
lock = threading.Lock()
errors: list[str] = []
violations: list[str] = []
served = [0] * THREADS


def rss_kb() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4


def census() -> dict:
    gc.collect()
    # Hand freed heap pages back, so RSS is closer to what the process holds; it still varies by
    # some MB from run to run with how eight threads' allocations fragmented the heap, which is
    # why the leak check counts live allocations (blocks) and objects, and RSS only loosely.
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    objects = gc.get_objects()
    # type(o), never isinstance(o, ...): isinstance reads o.__class__, which evaluates lazy objects,
    # and django-csp's request.csp_nonce raises once its response's header is written.
    return {
        "rss_kb": rss_kb(),
        "blocks": sys.getallocatedblocks(),
        "objects": len(objects),
        "generations": sum(issubclass(type(o), Generation) for o in objects),
        "user_service_classes": sum(issubclass(type(o), type) and o.__name__ == "UserService" for o in objects),
        "modules_accounts": sum(
            type(o).__name__ == "module" and getattr(o, "__name__", "") == "modules.accounts" for o in objects
        ),
    }


def record_failure(sender, request=None, **kwargs) -> None:
    # A 500's cause, not just its status: the handler turns the exception into a response.
    errors.append(traceback.format_exc(limit=-8))


got_request_exception.connect(record_failure)
# Each thread keeps its database connection, as the test client does (once here, not per
# request): what is under test is reloading, not SQLite opening a file 3,000 times under load.
request_started.disconnect(close_old_connections)
request_finished.disconnect(close_old_connections)


def get(handler: WSGIHandler, path: str) -> tuple[str, bytes]:
    """A request through Django's WSGI handler, as a server makes it. Not the test client: it
    connects a signal receiver per request, and each connection leaves a weakref.finalize behind
    for good, which would read as growth here."""
    environ = {"PATH_INFO": path, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    answer = {}
    response = handler(environ, lambda status, headers: answer.setdefault("status", status))
    try:
        return answer["status"], b"".join(response)
    finally:
        response.close()


# Cleared while the census counts: gc.get_objects() hands out every tracked object, tuples still
# being built by another thread included, and such a tuple then fails to grow (SystemError from
# _PyTuple_Resize), so the threads wait between two requests, each saying so in ``idle``.
serving = threading.Event()
serving.set()
idle = [threading.Event() for _ in range(THREADS)]


def census_between_requests() -> dict:
    serving.clear()
    for flag in idle:
        flag.wait(timeout=60)
    try:
        return census()
    finally:
        serving.set()


def serve(index: int) -> None:
    handler = WSGIHandler()
    while not state["stop"]:
        if not serving.is_set():
            idle[index].set()
            serving.wait()
            idle[index].clear()
            continue
        low = state["applied"]
        try:
            status, content = get(handler, "/accounts/register/")
            high = max(state["applied"], state["pending"])
            if not status.startswith("200"):
                errors.append(f"HTTP {status}")
                continue
            shown = int(PATTERN.search(content).group(1))
        except Exception as exc:  # every error is a finding
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        # Versions skip the refused ones (1009, then 1011): the bound is the one being applied.
        if not (low <= shown <= high) or (shown != 10 and shown < 1000):
            violations.append(f"saw {shown} while {low}..{high} were in force")
        served[index] += 1


sys.setswitchinterval(1e-6)
workers = [threading.Thread(target=serve, args=(i,), daemon=True) for i in range(THREADS)]
for worker in workers:
    worker.start()

started = time.perf_counter()
good = refused = unexpected = 0
baseline = None
for i in range(1, RELOADS + 1):
    broken = i % 10 == 0
    version = 1000 + i
    source = ORIGINAL.replace(LINE, f'"min_password_length": {version},')
    SERVICE.write_text(source + ("\ndef broken(:\n" if broken else ""))
    if not broken:
        state["pending"] = version
    try:
        if i % 2:
            runtime.reload_service("user_service")
        else:
            runtime.reload_module("accounts")
    except ReloadFailed as failed:
        if broken and "SyntaxError" in (failed.result.error or ""):
            refused += 1
        else:
            unexpected += 1
            errors.append(f"reload {i}: {failed.result.error}")
        continue
    if broken:
        unexpected += 1
        errors.append(f"reload {i}: broken code was accepted")
    state["applied"] = version
    good += 1
    if i == 41:
        sys.setswitchinterval(0.005)
        baseline = census_between_requests()
        sys.setswitchinterval(1e-6)

elapsed = time.perf_counter() - started
# Measured like the baseline: the eight threads alive, between two requests.
sys.setswitchinterval(0.005)
final = census_between_requests()
state["stop"] = True
for worker in workers:
    worker.join(timeout=30)

print(
    json.dumps(
        {
            "reloads": RELOADS,
            "good": good,
            "refused": refused,
            "unexpected": unexpected,
            "threads": THREADS,
            "requests": sum(served),
            "per_thread": served,
            "errors": errors[:10],
            "error_count": len(errors),
            "violations": violations[:10],
            "violation_count": len(violations),
            "seconds": round(elapsed, 2),
            "baseline": baseline,
            "final": final,
        }
    )
)
