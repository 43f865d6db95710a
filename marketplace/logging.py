"""JSON log lines carrying the id of the request they belong to, through services and all."""

import contextlib
import contextvars
import json
import logging
import os
import re
import socket
import threading
import time
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


@contextlib.contextmanager
def bind_request_id(incoming: str | None):
    request_id = incoming if incoming and _VALID.match(incoming) else uuid.uuid4().hex
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# What every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
_HOST = socket.gethostname()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, worker, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", _request_id.get()),
            "worker": f"{_HOST}:{os.getpid()}",
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class LogBudget(logging.Filter):
    """At most ``per_interval`` lines per logger every ``interval_seconds``; the rest are counted.

    Put on loggers that write a line per failed call while something outside is down (the cache:
    django-redis logs each call it ignores, with a traceback) or per request anyone may send (CSP
    reports). The first line passes at once; what follows within the interval is held back, and
    the first line after it also says how many were held back, since when, and the last of them.
    Lines pass as warnings, without traceback: one outage, not one stack per request."""

    def __init__(self, per_interval: int = 1, interval_seconds: float = 60.0, clock=time.monotonic):
        super().__init__()
        self.per_interval = int(per_interval)
        self.interval_seconds = float(interval_seconds)
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def clear(self) -> None:
        """Forget what was counted: the next line of every logger passes at once."""
        with self._lock:
            self._windows.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        line = _one_line(record)
        now = self.clock()
        with self._lock:
            window = self._windows.get(record.name)
            if window is None or now - window.started >= self.interval_seconds:
                previous, window = window, _Window(now)
                self._windows[record.name] = window
                if previous is not None and previous.held:
                    line += (
                        f" ({previous.held} more held back since "
                        f"{_utc(previous.first_held)}, the last: {previous.last_held})"
                    )
            if window.passed >= self.per_interval:
                window.held += 1
                window.first_held = window.first_held or record.created
                window.last_held = line
                return False
            window.passed += 1
        record.msg, record.args = line, ()
        record.exc_info = record.exc_text = record.stack_info = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class _Window:
    __slots__ = ("started", "passed", "held", "first_held", "last_held")

    def __init__(self, started: float):
        self.started, self.passed, self.held = started, 0, 0
        self.first_held, self.last_held = 0.0, ""


def _one_line(record: logging.LogRecord) -> str:
    message = record.getMessage()
    error = record.exc_info[1] if record.exc_info else None
    for _ in range(5):  # django-redis wraps the error that says what happened
        if error is None or error.__cause__ is None:
            break
        error = error.__cause__
    if error is not None:
        message = f"{message}: {type(error).__name__}: {error}"
    return " ".join(message.split())[:500]


def _utc(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))


class RefusalLines(logging.Filter):
    """A refused request (a 4xx answer: 403, 404, 405...) as one line, without traceback.

    Django logs ``PermissionDenied`` and ``Http404`` with the exception attached, so a non-vendor
    opening a vendor page printed a stack as long as a crash's. The reason stays, on the line;
    a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            error = record.exc_info[1]
            reason = " ".join(str(error).split())[:300] if error is not None else ""
            if reason and reason not in record.getMessage():
                record.msg, record.args = f"{record.getMessage()} ({reason})", ()
            record.exc_info = record.exc_text = record.stack_info = None
        return True
