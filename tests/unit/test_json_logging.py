"""Structured log lines: one JSON object each, with the request id and the extras."""

import json
import logging
import os

from marketplace.logging import JsonFormatter, RequestIdFilter, bind_request_id, current_request_id


def record(message="hello %s", args=("world",), **extra):
    rec = logging.LogRecord("services.user_service", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_line_is_json_with_the_bound_request_id_and_the_worker():
    with bind_request_id("abc-123"):
        rec = record()
        RequestIdFilter().filter(rec)
    line = json.loads(JsonFormatter().format(rec))
    assert line["message"] == "hello world"
    assert line["request_id"] == "abc-123"
    assert line["logger"] == "services.user_service"
    assert line["level"] == "INFO"
    assert line["worker"].endswith(f":{os.getpid()}")


def test_extras_become_fields_and_odd_values_still_serialise():
    line = json.loads(JsonFormatter().format(record(user_id=7, when=object())))
    assert line["user_id"] == 7
    assert line["when"].startswith("<object object")


def test_a_bad_incoming_id_is_replaced_and_the_binding_ends_with_the_block():
    with bind_request_id("no spaces allowed") as request_id:
        assert request_id != "no spaces allowed" and len(request_id) == 32
        assert current_request_id() == request_id
    assert current_request_id() == "-"


def test_exceptions_are_kept_in_one_field():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter().format(rec))
    assert "ValueError: boom" in line["exception"]
