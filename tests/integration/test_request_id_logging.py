"""The request id reaches the log lines services write while serving, in production's JSON format."""

import io
import json
import logging

import pytest

from marketplace.logging import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("services", "containers", "modkit")]
    previous = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for lg, level in previous:
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_a_service_log_line_carries_the_request_id(client, json_lines):
    form = {
        "username": "loggy",
        "email": "loggy@example.com",
        "password": "a sturdy passphrase",
        "password_again": "a sturdy passphrase",
    }
    response = client.post("/accounts/register/", form, headers={"X-Request-ID": "req-42"})
    assert response.status_code == 302 and response["X-Request-ID"] == "req-42"
    lines = [line for line in json_lines() if line["logger"] == "services.user_service"]
    assert [line["message"] for line in lines] == ["user registered"]
    assert lines[0]["request_id"] == "req-42" and isinstance(lines[0]["user_id"], int)


def test_without_an_incoming_id_one_is_made_and_echoed(client, json_lines):
    response = client.post("/accounts/login/", {"username": "ghost", "password": "wrong password"})
    assert response.status_code == 400
    made = response["X-Request-ID"]
    lines = [line for line in json_lines() if line["message"] == "sign-in failed"]
    assert len(lines) == 1 and lines[0]["request_id"] == made and lines[0]["username"] == "ghost"


def test_a_reload_from_the_ops_page_logs_with_its_request_id(staff_client, json_lines):
    staff_client.post("/ops/reload/module/accounts/", {"confirm": "yes"}, headers={"X-Request-ID": "reload-7"})
    lines = json_lines()
    ops = [line for line in lines if line["logger"] == "services.ops_service"]
    assert ops and all(line["request_id"] == "reload-7" for line in ops)
    reloads = [line for line in lines if line["logger"] == "modkit.cluster"]
    assert reloads and all(line["request_id"] == "reload-7" for line in reloads)
