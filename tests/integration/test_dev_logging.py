"""Development logging, read from what the configured handlers write (not caplog, which would
miss a record printed twice): each record once; a refusal one line; a crash with its traceback."""

import copy
import io
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import Client, RequestFactory
from django.utils.log import configure_logging, log_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_logging(settings):
    """LOGGING as ./dev serve applies it (DEBUG on, INFO); every stream handler any logger has
    then writes into one buffer, so a record two handlers print shows twice."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    saved = [(lg, lg.handlers[:], lg.filters[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    settings.DEBUG = True
    config = copy.deepcopy(settings.LOGGING)
    config["root"]["level"] = "INFO"
    configure_logging(settings.LOGGING_CONFIG, config)  # Django's defaults first, then ours, as at start
    buffer = io.StringIO()
    for lg in [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]:
        for handler in lg.handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(buffer)
    yield buffer.getvalue
    for lg, handlers, filters, level, propagate, disabled in saved:
        lg.handlers[:], lg.filters[:] = handlers, filters
        lg.level, lg.propagate, lg.disabled = level, propagate, disabled


def test_a_request_refused_is_one_line_printed_once(dev_logging):
    assert Client().get("/no/such/page-zq41/").status_code == 404
    out = dev_logging()
    lines = [line for line in out.splitlines() if "page-zq41" in line]
    assert len(lines) == 1, out
    assert "WARNING django.request Not Found: /no/such/page-zq41/" in lines[0]
    assert "Traceback" not in out


def test_permission_denied_keeps_its_reason_and_drops_the_traceback(dev_logging):
    request = RequestFactory().get("/vendors/edit/")
    error = PermissionDenied("Only approved shops may edit.")
    log_response(
        "Forbidden (Permission denied): %s",
        request.path,
        response=HttpResponse(status=403),
        request=request,
        exception=error,
    )
    log_response("Not Found: %s", "/x/", response=HttpResponse(status=404), request=request, exception=Http404("gone"))
    log_response("Method Not Allowed (%s): %s", "PUT", "/x/", response=HttpResponse(status=405), request=request)
    out = dev_logging()
    assert out.count("\n") == 3, out
    assert "Forbidden (Permission denied): /vendors/edit/ (Only approved shops may edit.)" in out
    assert "Not Found: /x/ (gone)" in out and "Method Not Allowed (PUT): /x/" in out
    assert "Traceback" not in out


def test_a_server_error_keeps_its_traceback_once(dev_logging):
    request = RequestFactory().get("/boom/")
    try:
        raise ZeroDivisionError("a real bug")
    except ZeroDivisionError as error:
        log_response(
            "Internal Server Error: %s", "/boom/", response=HttpResponse(status=500), request=request, exception=error
        )
    out = dev_logging()
    assert out.count("ERROR django.request Internal Server Error: /boom/") == 1, out
    assert out.count("Traceback (most recent call last)") == 1
    assert "ZeroDivisionError: a real bug" in out
